"""Issue #10, deliverable 1, end to end: a province's register of certified products imported
through the registry, seen consistently by all four services.

The sample register of Lâm Đồng (tests/data/registers/lam-dong-68.csv: 50 products certified
between 2021 and 2026, two of them 5★) is imported through registry's HTTP API. The registry
declares each certificate (PriorCertificateDeclared); evaluation adopts it as historic (origin
imported, the rule set of its decision's date) and its events let the registry show the stars
and validity, its scheduler expire those already past their end, promotion place a product, and
reporting count each product in the year it was certified. A register with one bad row imports
nothing and its report names the row and the column; a declared number another product holds is
dead-lettered by evaluation with the reason.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from ocop_contracts import RatingLevel, topics
from ocop_contracts.events.registry import PriorCertificateDeclared
from ocop_devstack.infra import Infra
from ocop_devstack.services import ServiceStack
from tests.e2e.evaluation_support import admin_headers, publish, registered
from tests.e2e.support import eventually, expect, read_dead_letters

pytestmark = pytest.mark.e2e
REGISTER = Path(__file__).parents[1] / "data" / "registers" / "lam-dong-68.csv"
PROVINCE = "68"  # Lâm Đồng (2025): no other test uses it
FINISHED = {"done", "rejected", "failed"}


def register_rows() -> list[dict[str, str]]:
    with REGISTER.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def as_csv(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


async def imported(http: httpx.AsyncClient, services: ServiceStack, data: bytes) -> dict[str, Any]:
    registry = services.url("registry")
    started = expect(
        await http.post(
            f"{registry}/imports",
            files={"file": ("lam-dong-68.csv", data)},
            data={"province_code": PROVINCE},
        ),
        202,
    )

    async def finished() -> dict[str, Any] | None:
        job: dict[str, Any] = expect(await http.get(f"{registry}/imports/{started['job_id']}"), 200)
        return job if job["status"] in FINISHED else None

    return await eventually(finished, timeout=120, what="the import to finish")


async def evaluation_today(services: ServiceStack) -> date:
    async with httpx.AsyncClient(headers=admin_headers(), timeout=10.0) as admin:
        clock = expect(await admin.get(f"{services.url('evaluation')}/admin/clock"), 200)
    return date.fromisoformat(clock["today"])


async def certified_by_year(http: httpx.AsyncClient, services: ServiceStack) -> Counter[int]:
    """Reporting's products newly certified in the province, per year of the register."""
    counts: Counter[int] = Counter()
    for year in range(2021, 2027):
        report = expect(
            await http.get(
                f"{services.url('reporting')}/reports/national",
                params={"year": year, "view": "as_corrected"},
            ),
            200,
        )
        row = next(r for r in report["provinces"] if r["province_code"] == PROVINCE)
        counts[year] = row["new_certified"]
    return counts


