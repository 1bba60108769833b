"""Bulk import of a province's register from CSV and XLSX, as a job with progress and a report;
with an Idempotency-Key, a repeated upload starts one job and imports once."""

from __future__ import annotations

import asyncio
import csv
import io
import random
import uuid
from typing import Any

import httpx
import openpyxl
import pytest
from pymongo import AsyncMongoClient

from ocop_devstack.infra import Infra
from ocop_devstack.services import ServiceStack
from ocop_platform.aggregates import AggregateExists
from ocop_registry.adapters.mongo import MongoImportJobs
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


async def _upload(
    http: httpx.AsyncClient, services: ServiceStack, name: str, data: bytes, key: str
) -> httpx.Response:
    return await http.post(
        f"{services.url('registry')}/imports",
        files={"file": (name, data)},
        data={"province_code": PROVINCE},
        headers={"Idempotency-Key": key},
    )


async def _jobs_named(infra: Infra, services: ServiceStack, file_name: str) -> int:
    """How many import jobs the registry's store holds for this file name."""
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(infra.mongo_url)
    try:
        db = client[services.env_for("registry")["OCOP_MONGO_DB"]]
        return await db["imports"].count_documents({"file_name": file_name})
    finally:
        await client.close()


async def test_a_repeated_upload_with_an_idempotency_key_imports_once(
    http: httpx.AsyncClient, services: ServiceStack, infra: Infra
) -> None:
    tag, key = uuid.uuid4().hex[:8], str(uuid.uuid4())
    name, data = f"{tag}.csv", as_csv(rows(5, tag))

    first = expect(await _upload(http, services, name, data, key), 202)
    again = expect(await _upload(http, services, name, data, key), 200)
    job = await finished(http, services, first["job_id"])
    after = expect(await _upload(http, services, name, data, key), 200)

    assert again["job_id"] == first["job_id"]
    assert after == job  # the first job, as it is now
    assert (job["status"], job["products_created"]) == ("done", 5), job["message"]
    assert await _count(http, services, tag) == 5
    assert await _jobs_named(infra, services, name) == 1


async def test_the_same_key_with_another_file_is_a_422_naming_the_header(
    http: httpx.AsyncClient, services: ServiceStack, infra: Infra
) -> None:
    tag, key = uuid.uuid4().hex[:8], str(uuid.uuid4())
    name = f"{tag}.csv"
    first = expect(await _upload(http, services, name, as_csv(rows(2, tag)), key), 202)

    refused = expect(await _upload(http, services, name, as_csv(rows(3, tag)), key), 422)

    (problem,) = refused["detail"]
    assert problem["loc"] == ["header", "Idempotency-Key"]
    assert first["job_id"] in problem["msg"]
    assert (await finished(http, services, first["job_id"]))["products_created"] == 2
    assert await _count(http, services, tag) == 2
    assert await _jobs_named(infra, services, name) == 1


async def test_two_uploads_in_flight_with_one_key_start_one_job(
    http: httpx.AsyncClient, services: ServiceStack, infra: Infra
) -> None:
    """A client that sent again before the first answer: one job, whichever reads the job
    first (the other answered 200 from it, or from its refused insert: see the next test)."""
    tag, key = uuid.uuid4().hex[:8], str(uuid.uuid4())
    name, data = f"{tag}.csv", as_csv(rows(3, tag))

    answers = await asyncio.gather(*(_upload(http, services, name, data, key) for _ in range(2)))

    assert sorted(a.status_code for a in answers) == [200, 202], [a.text for a in answers]
    (job_id,) = {a.json()["job_id"] for a in answers}
    assert (await finished(http, services, job_id))["products_created"] == 3
    assert await _count(http, services, tag) == 3
    assert await _jobs_named(infra, services, name) == 1


async def test_the_job_store_refuses_a_second_job_under_one_id(infra: Infra) -> None:
    """The guard of two keyed uploads in flight at once, on the real store: the second insert
    under the key's job id is AggregateExists (a Conflict that start_once answers by reading
    the job), and the first job stays as it was."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongo_url)
    name = f"ocop_imp_{uuid.uuid4().hex[:10]}"
    jobs = MongoImportJobs(client[name])
    job = {"job_id": f"imp-{uuid.uuid4().hex[:24]}", "status": "queued", "file_name": "a.csv"}
    try:
        await jobs.add(job)
        with pytest.raises(AggregateExists):
            await jobs.add({**job, "file_name": "b.csv"})
        assert await jobs.get(job["job_id"]) == job
    finally:
        await client.drop_database(name)
        await client.close()
