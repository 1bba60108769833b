"""The registry's lookups through its key collections, on the real store (MongoDB or FerretDB).

Registrations find the same near-duplicates as a comparison with every name of the province;
renames and withdrawals move the keys; a key left behind by a crash between the two writes
(or by a refused save) leads nowhere; a database from before the keys gets them at startup.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from datetime import date

import pytest
from pymongo import AsyncMongoClient, monitoring

from ocop_contracts import LegalForm, ProductRated, RatingLevel
from ocop_contracts.clock import SYSTEM_CLOCK
from ocop_contracts.events.evaluation import CertificateIssued
from ocop_contracts.reference import communes_of
from ocop_devstack.infra import Infra
from ocop_platform.errors import Conflict
from ocop_platform.identity import Principal, Role
from ocop_platform.mongo import Database, Document, create_client
from ocop_platform.outbox import OUTBOX_FIELD
from ocop_registry.adapters import keys
from ocop_registry.adapters.keys import KeyIndex, code_key, name_key, product_keys
from ocop_registry.adapters.mongo import (
    PRODUCT_KEYS,
    PRODUCTS,
    ensure_indexes,
    mongo_stores,
)
from ocop_registry.domain import rules
from ocop_registry.domain.commands import (
    RegisterEntity,
    RegisterProduct,
    UpdateProduct,
    WithdrawProduct,
)
from ocop_registry.domain.duplicates import index_keys, near_duplicates
from ocop_registry.domain.lifecycle import EvaluationEvent
from ocop_registry.domain.model import product_code
from ocop_registry.domain.products import Product
from ocop_registry.service_layer.services import RegistryService
from tests.integration.support import CommandWatcher
from tests.unit.registry.test_registry_duplicate_keys import generated

pytestmark = pytest.mark.integration
PROVINCE = "82"
COMMUNE, OTHER = communes_of(PROVINCE)[:2]
OFFICE = Principal(
    subject="office-82", roles=frozenset({Role.PROVINCE_OFFICE}), provinces=frozenset({PROVINCE})
)


@pytest.fixture
async def db(infra: Infra) -> AsyncIterator[Database]:
    client = create_client(infra.mongo_url, max_pool_size=1)
    database = client[f"test_registry_keys_{uuid.uuid4().hex[:8]}"]
    await ensure_indexes(database)
    yield database
    await client.drop_database(database.name)
    await client.close()


async def producer(service: RegistryService, commune: str = COMMUNE, **fields: str) -> str:
    cmd = RegisterEntity(
        name="HTX Tân Thuận",
        legal_form=LegalForm.COOPERATIVE,
        province_code=PROVINCE,
        commune_code=commune,
        **fields,
    )
    return (await service.register_entity(cmd, OFFICE)).id


def product(entity_id: str, name: str) -> RegisterProduct:
    return RegisterProduct(entity_id=entity_id, name=name, scoring_set_code="I.3.d", year=2026)


async def test_registrations_warn_as_a_comparison_with_every_name_does(db: Database) -> None:
    service = RegistryService(mongo_stores(db))
    here, there = await producer(service), await producer(service, OTHER)
    rng = random.Random(3)
    warned = 0
    for i, name in enumerate(generated(11, 60)):
        every = await service.stores.catalogue.duplicate_candidates(PROVINCE)
        expected = near_duplicates(name, COMMUNE if i % 2 else OTHER, every)
        entity = here if i % 2 else there
        _, warnings = await service.register_product(product(entity, name), OFFICE)
        assert warnings == expected, name
        warned += bool(warnings)
        if rng.random() < 0.2:  # some renamed, some withdrawn: the keys follow
            await _rename_or_withdraw(service, rng)
    assert warned > 20


async def _rename_or_withdraw(service: RegistryService, rng: random.Random) -> None:
    products = await service.stores.products.find({"status": "registered"}, limit=1000)
    chosen = rng.choice(products)
    if rng.random() < 0.5:
        await service.update_product(chosen.id, UpdateProduct(name=f"{chosen.name} mới"), OFFICE)
    else:
        await service.withdraw_product(chosen.id, WithdrawProduct(reason="ngừng"), OFFICE)


async def test_a_renamed_or_withdrawn_product_no_longer_warns(db: Database) -> None:
    service = RegistryService(mongo_stores(db))
    entity = await producer(service)
    renamed, _ = await service.register_product(product(entity, "Tôm khô Cà Mau"), OFFICE)
    withdrawn, _ = await service.register_product(product(entity, "Mật ong U Minh"), OFFICE)

    await service.update_product(renamed.id, UpdateProduct(name="Khô cá lóc đồng"), OFFICE)
    await service.withdraw_product(withdrawn.id, WithdrawProduct(reason="ngừng"), OFFICE)

    _, shrimp = await service.register_product(product(entity, "Tôm khô Cà Mau"), OFFICE)
    _, honey = await service.register_product(product(entity, "Mật ong U Minh"), OFFICE)
    _, fish = await service.register_product(product(entity, "Khô cá lóc đồng"), OFFICE)
    assert shrimp == [] and honey == []
    assert [d.product_id for d in fish] == [renamed.id]
    index = KeyIndex(db[PRODUCT_KEYS])
    gone = index_keys("tom kho ca mau") - index_keys("kho ca loc dong")
    old = [name_key(PROVINCE, key) for key in gone]
    honey_keys = [name_key(PROVINCE, key) for key in index_keys("mat ong u minh")]
    assert renamed.id not in await index.lookup(old)
    assert withdrawn.id not in await index.lookup(honey_keys)


async def test_codes_and_producers_are_found_by_their_keys(db: Database) -> None:
    service = RegistryService(mongo_stores(db))
    entity = await producer(service, tax_code="0100109106")
    made, _ = await service.register_product(product(entity, "Gạo ST25"), OFFICE)
    catalogue = service.stores.catalogue
    assert made.product_code is not None
    unused = made.product_code.replace("-2026", "-2025")
    assert await catalogue.taken_codes([made.product_code, unused]) == {made.product_code}
    assert (await catalogue.product_with("code_key", made.product_code)).id == made.id  # type: ignore[union-attr]
    assert [p.id for p in await catalogue.products_of(entity)] == [made.id]
    assert list(await catalogue.producers_registered_as(["mst:0100109106", "mst:x"])) == [
        "mst:0100109106"
    ]
    with pytest.raises(Conflict):
        await producer(service, tax_code="0100109106")


def rating(product_id: str, version: int) -> ProductRated:
    return ProductRated(
        producer="evaluation",
        aggregate_id=product_id,
        aggregate_version=version,
        province_code=PROVINCE,
        product_id=product_id,
        score=75.0,
        stars=4,
        previous_stars=0,
        level=RatingLevel.PROVINCE,
        rule_set_id="qd26-2026",
        rated_on=date(2026, 11, 1),
        scoring_set_code="I.3.d",
    )


def certificate(product_id: str) -> CertificateIssued:
    return CertificateIssued(
        producer="evaluation",
        aggregate_id=product_id,
        aggregate_version=2,
        province_code=PROVINCE,
        certificate_id="GL-9",
        product_id=product_id,
        stars=4,
        level=RatingLevel.PROVINCE,
        decision_ref="1/QĐ-UBND",
        issued_on=date(2026, 11, 2),
        valid_until=date(2029, 11, 1),
        rule_set_id="qd26-2026",
    )


async def test_a_certificate_leads_to_its_product(db: Database) -> None:
    service = RegistryService(mongo_stores(db))
    made, _ = await service.register_product(product(await producer(service), "Trà sen"), OFFICE)
    await service.on_evaluation_event(rating(made.id, version=1))
    await service.on_evaluation_event(certificate(made.id))
    catalogue = service.stores.catalogue
    assert [p.id for p in await catalogue.certificate_holders(["GL-9", "GL-0"])] == [made.id]
    assert (await service.lookup("GL-9")).id == made.id


async def test_a_rename_by_another_process_is_moved_from_on_the_next_save(db: Database) -> None:
    """Each process remembers the keys of what it loaded or saved, by revision: a rename saved
    by another process in between must not be taken for the stored name."""
    here, there = RegistryService(mongo_stores(db)), RegistryService(mongo_stores(db))
    entity = await producer(here)
    made, _ = await here.register_product(product(entity, "Tôm khô Cà Mau"), OFFICE)
    await here.update_product(made.id, UpdateProduct(name="Mật ong U Minh"), OFFICE)
    await there.update_product(made.id, UpdateProduct(name="Khô cá lóc đồng"), OFFICE)
    await here.update_product(made.id, UpdateProduct(name="Trà sen Tây Hồ"), OFFICE)

    index = KeyIndex(db[PRODUCT_KEYS])
    for old in ("tom kho ca mau", "mat ong u minh", "kho ca loc dong"):
        gone = index_keys(old) - index_keys("tra sen tay ho")
        assert made.id not in await index.lookup([name_key(PROVINCE, key) for key in gone]), old
    _, tea = await here.register_product(product(entity, "Trà sen Tây Hồ"), OFFICE)
    assert [d.product_id for d in tea] == [made.id]


class FindsOf(CommandWatcher):
    """Counts the ``find`` commands sent for one collection."""

    def __init__(self, collection: str) -> None:
        self.collection, self.count = collection, 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find" and event.command.get("find") == self.collection:
            self.count += 1


async def test_a_batch_of_evaluation_events_reads_its_products_once(
    infra: Infra, db: Database
) -> None:
    """Prefetched: one read of the batch's products, none per event, none before each save."""
    finds = FindsOf(PRODUCTS)
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        infra.mongo_url, event_listeners=[finds], tz_aware=True, maxPoolSize=1
    )
    try:
        service = RegistryService(mongo_stores(client[db.name]))
        entity = await producer(service)
        products = [
            (await service.register_product(product(entity, name), OFFICE))[0]
            for name in ("Trà sen", "Mật ong U Minh", "Khô cá lóc đồng")
        ]
        events: list[EvaluationEvent] = [rating(p.id, version=1) for p in products]
        events.append(certificate(products[0].id))
        finds.count = 0
        async with service.prefetch_evaluated(events):
            for event in events:
                await service.on_evaluation_event(event)
        assert finds.count == 1
        stored = [await service.stores.products.get(p.id) for p in products]
        assert [p.stars for p in stored if p is not None] == [4, 4, 4]
        holders = await service.stores.catalogue.certificate_holders(["GL-9"])
        assert [p.id for p in holders] == [products[0].id]
    finally:
        await client.close()


