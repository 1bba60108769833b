"""Province systems' registrations: checked against the declared source, registered through the
HTTP path's use cases with registry's own ids, once however often they are sent (in memory)."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import date
from typing import Any

import pytest

from ocop_contracts import Event, LegalForm
from ocop_contracts.clock import Clock
from ocop_contracts.events.registry import EntityRegistered, ProductRegistered
from ocop_contracts.reference import communes_of
from ocop_platform.aggregates import load
from ocop_platform.consumer import Outcome
from ocop_platform.errors import Conflict, DomainError
from ocop_registry.adapters.memory import memory_stores
from ocop_registry.domain.ingest import (
    Resend,
    classify,
    entity_source,
    product_source,
    registry_id,
    source_key,
)
from ocop_registry.domain.products import Product
from ocop_registry.service_layer.ingest import RegistrationIngest
from ocop_registry.service_layer.services import RegistryService
from tests.unit.registry.registry_builders import published

PROVINCE = "52"
COMMUNE, OTHER_COMMUNE = communes_of(PROVINCE)[:2]
ELSEWHERE = communes_of("82")[0]  # a commune of Đồng Tháp
SYSTEM = "gia-lai-ocop"


class Setup:
    """The ingest on the registry's use cases, over its stores in memory."""

    def __init__(self) -> None:
        self.stores = memory_stores()
        self.service = RegistryService(self.stores, Clock(today=date(2026, 12, 1)))
        self.ingest = RegistrationIngest(self.service)

    @property
    def events(self) -> list[Event]:
        return published(self.stores)

    async def counts(self) -> tuple[int, int, int]:
        producers = await self.stores.producers.count({})
        products = await self.stores.products.count({})
        return producers, products, len(self.events)

    async def producer(self, **overrides: Any) -> EntityRegistered:
        event = entity_message(**overrides)
        assert await self.ingest.on_entity_registered(event) is None
        return event

    async def product(self, product_id: str) -> Product:
        return await load(self.stores.products, product_id, "product")

    async def rejection(self, event: EntityRegistered | ProductRegistered) -> DomainError:
        before = await self.counts()
        with pytest.raises(DomainError) as caught:
            if isinstance(event, EntityRegistered):
                await self.ingest.on_entity_registered(event)
            else:
                await self.ingest.on_product_registered(event)
        assert await self.counts() == before  # nothing written
        return caught.value


def envelope(aggregate_id: str) -> dict[str, Any]:
    """As the province system sends it: its name, its province, its own id."""
    return {
        "producer": SYSTEM,
        "aggregate_id": aggregate_id,
        "aggregate_version": 1,
        "province_code": PROVINCE,
    }


def entity_message(**overrides: Any) -> EntityRegistered:
    fields: dict[str, Any] = {
        **envelope("GL-HTX-7"),
        "entity_id": "GL-HTX-7",
        "name": "HTX Cà phê Ia Grai",
        "legal_form": LegalForm.COOPERATIVE,
        "commune_code": COMMUNE,
        "women_led": True,
    }
    return EntityRegistered(**{**fields, **overrides})


def product_message(**overrides: Any) -> ProductRegistered:
    fields: dict[str, Any] = {
        **envelope("GL-SP-12"),
        "product_id": "GL-SP-12",
        "product_code": f"{PROVINCE}-{COMMUNE}-12-2026",
        "name": "Cà phê rang xay Ia Grai",
        "entity_id": "GL-HTX-7",
        "legal_form": LegalForm.COOPERATIVE,
        "scoring_set_code": "I.6",
        "commune_code": COMMUNE,
    }
    return ProductRegistered(**{**fields, **overrides})


def our_id(prefix: str, record_id: str) -> str:
    return registry_id(prefix, source_key(PROVINCE, SYSTEM, record_id))


# --- accepted -----------------------------------------------------------------------------------


async def test_an_accepted_producer_is_registered_under_registry_s_own_id() -> None:
    setup = Setup()

    await setup.producer()

    entity_id = our_id("ent", "GL-HTX-7")
    (event,) = setup.events
    assert isinstance(event, EntityRegistered)
    assert (event.producer, event.entity_id, event.aggregate_version) == ("registry", entity_id, 1)
    assert (event.commune_code, event.women_led) == (COMMUNE, True)
    stored = await load(setup.stores.producers, entity_id, "producer")
    assert stored.source is not None
    assert (stored.source.system, stored.source.id) == (SYSTEM, "GL-HTX-7")


async def test_an_accepted_product_is_emitted_as_an_http_registration_would_be() -> None:
    setup = Setup()
    await setup.producer()

    assert await setup.ingest.on_product_registered(product_message()) is None

    product = await setup.product(our_id("prd", "GL-SP-12"))
    event = setup.events[-1]
    assert isinstance(event, ProductRegistered)
    assert event.model_dump(include={"producer", "product_id", "entity_id", "product_code"}) == {
        "producer": "registry",
        "product_id": product.id,
        "entity_id": our_id("ent", "GL-HTX-7"),
        "product_code": f"{PROVINCE}-{COMMUNE}-12-2026",
    }
    assert (event.aggregate_version, event.scoring_set_code) == (1, "I.6")
    assert (product.status, product.year, product.sector_code) == ("registered", 2026, "I")


async def test_a_product_may_name_a_producer_already_in_the_registry_by_its_registry_id() -> None:
    setup = Setup()
    await setup.producer()
    registry_entity = our_id("ent", "GL-HTX-7")

    await setup.ingest.on_product_registered(product_message(entity_id=registry_entity))

    assert (await setup.product(our_id("prd", "GL-SP-12"))).entity_id == registry_entity


