"""One-by-one product registrations into a province that already holds N products.

    uv run python bench/registry_register.py [--existing 200 5000] [--registrations 300]

What it drives: the registry's service layer (``RegistryService.register_product``, the use
case ``POST /products`` calls, without HTTP and auth) on the real store (env URL, Docker or
native FerretDB, as the tests pick). For each N it builds a fresh database, fills province 82
with N registered products through the products store's ``add_many`` (as the import does), then
registers ``--registrations`` more one by one, timing each call: the near-duplicate check, the
code allocation and the write. Names are drawn from a small vocabulary of product words and
places, so near-duplicates exist, as in a real province.

Baseline in the same run: ``insert_many`` of the same number of product documents (the state
and outbox a registration writes) into a fresh collection with the registry's indexes.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid
from typing import Any

from ocop_contracts import LegalForm
from ocop_contracts.clock import SYSTEM_CLOCK
from ocop_contracts.reference import communes_of
from ocop_devstack.infra import InfraStack
from ocop_platform.identity import Principal, Role
from ocop_platform.mongo import Database, create_client
from ocop_platform.outbox import OUTBOX_FIELD, outbox_entries
from ocop_registry.adapters.mongo import PRODUCTS, ensure_indexes, mongo_stores
from ocop_registry.domain import rules
from ocop_registry.domain.commands import RegisterEntity, RegisterProduct
from ocop_registry.domain.model import product_code
from ocop_registry.domain.producers import Producer
from ocop_registry.domain.products import Product
from ocop_registry.service_layer.access import Caller
from ocop_registry.service_layer.services import RegistryService

PROVINCE = "82"
SCORING_SET = "I.3.d"
WORDS = (
    *("Tôm khô", "Mắm tôm", "Mật ong", "Bánh phồng tôm", "Khô cá lóc", "Nước mắm", "Gạo thơm"),
    *("Trà mãng cầu", "Rượu dừa", "Cá khô", "Chuối sấy", "Mứt dừa", "Bánh tráng", "Kẹo dừa"),
    *("Cà phê rang xay", "Trà sen", "Dầu dừa"),
)
PLACES = ("Cái Bè", "Gò Công", "Tân Phước", "Chợ Gạo", "Cai Lậy", "Mỹ Tho", "Tân Thới", "Vàm Láng")
GRADES = ("", "", " loại 1", " đặc biệt", " hộp 500g", " truyền thống")


def names(rng: random.Random, n: int) -> list[str]:
    return [
        f"{rng.choice(WORDS)} {rng.choice(PLACES)}{rng.choice(GRADES)} {rng.randrange(10**4)}"
        if rng.random() < 0.7
        else f"{rng.choice(WORDS)} {rng.choice(PLACES)}{rng.choice(GRADES)}"
        for _ in range(n)
    ]


def caller() -> Caller:
    return Principal(
        subject="bench", roles=frozenset({Role.PROVINCE_OFFICE}), provinces=frozenset({PROVINCE})
    )


def product(producer: Producer, name: str, number: int) -> Product:
    cmd = RegisterProduct(entity_id=producer.id, name=name, scoring_set_code=SCORING_SET, year=2026)
    classification = rules.classify(SCORING_SET, producer.legal_form, None)
    now = SYSTEM_CLOCK.now()
    new = Product.draft(f"prd-{uuid.uuid4().hex[:12]}", cmd, producer, classification, now)
    new.register(product_code(PROVINCE, producer.commune_code, number, 2026), now)
    return new


async def fill(service: RegistryService, producer: Producer, count: int, rng: random.Random) -> int:
    """``count`` registered products of the province, in batches of 500 through add_many."""
    made = [product(producer, name, 50_000 + i) for i, name in enumerate(names(rng, count))]
    for start in range(0, len(made), 500):
        await service.stores.products.add_many(made[start : start + 500])
    return len(made)


async def registrations(db: Database, existing: int, count: int) -> list[float]:
    await ensure_indexes(db)
    service = RegistryService(mongo_stores(db))
    who = caller()
    commune = communes_of(PROVINCE)[0]
    entity = RegisterEntity(
        name="HTX bench",
        legal_form=LegalForm.COOPERATIVE,
        province_code=PROVINCE,
        commune_code=commune,
    )
    producer = await service.register_entity(entity, who)
    rng = random.Random(existing)
    await fill(service, producer, existing, rng)
    timings: list[float] = []
    for name in names(rng, count):
        cmd = RegisterProduct(
            entity_id=producer.id, name=name, scoring_set_code=SCORING_SET, year=2026
        )
        started = time.perf_counter()
        await service.register_product(cmd, who)
        timings.append(time.perf_counter() - started)
    return timings


async def raw_baseline(db: Database, count: int) -> float:
    """insert_many of ``count`` product documents as a registration stores them."""
    await ensure_indexes(db)
    who = Producer.register(
        "ent-raw",
        RegisterEntity(
            name="HTX raw",
            legal_form=LegalForm.COOPERATIVE,
            province_code=PROVINCE,
            commune_code=communes_of(PROVINCE)[0],
        ),
        SYSTEM_CLOCK.now(),
    )
    rng = random.Random(0)
    documents: list[dict[str, Any]] = []
    for i, name in enumerate(names(rng, count)):
        made = product(who, name, 90_000 + i)
        documents.append({**made.to_document(), OUTBOX_FIELD: outbox_entries(made.pending_events)})
    started = time.perf_counter()
    await db[PRODUCTS].insert_many(documents, ordered=False)
    return time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def main(existing: list[int], count: int) -> None:
    with InfraStack() as infra:
        client = create_client(infra.mongo_url, max_pool_size=1)
        try:
            raw_db = client[f"bench_register_raw_{uuid.uuid4().hex[:6]}"]
            raw = await raw_baseline(raw_db, count)
            await client.drop_database(raw_db.name)
            print(f"infrastructure mode {infra.mode}; {count} registrations per run")
            print(f"  raw insert_many of {count} product documents: {count / raw:8.0f} docs/s")
            for n in existing:
                db = client[f"bench_register_{n}_{uuid.uuid4().hex[:6]}"]
                started = time.perf_counter()
                timings = await registrations(db, n, count)
                total = time.perf_counter() - started
                await client.drop_database(db.name)
                print(
                    f"  province holding {n:>6} products: {count / sum(timings):7.1f} "
                    f"registrations/s, p50 {1000 * statistics.median(timings):7.1f} ms, "
                    f"p99 {1000 * percentile(timings, 0.99):7.1f} ms "
                    f"(run with its fill: {total:.1f} s)"
                )
        finally:
            await client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--existing", type=int, nargs="+", default=[200, 5000])
    parser.add_argument("--registrations", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(main(args.existing, args.registrations))
