"""Throughput of the registry's bulk import against a raw insert_many baseline, in one run.

    uv run python bench/registry_import.py [--rows 20000] [--format csv|xlsx]

Both paths write the same number of product documents (plus their producers) to a fresh database
of the same store:
  raw insert_many   minimal pre-built documents, batches of 500, no indexes, checks or events
  same docs, raw    the import's own documents (producers, products with their outbox events)
                    built beforehand, inserted with insert_many into collections with the
                    registry's indexes: the store's share of the import's time
  registry import   the real ImportService: read the file row by row, check every row against
                    the reference data (province, commune, scoring set, tax number, codes), write
                    producers and products in batches of 500, each with its event in the outbox,
                    updating the job's progress after each batch
It prints rows/s of each, the ratio, the job's progress as it was polled, and the process's peak
RSS growth (the file is read twice from disk, never held whole). The outbox relay is not running
here: publishing the events is the platform relay's work and is measured by bench/pipeline.py.
Infrastructure as in the tests: env URLs, Docker, or native processes.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import resource
import tempfile
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import openpyxl

from ocop_contracts.clock import SYSTEM_CLOCK
from ocop_contracts.reference import communes_of, fold_vi
from ocop_devstack.infra import InfraStack
from ocop_platform.aggregates import Aggregate
from ocop_platform.mongo import create_client
from ocop_platform.outbox import OUTBOX_FIELD, outbox_entries
from ocop_registry.adapters.mongo import ENTITIES, PRODUCTS, ensure_indexes, mongo_stores
from ocop_registry.domain.codes import tax_check_digit
from ocop_registry.domain.producers import Producer
from ocop_registry.domain.products import Product
from ocop_registry.service_layer.imports import (
    Checked,
    ImportService,
    check_row,
    imported_producer,
    imported_product,
)
from ocop_registry.service_layer.services import RegistryService

PROVINCE = "82"
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
    "stars",
    "score",
    "certificate_id",
    "decision_ref",
    "certified_on",
]
SCORES = {3: 60.0, 4: 78.0, 5: 92.0}  # within each star's band


def _tax(rng: random.Random) -> str:
    while True:
        head = f"{rng.randrange(10**9):09d}"
        digit = tax_check_digit(head)
        if digit is not None:
            return head + str(digit)


def table(n: int) -> list[list[Any]]:
    rng = random.Random(n)
    communes = communes_of(PROVINCE)
    producers = max(1, n // 4)
    taxes = [_tax(rng) for _ in range(producers)]
    sets = ["I.3.d", "I.1.a", "I.4.a", "II.1.a", "IV.1", "I.6"]
    return [
        [
            f"HTX số {i % producers}",
            "cooperative",
            taxes[i % producers],
            PROVINCE,
            communes[i % len(communes)],
            f"Nguyễn Thị {i % producers}",
            "female",
            "Kinh",
            f"Sản phẩm thứ {i}",
            sets[i % len(sets)],
            2024,
            *(_certificate(i) if i % 5 == 0 else [""] * 5),
        ]
        for i in range(n)
    ]


def _certificate(i: int) -> list[Any]:
    """A certified row's stars, score, number, decision and date (5★: the Ministry's)."""
    stars = 3 + i % 3
    issuer = "QĐ-BNNMT" if stars == 5 else "QĐ-UBND"
    return [
        stars,
        SCORES[stars],
        f"{PROVINCE}-2024-{i:06d}",
        f"{100 + i % 900}/{issuer}",
        "2024-09-01",
    ]


def write_file(rows: list[list[Any]], kind: str, directory: Path) -> Path:
    path = directory / f"register.{kind}"
    if kind == "csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            writer.writerows(rows)
    else:
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(HEADER)
        for row in rows:
            sheet.append(row)
        book.save(path)
    return path


async def raw_baseline(mongo_url: str, rows: list[list[Any]]) -> float:
    client = create_client(mongo_url)
    db = client[f"bench_registry_raw_{uuid.uuid4().hex[:6]}"]
    products = [
        {
            "_id": f"p{i}",
            "name": row[8],
            "name_fold": fold_vi(row[8]),
            "entity_id": f"e{i % max(1, len(rows) // 4)}",
            "province_code": row[3],
            "commune_code": row[4],
            "scoring_set_code": row[9],
            "code_key": f"{row[3]}-{row[4]}-{i}-2024",
        }
        for i, row in enumerate(rows)
    ]
    entities = [{"_id": f"e{i}", "name": f"HTX số {i}"} for i in range(max(1, len(rows) // 4))]
    started = time.perf_counter()
    for start in range(0, len(products), 500):
        await db["products"].insert_many(products[start : start + 500], ordered=False)
    for start in range(0, len(entities), 500):
        await db["entities"].insert_many(entities[start : start + 500], ordered=False)
    elapsed = time.perf_counter() - started
    await client.drop_database(db.name)
    await client.close()
    return elapsed


async def same_documents_raw(mongo_url: str, rows: list[list[Any]]) -> float:
    entities: dict[str, Producer] = {}
    products: list[Product] = []
    sequences: dict[tuple[str, int], int] = {}
    for i, row in enumerate(rows):
        checked = check_row(dict(zip(HEADER, map(str, row), strict=True)), i + 2, PROVINCE)
        assert isinstance(checked, Checked)
        number = sequences[checked.sequence_key] = sequences.get(checked.sequence_key, 0) + 1
        entity = entities.get(checked.entity_key)
        if entity is None:
            entity = entities[checked.entity_key] = imported_producer(checked, SYSTEM_CLOCK.now())
        code = f"{PROVINCE}-{checked.row.commune_code}-{number}-{checked.row.year}"
        products.append(imported_product(checked, entity, code, SYSTEM_CLOCK.now()))
    client = create_client(mongo_url)
    db = client[f"bench_registry_docs_{uuid.uuid4().hex[:6]}"]
    await ensure_indexes(db)
    entity_docs, product_docs = _stored(entities.values()), _stored(products)
    started = time.perf_counter()
    for start in range(0, len(entity_docs), 500):
        await db[ENTITIES].insert_many(entity_docs[start : start + 500], ordered=False)
    for start in range(0, len(product_docs), 500):
        await db[PRODUCTS].insert_many(product_docs[start : start + 500], ordered=False)
    elapsed = time.perf_counter() - started
    await client.drop_database(db.name)
    await client.close()
    return elapsed


def _stored(aggregates: Iterable[Aggregate]) -> list[dict[str, Any]]:
    """The documents the store writes: state, with the events in the outbox."""
    return [{**a.to_document(), OUTBOX_FIELD: outbox_entries(a.pending_events)} for a in aggregates]


async def registry_import(mongo_url: str, path: Path, kind: str) -> tuple[float, dict[str, Any]]:
    client = create_client(mongo_url)
    db = client[f"bench_registry_{uuid.uuid4().hex[:6]}"]
    await ensure_indexes(db)
    imports = ImportService(RegistryService(mongo_stores(db)), path.parent / "work")
    started = time.perf_counter()
    job = await imports.start(
        path,
        kind,
        file_name=path.name,
        province_code=PROVINCE,
        import_valid_rows=False,
        subject="bench",
    )
    last = ""
    while True:
        await asyncio.sleep(0.5)
        state = await imports.job(job["job_id"])
        assert state is not None
        line = (
            f"    {time.perf_counter() - started:6.1f}s {state['status']:<10} "
            f"validated {state['validated_rows']:>6}  imported {state['imported_rows']:>6} "
            f"of {state['total_rows']}"
        )
        if line.split("s ", 1)[1] != last:
            print(line, flush=True)
            last = line.split("s ", 1)[1]
        if state["status"] in ("done", "rejected", "failed"):
            break
    elapsed = time.perf_counter() - started
    await client.drop_database(db.name)
    await client.close()
    return elapsed, state


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main(n: int, kind: str) -> None:
    rows = table(n)
    with tempfile.TemporaryDirectory() as tmp, InfraStack() as infra:
        path = write_file(rows, kind, Path(tmp))
        size = path.stat().st_size
        baseline = await raw_baseline(infra.mongo_url, rows)
        same_docs = await same_documents_raw(infra.mongo_url, rows)
        del rows
        rss_before = _rss_mb()
        print(f"registry import of {n} rows ({kind}, {size / 1e6:.1f} MB), progress as polled:")
        elapsed, job = await registry_import(infra.mongo_url, path, kind)
        rss_after = _rss_mb()
    print(f"\n{n} rows, infrastructure mode {infra.mode}")
    print(f"  raw insert_many   {n / baseline:10.0f} rows/s  ({baseline:.1f}s)")
    print(
        f"  registry import   {n / elapsed:10.0f} rows/s  ({elapsed:.1f}s, status {job['status']}, "
        f"{job['products_created']} products, {job['entities_created']} producers)"
    )
    print(f"  same docs, raw    {n / same_docs:10.0f} rows/s  ({same_docs:.1f}s)")
    print(f"  import / raw      = {baseline / elapsed:.3f}")
    print(f"  import / same docs, raw = {same_docs / elapsed:.3f}")
    print(f"  peak RSS growth during the import: {rss_after - rss_before:.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.format))