# --- re-sent ------------------------------------------------------------------------------------


async def test_the_same_message_twice_registers_once() -> None:
    setup = Setup()
    await setup.producer()
    message = product_message()

    await setup.ingest.on_product_registered(message)
    again = await setup.ingest.on_product_registered(message)

    assert again is None  # a redelivery: handled, nothing more
    assert await setup.counts() == (1, 1, 2)


async def test_a_re_send_under_a_new_event_id_is_acknowledged_as_a_duplicate() -> None:
    setup = Setup()
    first = await setup.producer()
    resent = first.model_copy(update={"event_id": uuid.uuid4()})

    assert await setup.ingest.on_entity_registered(resent) is Outcome.DUPLICATE
    assert await setup.counts() == (1, 0, 1)


async def test_a_re_send_with_other_content_is_refused_naming_what_differs() -> None:
    setup = Setup()
    await setup.producer()
    await setup.ingest.on_product_registered(product_message())

    error = await setup.rejection(product_message(name="Cà phê hạt Ia Grai"))

    assert error.field == "product_id"
    assert "registered as prd-" in error.message
    assert "name 'Cà phê rang xay Ia Grai' → 'Cà phê hạt Ia Grai'" in error.message


def test_the_same_record_of_another_system_is_another_record() -> None:
    ours, theirs = entity_message(), entity_message(producer="kon-tum-ocop")
    assert registry_id("ent", entity_source(ours).key) != registry_id(
        "ent", entity_source(theirs).key
    )
    nfd = product_message(name=unicodedata.normalize("NFD", "Cà phê rang xay Ia Grai"))
    first, again = product_source(product_message()), product_source(nfd)
    assert classify(first, again) is Resend.DUPLICATE


# --- rejected -----------------------------------------------------------------------------------


async def test_a_commune_outside_the_declared_province_is_refused() -> None:
    error = await Setup().rejection(entity_message(commune_code=ELSEWHERE))
    assert error.field == "commune_code"
    assert f"is not in province {PROVINCE}" in error.message
    assert (
        "it belongs to province 82" in error.message and "declares as its source" in error.message
    )


async def test_a_product_code_of_another_province_is_refused() -> None:
    setup = Setup()
    await setup.producer()
    error = await setup.rejection(product_message(product_code=f"82-{COMMUNE}-12-2026"))
    assert (error.field, error.message) == (
        "product_code",
        f"code is for province 82, the product is in {PROVINCE} (the declared source province)",
    )


async def test_an_unknown_scoring_set_is_refused_with_suggestions() -> None:
    setup = Setup()
    await setup.producer()
    error = await setup.rejection(product_message(scoring_set_code="I.3"))
    assert error.field == "scoring_set_code"
    assert "its scoring sets are I.3.a, I.3.b, I.3.c, I.3.d" in error.message


async def test_a_scoring_set_unfit_for_the_producer_s_legal_form_is_refused() -> None:
    setup = Setup()
    await setup.producer(legal_form=LegalForm.ASSOCIATION)
    error = await setup.rejection(product_message(legal_form=LegalForm.ASSOCIATION))
    assert error.field == "scoring_set_code" and "only community tourism" in error.message


async def test_a_product_must_sit_in_its_producer_s_commune_with_its_legal_form() -> None:
    setup = Setup()
    await setup.producer()
    moved = await setup.rejection(
        product_message(
            commune_code=OTHER_COMMUNE, product_code=f"{PROVINCE}-{OTHER_COMMUNE}-1-2026"
        )
    )
    assert moved.field == "commune_code" and "its producer's commune" in moved.message
    household = await setup.rejection(product_message(legal_form=LegalForm.HOUSEHOLD))
    assert household.field == "legal_form"


async def test_a_product_of_an_unknown_producer_is_refused_saying_what_to_send_first() -> None:
    error = await Setup().rejection(product_message())
    assert error.field == "entity_id" and "publish its EntityRegistered first" in error.message


async def test_a_producer_s_second_product_of_the_same_name_is_refused_naming_the_first() -> None:
    setup = Setup()
    await setup.producer()
    await setup.ingest.on_product_registered(product_message())
    first = await setup.product(our_id("prd", "GL-SP-12"))

    error = await setup.rejection(
        product_message(
            product_id="GL-SP-99",
            name="CA PHE RANG XAY  IA GRAI",
            product_code=f"{PROVINCE}-{COMMUNE}-99-2026",
        )
    )

    assert error.field == "name"
    assert f"product {first.id} ({first.product_code})" in error.message


async def test_a_taken_product_code_is_refused() -> None:
    setup = Setup()
    await setup.producer()
    await setup.ingest.on_product_registered(product_message())
    error = await setup.rejection(
        product_message(product_id="GL-SP-13", name="Cà phê hòa tan Ia Grai")
    )
    assert isinstance(error, Conflict)
    assert error.field == "product_code" and "is taken" in error.message


async def test_a_producer_without_a_commune_is_refused() -> None:
    error = await Setup().rejection(entity_message(commune_code=None))
    assert error.field == "commune_code"


async def test_what_the_http_command_refuses_is_refused_naming_the_field() -> None:
    setup = Setup()
    await setup.producer()
    error = await setup.rejection(product_message(product_code=f"{PROVINCE}-{COMMUNE}-1-2017"))
    assert error.field == "year" and "2018" in error.message