async def test_keys_left_by_a_crash_lead_nowhere(db: Database) -> None:
    """Keys are written before the product: a crash in between leaves keys of no product."""
    service = RegistryService(mongo_stores(db))
    entity = await producer(service)
    ghost = {
        "_id": "prd-ghost",
        "code_key": f"{PROVINCE}-{COMMUNE}-77-2026",
        "entity_id": entity,
        "province_code": PROVINCE,
        "name_fold": "tom kho ca mau",
        "status": "registered",
    }
    await KeyIndex(db[PRODUCT_KEYS]).add([("prd-ghost", product_keys(ghost), "tom kho ca mau")])
    catalogue = service.stores.catalogue
    assert await catalogue.taken_codes([ghost["code_key"]]) == set()
    assert await catalogue.product_with("code_key", ghost["code_key"]) is None
    assert await catalogue.products_of(entity) == []
    _, warnings = await service.register_product(product(entity, "Tôm khô Cà Mau"), OFFICE)
    assert warnings == []


async def test_a_rename_cut_short_keeps_the_stored_name_found(db: Database) -> None:
    """The new name's keys are written, then the save never happens (a crash, or a refusal):
    the product still warns under its stored name, and not under the other."""
    service = RegistryService(mongo_stores(db))
    entity = await producer(service)
    made, _ = await service.register_product(product(entity, "Tôm khô Cà Mau"), OFFICE)
    renamed = {**await db[PRODUCTS].find_one({"_id": made.id}), "name_fold": "mat ong u minh"}  # type: ignore[dict-item]
    index = KeyIndex(db[PRODUCT_KEYS])
    await index.add([(made.id, product_keys(renamed), "mat ong u minh")])

    _, warnings = await service.register_product(product(entity, "Tôm khô Cà Mau"), OFFICE)
    _, none = await service.register_product(product(entity, "Mật ong U Minh"), OFFICE)
    assert [d.product_id for d in warnings] == [made.id]
    assert made.id not in [d.product_id for d in none]