async def test_a_register_with_one_bad_row_imports_nothing_and_names_row_and_column(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    # The sample made a register of its own (names, numbers, no codes), so that it never meets
    # the sample imported by the other test, in whichever order they run.
    tag = uuid.uuid4().hex[:6]
    rows = [
        {
            **row,
            "product_name": f"{row['product_name']} {tag}",
            "product_code": "",
            "certificate_id": f"{row['certificate_id']}-{tag}",
        }
        for row in register_rows()
    ]
    rows[5]["valid_until"] = "2099-12-31"  # spreadsheet row 7: not the rule set's 36 months

    job = await imported(http, services, as_csv(rows))

    assert (job["status"], job["imported_rows"], job["error_rows"]) == ("rejected", 0, 1)
    report = expect(
        await http.get(
            f"{services.url('registry')}/imports/{job['job_id']}/report", params={"kind": "error"}
        ),
        200,
    )
    assert [(line["row"], line["column"]) for line in report] == [(7, "valid_until")]
    found = expect(
        await http.get(
            f"{services.url('registry')}/products", params={"q": tag, "province_code": PROVINCE}
        ),
        200,
    )
    assert found["total"] == 0


async def test_fifty_imported_certified_products_are_seen_alike_by_every_service(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    rows = register_rows()
    assert len(rows) == 50
    before = await certified_by_year(http, services)

    job = await imported(http, services, REGISTER.read_bytes())

    assert (job["status"], job["imported_rows"], job["products_created"]) == ("done", 50, 50), job
    today = await evaluation_today(services)
    ended = {r["certificate_id"] for r in rows if date.fromisoformat(r["valid_until"]) < today}
    assert ended and len(ended) < len(rows)  # the sample has both: the test sees both kinds

    # Registry: every product shows the stars and validity evaluation's events gave it.
    async def registry_agrees() -> dict[str, dict[str, Any]] | None:
        await _run_scheduler(services)  # those past their end expire now, not at the next tick
        page = expect(
            await http.get(
                f"{services.url('registry')}/products",
                params={"province_code": PROVINCE, "page_size": 100},
            ),
            200,
        )
        shown = {p["product_code"]: p for p in page["items"]}
        done = all(_settled(shown.get(r["product_code"]), r, ended) for r in rows)
        return shown if done else None

    # Each probe runs evaluation's scheduler and reads the province's products. Polled every
    # 0.2 s in a CI run, registry's and evaluation's consumers (which share each service's one
    # store connection with its API) handled nothing for the two minutes the loop ran, and both
    # went on the moment it gave up: a slower poll leaves them room.
    shown = await eventually(
        registry_agrees, timeout=120, what="registry to show the stars", interval=1.0
    )
    for row in rows:
        product = shown[row["product_code"]]
        certificate = product["certificate"]
        assert (product["stars"], certificate["certificate_id"]) == (
            int(row["stars"]),
            row["certificate_id"],
        )
        assert (certificate["issued_on"], certificate["valid_until"]) == (
            row["certified_on"],
            row["valid_until"],
        )
        assert product["declared_certificate"]["decision_ref"] == row["decision_ref"]

    # Evaluation: each certificate found by its number, imported, with its renewal and expiry.
    for row in rows:
        found = expect(
            await http.get(f"{services.url('evaluation')}/certificates/{row['certificate_id']}"),
            200,
        )
        assert (found["origin"], found["product_id"], found["valid_until"]) == (
            "imported",
            shown[row["product_code"]]["product_id"],
            row["valid_until"],
        )
        assert found["renewal_opens_on"] < found["expires_on"]
        assert found["status"] == ("expired" if row["certificate_id"] in ended else "valid")

    # Promotion: a product whose imported certificate runs on may be listed.
    valid = next(r for r in rows if r["certificate_id"] not in ended)
    product_id = shown[valid["product_code"]]["product_id"]
    await _placeable(http, services, product_id)
    listing = expect(
        await http.post(
            f"{services.url('promotion')}/listings",
            json={
                "product_id": product_id,
                "channel": "Shopee",
                "url": f"https://shopee.vn/ocop-lam-dong-{uuid.uuid4().hex[:6]}",
            },
        ),
        201,
    )
    assert listing["state"] == "active"

    # Reporting: each product counted in the year it was certified.
    expected = before + Counter(int(r["certified_on"][:4]) for r in rows)

    async def counted() -> Counter[int] | None:
        now = await certified_by_year(http, services)
        return now if now == expected else None

    await eventually(counted, timeout=120, what="reporting to count them by year")


async def test_a_declared_number_another_product_holds_is_dead_lettered_with_the_reason(
    http: httpx.AsyncClient, services: ServiceStack, infra: Infra
) -> None:
    # As the registry would publish them (Cần Thơ's products: this module's counts stay exact).
    first, second = (f"prd-{uuid.uuid4().hex[:10]}" for _ in range(2))
    number = f"92/2024/OCOP-{uuid.uuid4().hex[:6]}"  # "/" as in many registers
    lookup = f"{services.url('evaluation')}/certificates/{number}"
    await publish(
        infra.kafka_bootstrap, topics.REGISTRY, [registered(first), _declared(first, number)]
    )

    async def adopted() -> dict[str, Any] | None:
        response = await http.get(lookup)
        return expect(response, 200) if response.status_code != 404 else None

    found = await eventually(adopted, what="evaluation to adopt the first declaration")
    assert (found["product_id"], found["origin"]) == (first, "imported")

    await publish(
        infra.kafka_bootstrap, topics.REGISTRY, [registered(second), _declared(second, number)]
    )

    group = f"ocop.{services.namespace}.evaluation"
    (letter,) = await read_dead_letters(
        infra.kafka_bootstrap, topics.REGISTRY, second.encode(), 1, group
    )
    reason = dict(letter.headers)["x-dlq-reason"].decode()
    assert f"certificate {number} is held by product {first}" in reason
    assert expect(await http.get(lookup), 200)["product_id"] == first


def _declared(product_id: str, number: str) -> PriorCertificateDeclared:
    return PriorCertificateDeclared(
        producer="registry",
        aggregate_id=product_id,
        aggregate_version=2,
        province_code="92",
        product_id=product_id,
        certificate_id=number,
        stars=3,
        score=64.0,
        level=RatingLevel.PROVINCE,
        decision_ref="2210/QĐ-UBND",
        issued_on=date(2024, 5, 6),
        valid_until=date(2027, 5, 5),
    )


def _settled(product: dict[str, Any] | None, row: dict[str, str], ended: set[str]) -> bool:
    """The product shows its certificate (evaluation's CertificateIssued, after the rating) and
    the status of today: past its end expired, else valid (maybe in its renewal window)."""
    if product is None or product["certificate"] is None:
        return False
    statuses = {"expired"} if row["certificate_id"] in ended else {"certified", "renewal_due"}
    return product["status"] in statuses


async def _run_scheduler(services: ServiceStack) -> None:
    async with httpx.AsyncClient(headers=admin_headers(), timeout=10.0) as admin:
        expect(await admin.post(f"{services.url('evaluation')}/admin/scheduler/run"), 200)


async def _placeable(http: httpx.AsyncClient, services: ServiceStack, product_id: str) -> None:
    url = f"{services.url('promotion')}/products/{product_id}/eligibility"

    async def placeable() -> bool | None:
        return True if expect(await http.get(url), 200)["placeable"] else None

    await eventually(placeable, timeout=60, what="promotion to learn the certificate")
