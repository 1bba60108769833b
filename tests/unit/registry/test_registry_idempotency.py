"""POST /entities and POST /products with an Idempotency-Key, as use cases over the stores in
memory: a repeat finds what the first request created (no second aggregate, no second event),
the same key with another body is refused, and an attempt in flight or cut short never leads to
two aggregates (domain/idempotency.py)."""

from __future__ import annotations

from typing import Any

import pytest

from ocop_contracts.clock import Clock
from ocop_contracts.events.registry import EntityRegistered, ProductRegistered
from ocop_platform.aggregates import InMemoryAggregateStore
from ocop_platform.identity import Principal, Role
from ocop_registry.adapters.catalogue import StoreCatalogue
from ocop_registry.adapters.memory import (
    InMemoryProductStore,
    MemoryCodeSequences,
    MemoryImportJobs,
)
from ocop_registry.adapters.stores import RegistryStores
from ocop_registry.domain.idempotency import HEADER, KeyReused
from ocop_registry.domain.producers import Producer
from ocop_registry.domain.products import Product
from ocop_registry.service_layer.services import RegistryService
from tests.unit.registry.registry_builders import (
    TODAY,
    published,
    register_entity,
    register_product,
)

OFFICE = Principal(
    subject="office-52", roles=frozenset({Role.PROVINCE_OFFICE}), provinces=frozenset({"52"})
)
OTHER_OFFICE = Principal(
    subject="office-52-bis", roles=frozenset({Role.PROVINCE_OFFICE}), provinces=frozenset({"52"})
)
KEY = "3f1c2b9e-6d4a-4e8b-9a51-2c7d0e5f8a10"
LEGACY_CODE = "64-622-23621-7-2022"  # old Gia Lai (64), today's Gia Lai (52)


class LateProducers(InMemoryAggregateStore[Producer]):
    """Producers whose first read misses what another attempt of the request is saving at that
    moment: the attempt in flight alongside that saves it between this one's read and insert."""

    def __init__(self) -> None:
        super().__init__(Producer)
        self.hidden_reads = 1

    async def get(self, aggregate_id: str) -> Producer | None:
        if self.hidden_reads:
            self.hidden_reads -= 1
            return None
        return await super().get(aggregate_id)


class CutShortProducts(InMemoryProductStore):
    """Products whose first insert fails after the code was allocated (the attempt cut short
    past the request deadline, or the connection dropped before it wrote)."""

    def __init__(self) -> None:
        super().__init__(Product)
        self.failures = 1

    async def add(self, aggregate: Product) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("the store went away")
        await super().add(aggregate)


def registry(
    products: InMemoryProductStore | None = None,
    producers: InMemoryAggregateStore[Producer] | None = None,
) -> RegistryService:
    products = products or InMemoryProductStore(Product)
    producers = producers or InMemoryAggregateStore(Producer)
    stores = RegistryStores(
        products=products,
        producers=producers,
        sequences=MemoryCodeSequences(),
        catalogue=StoreCatalogue(products, producers),
        jobs=MemoryImportJobs(),
    )
    return RegistryService(stores, Clock(today=TODAY))


def events_of(service: RegistryService, kind: type[Any]) -> list[Any]:
    return [event for event in published(service.stores) if isinstance(event, kind)]


async def a_producer(service: RegistryService) -> str:
    producer = await service.register_entity(register_entity(name="HTX Chư Păh"), OFFICE)
    return producer.id


# --- producers ----------------------------------------------------------------------------------


async def test_a_repeated_producer_registration_finds_the_first_and_publishes_once() -> None:
    service = registry()
    cmd = register_entity(tax_code="0100109106")  # a second registration of it would be a 409

    first, first_repeat = await service.register_entity_once(cmd, OFFICE, KEY)
    again, again_repeat = await service.register_entity_once(cmd, OFFICE, KEY)

    assert (first_repeat, again_repeat) == (False, True)
    assert again.id == first.id and again.model_dump() == first.model_dump()
    assert await service.stores.producers.count({}) == 1
    assert [e.entity_id for e in events_of(service, EntityRegistered)] == [first.id]


async def test_the_same_key_with_another_body_is_refused_naming_the_header() -> None:
    service = registry()
    first, _ = await service.register_entity_once(register_entity(), OFFICE, KEY)

    with pytest.raises(KeyReused) as refused:
        await service.register_entity_once(register_entity(name="HTX Khác"), OFFICE, KEY)

    assert refused.value.field == HEADER
    assert refused.value.status_code == 422
    assert first.id in refused.value.message
    assert await service.stores.producers.count({}) == 1
    assert len(events_of(service, EntityRegistered)) == 1


