"""Benchmark of evaluation's certificate scheduler against raw single-document updates, in one run.

    uv run python bench/evaluation_scheduler.py [--certificates 500] [--products 5000]

Seeds N products whose certificates are due and, with --products P, P - N more whose next
scheduler day is years away (insert_many), then:
  raw-updates   N update_one calls setting a flag on each document (the floor: one guarded
                single-document write per certificate is what exactly-once costs)
  scheduler     Certificates.run_scheduler over the same N: find the due certificates, build
                CertificateRenewalDue, write flag + outbox entry in one guarded update each
  first call    one scheduler batch, as POST /admin/scheduler/run runs it (its time must stay
                under the 5 s request deadline, and not grow with the products that are not due)
  re-run        a second pass on the same day (must emit nothing: the flags hold)
  scan first /  the same work on a copy of the products through the search the scheduler made
  scan re-run   before its due index (certificate fields; FerretDB reads every product)
It also times the pure domain: N next-star reports on the QĐ 26 food rubric.
Infrastructure as in the tests: env URLs, Docker, or native processes (no Kafka traffic here).
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import date

from ocop_contracts import RatingLevel
from ocop_devstack.infra import InfraStack
from ocop_evaluation.adapters.mongo import REGISTERED, ensure_indexes, mongo_stores
from ocop_evaluation.adapters.stores import Stores
from ocop_evaluation.domain.certificates import Certificate
from ocop_evaluation.domain.products import Product
from ocop_evaluation.domain.rules import rule_set
from ocop_evaluation.domain.scoring import next_star
from ocop_evaluation.service_layer.certificates import Certificates
from ocop_evaluation.service_layer.scheduler import BATCH
from ocop_platform.aggregates import MongoAggregateStore
from ocop_platform.mongo import Document, create_client

TODAY = date(2032, 9, 11)


def products(run: str, n: int, *, start: int = 0, due: date = TODAY) -> list[Product]:
    certificate = Certificate(
        certificate_id="",
        stars=4,
        level=RatingLevel.PROVINCE,
        decision_ref="1/QĐ-UBND",
        issued_on=date(2030, 3, 10),
        valid_until=date(2033, 3, 9),
        expires_on=date(2033, 3, 10),
        renewal_opens_on=date(2032, 9, 11),
        renewal_closes_on=date(2032, 11, 10),
        rule_set_id="qd26-2026",
        next_due_on=due,
    )
    return [
        Product(
            id=f"{run}-{i}",
            version=1,
            stars=4,
            certificate=certificate.model_copy(update={"certificate_id": f"C-{run}-{i}"}),
        )
        for i in range(start, start + n)
    ]


def registered(run: str, n: int) -> list[Document]:
    return [
        {"_id": f"{run}-{i}", "province_code": "92", "scoring_set_code": "I.3.d"} for i in range(n)
    ]


async def scan_batch(products: MongoAggregateStore[Product], stores: Stores, limit: int) -> int:
    """The scheduler before the due index: a search of the products by their certificate's
    fields (on FerretDB v1, a read of every product), then the same announcement and save."""
    due = {"certificate.status": "valid", "certificate.next_due_on": {"$lte": TODAY.isoformat()}}
    emitted = 0
    for product in await products.find(due, limit=limit):
        facts = await stores.registered.get(product.id)
        if facts is not None and product.announce_due(facts, TODAY) is not None:
            await products.save(product)
            emitted += 1
    return emitted


async def main(n: int, total: int) -> None:
    with InfraStack() as infra:
        client = create_client(infra.mongo_url)
        db = client[f"bench_evaluation_{uuid.uuid4().hex[:8]}"]
        try:
            run = uuid.uuid4().hex[:6]
            await db["raw"].insert_many([p.to_document() for p in products(run, n)])
            started = time.perf_counter()
            for i in range(n):
                await db["raw"].update_one(
                    {"_id": f"{run}-{i}", "version": 1},
                    {"$set": {"certificate.renewal_due_sent": True}},
                )
            raw = time.perf_counter() - started

            await ensure_indexes(db)
            stores = mongo_stores(db)
            scanned = MongoAggregateStore(db, "products_scanned", Product)
            # The products not due first: a search for the due ones reads past them all.
            later = products(run, max(total - n, 0), start=n, due=date(2035, 1, 1))
            for store in (stores.products, scanned):
                for chunk in range(0, len(later), 1000):
                    await store.add_many(later[chunk : chunk + 1000])
                await store.add_many(products(run, n))
            await db[REGISTERED].insert_many(registered(run, max(total, n)))

            started = time.perf_counter()
            scan_emitted = await scan_batch(scanned, stores, BATCH)
            scan_first = time.perf_counter() - started
            while await scan_batch(scanned, stores, BATCH):
                pass
            started = time.perf_counter()
            scan_again = await scan_batch(scanned, stores, BATCH)
            scan_rerun = time.perf_counter() - started

            async def today() -> date:
                return TODAY

            service = Certificates(stores, today)
            started = time.perf_counter()
            batch = await service.scheduler_batch(TODAY)  # what POST /admin/scheduler/run does
            first = time.perf_counter() - started
            emitted, first_emitted = batch.renewal_due, batch.renewal_due
            while batch.more:
                batch = await service.scheduler_batch(TODAY)
                emitted += batch.renewal_due
            ours = time.perf_counter() - started
            started = time.perf_counter()
            again = await service.run_scheduler(TODAY)
            rerun = time.perf_counter() - started
        finally:
            await client.drop_database(db.name)
            await client.close()

    rules = rule_set("qd26-2026")
    assert rules is not None
    rubric = rules.rubrics["qd26-food"]
    points = {c: min(o.points for o in crit.options) for c, crit in rubric.criteria.items()}
    started = time.perf_counter()
    for _ in range(n):
        next_star(rules, rubric, points, 40.0)
    pure = time.perf_counter() - started

    print(
        f"\n{n} due certificates among {max(total, n)} products, infrastructure mode "
        f"{infra.mode} (store: {infra.mongo_url})"
    )
    print(f"  raw-updates  {n / raw:8.0f} updates/s   ({raw:.2f}s)")
    print(f"  scheduler    {emitted / ours:8.0f} events/s    ({ours:.2f}s, {emitted} emitted)")
    print(f"  ratio        {raw / ours:8.2f} of the raw single-document update rate")
    print(f"  first call   {first * 1000:8.1f} ms, emitted {first_emitted}")
    print(f"  re-run       {rerun * 1000:8.1f} ms, emitted {sum(again.values())} (must be 0)")
    print(f"  scan first   {scan_first * 1000:8.1f} ms, emitted {scan_emitted} (the search before)")
    print(f"  scan re-run  {scan_rerun * 1000:8.1f} ms, emitted {scan_again} (the search before)")
    print(f"  next-star    {n / pure:8.0f} reports/s (pure domain)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--certificates", type=int, default=500)
    parser.add_argument("--products", type=int, default=0, help="products in all (default: N)")
    args = parser.parse_args()
    asyncio.run(main(args.certificates, args.products))
