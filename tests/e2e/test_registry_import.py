"""Bulk import of a province's register from CSV and XLSX, as a job with progress and a report."""

from __future__ import annotations

import csv
import io
import random
import uuid
from typing import Any

import httpx
import openpyxl
import pytest

from ocop_devstack.services import ServiceStack
from ocop_registry.domain.codes import tax_check_digit
from tests.e2e.registry_helpers import COMMUNES, PROVINCE, client, token
from tests.e2e.support import eventually, expect

pytestmark = pytest.mark.e2e
FINISHED = {"done", "rejected", "failed"}
HEADER = [
    "producer_name",
    "legal_form",
    "tax_code",
    "province_code",
    "commune_code",
    "representative_name",
    "representative_sex",
    "representative_ethnicity",
    "product_name",
    "scoring_set_code",
    "year",
    "product_code",
    "stars",
    "score",
    "certificate_id",
    "decision_ref",
    "certified_on",
]


def tax_code(rng: random.Random) -> str:
    while True:
        head = f"{rng.randrange(10**9):09d}"
        digit = tax_check_digit(head)
        if digit is not None:
            return f"{head}{digit}"


def rows(count: int, tag: str, producers: int = 10) -> list[list[Any]]:
    rng = random.Random(tag)
    taxes = [tax_code(rng) for _ in range(producers)]
    out = []
    for i in range(count):
        p = i % producers
        out.append(
            [
                f"HTX {tag} số {p}",
                "cooperative",
                taxes[p],
                PROVINCE,
                COMMUNES[10 + p % 5],
                f"Người đại diện {p}",
                "female" if p % 2 else "male",
                "Ba Na" if p % 3 == 0 else "Kinh",
                f"Sản phẩm {tag} {i}",
                "I.3.c",
                2023,
                "",
                *(_certificate(tag, i) if i % 4 == 0 else [""] * 5),
            ]
        )
    return out


def _certificate(tag: str, i: int) -> list[Any]:
    """A 4★ certificate of 1 Oct 2023 (numbers of this file only): stars, score, number,
    decision and date."""
    return [4, 78.5, f"{PROVINCE}/2023/{tag}-{i}", "1502/QĐ-UBND", "2023-10-01"]


def as_csv(table: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(table)
    return buffer.getvalue().encode()


def as_xlsx(table: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in table:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def start(
    http: httpx.AsyncClient, services: ServiceStack, name: str, data: bytes, **form: str
) -> dict[str, Any]:
    response = await http.post(
        f"{services.url('registry')}/imports",
        files={"file": (name, data)},
        data={"province_code": PROVINCE, **form},
    )
    job: dict[str, Any] = expect(response, 202)
    return job


async def finished(http: httpx.AsyncClient, services: ServiceStack, job_id: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        job: dict[str, Any] = expect(
            await http.get(f"{services.url('registry')}/imports/{job_id}"), 200
        )
        return job if job["status"] in FINISHED else None

    return await eventually(probe, timeout=120, what=f"import {job_id} to finish")


async def _count(http: httpx.AsyncClient, services: ServiceStack, tag: str) -> int:
    page = expect(
        await http.get(
            f"{services.url('registry')}/products", params={"q": tag, "province_code": PROVINCE}
        ),
        200,
    )
    total: int = page["total"]
    return total


def _with_bad_row(tag: str) -> list[list[Any]]:
    table = rows(3, tag)
    table[1][4] = "99999"  # unknown commune, on spreadsheet row 3
    return table


async def test_a_file_with_errors_imports_nothing_and_reports_each_row(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    tag = uuid.uuid4().hex[:8]
    job = await finished(
        http,
        services,
        (await start(http, services, "so.csv", as_csv(_with_bad_row(tag))))["job_id"],
    )
    assert (job["status"], job["imported_rows"], job["error_rows"]) == ("rejected", 0, 1)
    report = expect(
        await http.get(f"{services.url('registry')}/imports/{job['job_id']}/report"), 200
    )
    assert [(r["row"], r["column"], r["kind"]) for r in report] == [(3, "commune_code", "error")]
    assert await _count(http, services, tag) == 0


async def test_asked_to_the_valid_rows_are_imported_and_the_bad_one_reported(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    tag = uuid.uuid4().hex[:8]
    data = as_csv(_with_bad_row(tag))
    job = await finished(
        http,
        services,
        (await start(http, services, "so.csv", data, import_valid_rows="true"))["job_id"],
    )
    assert (job["status"], job["imported_rows"], job["error_rows"]) == ("done", 2, 1)
    assert await _count(http, services, tag) == 2


async def test_an_xlsx_register_imports_with_progress_and_shared_producers(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    tag = uuid.uuid4().hex[:8]
    started = await start(http, services, "register.xlsx", as_xlsx(rows(40, tag, producers=12)))
    assert started["status"] == "queued"
    job = await finished(http, services, started["job_id"])
    assert job["status"] == "done", job["message"]
    assert (job["total_rows"], job["processed_rows"], job["imported_rows"]) == (40, 40, 40)
    assert (job["entities_created"], job["products_created"]) == (12, 40)
    assert await _count(http, services, tag) == 40


async def test_imported_certified_rows_keep_their_stars(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    tag = uuid.uuid4().hex[:8]
    job = await finished(
        http, services, (await start(http, services, "r.csv", as_csv(rows(4, tag))))["job_id"]
    )
    assert job["status"] == "done"

    # The registry declares the certificate; evaluation adopts it and its events give the stars.
    async def certified() -> dict[str, Any] | None:
        page = expect(
            await http.get(f"{services.url('registry')}/products", params={"q": f"{tag} 0"}), 200
        )
        (product,) = page["items"]
        return product if product["certificate"] is not None else None

    product = await eventually(certified, what="evaluation's certificate in the registry")
    assert (product["stars"], product["certificate"]["valid_until"]) == (4, "2026-09-30")


async def test_a_legacy_code_in_an_import_is_found_by_the_public_lookup(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    tag = uuid.uuid4().hex[:8]
    table = rows(1, tag)
    legacy = f"64-{random.randrange(100, 999)}-2{random.randrange(1000, 9999)}-7-2023"
    table[0][11] = legacy
    job = await finished(
        http, services, (await start(http, services, "r.csv", as_csv(table)))["job_id"]
    )
    assert job["status"] == "done", job["errors_preview"]
    async with client(None) as public:
        found = expect(
            await public.get(f"{services.url('registry')}/public/lookup", params={"q": legacy}),
            200,
        )
    assert found["legacy_product_code"] == legacy
    assert found["name"] == f"Sản phẩm {tag} 0"


async def test_only_the_province_office_imports_its_register(services: ServiceStack) -> None:
    officer = token(["commune_officer"], [PROVINCE], communes=[COMMUNES[10]])
    other_office = token(["province_office"], ["82"])
    data = as_csv(rows(1, uuid.uuid4().hex[:8]))
    codes = []
    for bearer in (officer, other_office):
        async with client(bearer) as http:
            response = await http.post(
                f"{services.url('registry')}/imports",
                files={"file": ("r.csv", data)},
                data={"province_code": PROVINCE},
            )
            codes.append(response.status_code)
    assert codes == [403, 403]


async def test_an_unsupported_file_type_is_refused_naming_file(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    response = await http.post(
        f"{services.url('registry')}/imports",
        files={"file": ("register.pdf", b"%PDF-1.4")},
        data={"province_code": PROVINCE},
    )
    refused = expect(response, 422)
    assert refused["detail"][0]["loc"] == ["body", "file"]