async def test_a_key_belongs_to_its_caller() -> None:
    service = registry()

    mine, _ = await service.register_entity_once(register_entity(), OFFICE, KEY)
    theirs, repeat = await service.register_entity_once(
        register_entity(name="HTX Khác"), OTHER_OFFICE, KEY
    )

    assert not repeat and theirs.id != mine.id
    assert await service.stores.producers.count({}) == 2


async def test_the_same_key_always_gives_the_same_producer_id() -> None:
    """The id comes from the caller and the key, so a retry lands on the first attempt's id."""
    first, second = registry(), registry()

    one, _ = await first.register_entity_once(register_entity(), OFFICE, KEY)
    two, _ = await second.register_entity_once(register_entity(), OFFICE, KEY)
    other, _ = await second.register_entity_once(register_entity(), OFFICE, KEY + "-2")

    assert one.id == two.id != other.id
    assert one.id.startswith("ent-")


async def test_an_attempt_in_flight_alongside_leaves_one_producer() -> None:
    """The other attempt saves the producer after this one looked for it: this one's insert
    hits the same id and answers with what the other saved."""
    producers = LateProducers()
    service = registry(producers=producers)
    cmd = register_entity()
    saved, _ = await service.register_entity_once(cmd, OFFICE, KEY)  # the attempt in flight
    producers.hidden_reads = 1

    found, repeat = await service.register_entity_once(cmd, OFFICE, KEY)

    assert repeat and found.id == saved.id
    assert await producers.count({}) == 1
    assert len(events_of(service, EntityRegistered)) == 1


async def test_without_a_key_every_request_registers_a_producer() -> None:
    service = registry()

    one = await service.register_entity(register_entity(), OFFICE)
    two = await service.register_entity(register_entity(), OFFICE)

    assert one.id != two.id
    assert one.request_fingerprint is None
    assert len(events_of(service, EntityRegistered)) == 2


# --- products -----------------------------------------------------------------------------------


async def test_a_repeated_product_registration_finds_the_first_with_its_warnings() -> None:
    service = registry()
    entity_id = await a_producer(service)
    await service.register_product(register_product(entity_id), OFFICE)  # a close name
    cmd = register_product(entity_id, name="Cà phê rang xay Ia Grai loại 1")

    (first, warnings), first_repeat = await service.register_product_once(cmd, OFFICE, KEY)
    (again, again_warnings), again_repeat = await service.register_product_once(cmd, OFFICE, KEY)

    assert (first_repeat, again_repeat) == (False, True)
    assert again.id == first.id and again.product_code == first.product_code
    assert warnings and again_warnings == warnings  # not itself, now in the province
    registered = events_of(service, ProductRegistered)
    assert [e.product_id for e in registered].count(first.id) == 1
    assert await service.stores.products.count({}) == 2


async def test_a_repeat_of_a_product_with_its_legacy_code_is_not_a_taken_code() -> None:
    service = registry()
    entity_id = await a_producer(service)
    cmd = register_product(entity_id, product_code=LEGACY_CODE, year=2022)

    (first, _), _ = await service.register_product_once(cmd, OFFICE, KEY)
    (again, _), repeat = await service.register_product_once(cmd, OFFICE, KEY)

    assert repeat and again.id == first.id
    assert again.legacy_product_code == LEGACY_CODE
    assert len(events_of(service, ProductRegistered)) == 1


async def test_the_same_product_key_with_another_body_is_refused() -> None:
    service = registry()
    entity_id = await a_producer(service)
    await service.register_product_once(register_product(entity_id), OFFICE, KEY)

    with pytest.raises(KeyReused) as refused:
        await service.register_product_once(register_product(entity_id, year=2027), OFFICE, KEY)

    assert refused.value.field == HEADER
    assert await service.stores.products.count({}) == 1
    assert len(events_of(service, ProductRegistered)) == 1


async def test_a_retry_after_an_attempt_cut_short_registers_the_product_once() -> None:
    products = CutShortProducts()
    service = registry(products=products)
    entity_id = await a_producer(service)
    cmd = register_product(entity_id)

    with pytest.raises(ConnectionError):
        await service.register_product_once(cmd, OFFICE, KEY)
    (product, _), repeat = await service.register_product_once(cmd, OFFICE, KEY)

    assert not repeat  # the first attempt wrote nothing: this one registers it
    assert await products.count({}) == 1
    assert [e.product_id for e in events_of(service, ProductRegistered)] == [product.id]