async def test_a_database_from_before_the_keys_gets_them_at_startup(db: Database) -> None:
    service = RegistryService(mongo_stores(db))
    entity = await producer(service)
    made, _ = await service.register_product(product(entity, "Kẹo dừa Bến Tre"), OFFICE)
    stored = await db[PRODUCTS].find_one({"_id": made.id}, {OUTBOX_FIELD: 0})
    await db.drop_collection(PRODUCT_KEYS)  # as before the key collections existed
    assert await service.stores.catalogue.taken_codes([stored["code_key"]]) == set()  # type: ignore[index]

    await ensure_indexes(db)

    assert await KeyIndex(db[PRODUCT_KEYS]).lookup([code_key(stored["code_key"])])  # type: ignore[index]
    _, warnings = await service.register_product(product(entity, "Kẹo dừa Bến Tre"), OFFICE)
    assert [d.product_id for d in warnings] == [made.id]


async def test_a_numbered_series_crowds_its_shared_keys_and_still_warns(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A province registering "… số 1", "… số 2", …: the keys every name shares stop taking
    products at the cap (one by one and in a batch alike), so a registration's reads and writes
    stay the same size; a new name is still compared with the products they hold, and an
    identical name, filed under its rarer keys too, is still found first."""
    monkeypatch.setattr(keys, "CROWDED_AFTER", 5)
    service = RegistryService(mongo_stores(db))
    entity = await producer(service)
    for i in range(12):
        await service.register_product(product(entity, f"Sản phẩm thử sự cố số {i}"), OFFICE)
    await service.stores.products.add_many(
        [await _draft(service, entity, f"Sản phẩm thử sự cố số {i}") for i in range(12, 24)]
    )

    name_keys = [d async for d in db[PRODUCT_KEYS].find({"_id": {"$regex": "^name:"}})]
    assert max(len(d["e"]) for d in name_keys) == 5
    assert all(d["n"] <= 5 for d in name_keys)
    crowded = [d["_id"] for d in name_keys if d["n"] == 5]
    assert name_key(PROVINCE, "w:pham san") in crowded

    again, warnings = await service.register_product(
        product(entity, "Sản phẩm thử sự cố số 11"), OFFICE
    )
    assert len(warnings) == 5
    assert (warnings[0].name, warnings[0].similarity) == ("Sản phẩm thử sự cố số 11", 1.0)
    assert again.id not in {w.product_id for w in warnings}


async def _draft(service: RegistryService, entity_id: str, name: str) -> Product:
    """A registered product as the import builds it, not yet stored."""
    producer = await service.stores.producers.get(entity_id)
    assert producer is not None
    cmd = product(entity_id, name)
    classification = rules.classify(cmd.scoring_set_code, producer.legal_form, None)
    now = SYSTEM_CLOCK.now()
    made = Product.draft(f"prd-{uuid.uuid4().hex[:12]}", cmd, producer, classification, now)
    made.register(product_code(PROVINCE, producer.commune_code, len(name), 2026), now)
    return made
