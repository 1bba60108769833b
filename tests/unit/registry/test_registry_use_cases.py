"""The registry's use cases over its stores in memory: load → check the caller → call → save,
with the events the relay would publish."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import pytest

from ocop_contracts import LegalForm
from ocop_contracts.clock import Clock
from ocop_contracts.events.evaluation import CertificateIssued
from ocop_contracts.events.registry import (
    EntityRegistered,
    ProductRegistered,
    ProductUpdated,
    ProductWithdrawn,
)
from ocop_contracts.vocabulary import RatingLevel
from ocop_platform.aggregates import load
from ocop_platform.errors import Conflict, DomainError, NotFound
from ocop_platform.identity import Forbidden, Principal, Role
from ocop_registry.adapters.memory import InMemoryProductStore, memory_stores
from ocop_registry.domain.commands import AddAccount, UpdateEntity, UpdateProduct, WithdrawProduct
from ocop_registry.domain.model import ProductStatus
from ocop_registry.domain.products import Product
from ocop_registry.domain.search import SearchFilters
from ocop_registry.service_layer.services import RegistryService
from tests.unit.registry.registry_builders import (
    COMMUNE,
    PROVINCE,
    TODAY,
    published,
    rated,
    register_entity,
    register_product,
)

OFFICE = Principal(
    subject="office-52", roles=frozenset({Role.PROVINCE_OFFICE}), provinces=frozenset({PROVINCE})
)
ELSEWHERE = Principal(
    subject="office-82", roles=frozenset({Role.PROVINCE_OFFICE}), provinces=frozenset({"82"})
)


class Registry:
    def __init__(self, products: InMemoryProductStore | None = None) -> None:
        self.stores = memory_stores(products)
        self.service = RegistryService(self.stores, Clock(today=TODAY))

    def events(self) -> list[Any]:
        return published(self.stores)

    async def producer_id(self, **overrides: Any) -> str:
        producer = await self.service.register_entity(register_entity(**overrides), OFFICE)
        return producer.id

    async def product(self, entity_id: str | None = None, **overrides: Any) -> Product:
        maker = entity_id or await self.producer_id()
        product, _ = await self.service.register_product(
            register_product(maker, **overrides), OFFICE
        )
        return product

    async def stored(self, product_id: str) -> Product:
        return await load(self.stores.products, product_id, "product")


def types(events: Sequence[Any]) -> list[str]:
    return [event.type for event in events]


# --- producers ----------------------------------------------------------------------------------


async def test_a_registered_producer_is_stored_and_published() -> None:
    registry = Registry()
    entity_id = await registry.producer_id()

    (event,) = registry.events()
    assert isinstance(event, EntityRegistered) and event.entity_id == entity_id
    assert (await registry.service.get_entity(entity_id)).version == 1


async def test_a_second_producer_with_the_same_tax_number_is_refused_naming_the_first() -> None:
    registry = Registry()
    first = await registry.producer_id(tax_code="0100109106")

    with pytest.raises(Conflict) as refused:
        await registry.producer_id(tax_code="0100109106-002", name="Chi nhánh")
    assert refused.value.field == "tax_code" and first in refused.value.message


async def test_an_office_of_another_province_may_not_register_here() -> None:
    with pytest.raises(Forbidden):
        await Registry().service.register_entity(register_entity(), ELSEWHERE)


async def test_a_producer_s_change_reaches_its_products_with_their_next_version() -> None:
    registry = Registry()
    entity_id = await registry.producer_id()
    product = await registry.product(entity_id)

    await registry.service.update_entity(entity_id, UpdateEntity(name="HTX Ia Grai mới"), OFFICE)
    renamed = await registry.stored(product.id)
    assert (renamed.entity_name, renamed.version) == ("HTX Ia Grai mới", 1)  # no event

    await registry.service.update_entity(
        entity_id, UpdateEntity(legal_form=LegalForm.ENTERPRISE), OFFICE
    )
    moved = await registry.stored(product.id)
    assert (moved.legal_form, moved.version) == (LegalForm.ENTERPRISE, 2)
    assert types(registry.events()) == [
        "EntityRegistered",
        "EntityUpdated",
        "EntityUpdated",
        "ProductRegistered",
        "ProductUpdated",
    ]


async def test_an_account_lets_its_user_write_the_producer_s_products_without_an_event() -> None:
    registry = Registry()
    entity_id = await registry.producer_id()
    product = await registry.product(entity_id)
    user = Principal(
        subject="user-7", roles=frozenset({Role.PRODUCER}), provinces=frozenset({PROVINCE})
    )
    with pytest.raises(Forbidden):
        await registry.service.update_product(product.id, UpdateProduct(trademark="x"), user)

    producer = await registry.service.add_account(entity_id, AddAccount(subject="user-7"), OFFICE)
    await registry.service.update_product(product.id, UpdateProduct(trademark="x"), user)

    assert (producer.accounts, producer.version) == (["user-7"], 1)
    assert [type(e) for e in registry.events() if e.aggregate_id == entity_id] == [EntityRegistered]


# --- products -----------------------------------------------------------------------------------


async def test_registration_allocates_the_commune_s_next_code_for_the_year() -> None:
    registry = Registry()
    entity_id = await registry.producer_id()

    first = await registry.product(entity_id)
    second = await registry.product(entity_id, name="Cà phê hạt Ia Grai")

    assert (first.product_code, second.product_code) == (
        f"{PROVINCE}-{COMMUNE}-1-2026",
        f"{PROVINCE}-{COMMUNE}-2-2026",
    )
    event = registry.events()[-1]
    assert isinstance(event, ProductRegistered) and event.aggregate_version == 1


async def test_a_close_name_in_the_province_warns_and_is_kept_with_the_product() -> None:
    registry = Registry()
    entity_id = await registry.producer_id()
    first = await registry.product(entity_id)

    second, warnings = await registry.service.register_product(
        register_product(entity_id, name="CA PHE RANG XAY IA GRAI"), OFFICE
    )

    assert [w.product_id for w in warnings] == [first.id]
    assert (await registry.stored(second.id)).near_duplicates == warnings


async def test_a_given_code_already_taken_is_refused() -> None:
    registry = Registry()
    entity_id = await registry.producer_id()
    code = f"{PROVINCE}-{COMMUNE}-7-2026"
    await registry.product(entity_id, product_code=code)

    with pytest.raises(Conflict, match=f"product code {code} is taken"):
        await registry.product(entity_id, name="Cà phê hạt", product_code=code)
    assert await registry.stores.products.count({}) == 1


async def test_a_draft_publishes_nothing_until_it_is_registered_as_version_one() -> None:
    registry = Registry()
    entity_id = await registry.producer_id()
    draft = await registry.product(entity_id, draft=True)
    await registry.service.update_product(draft.id, UpdateProduct(trademark="Ia Grai"), OFFICE)
    assert types(registry.events()) == ["EntityRegistered"]

    product = await registry.service.submit_draft(draft.id, OFFICE)

    assert (product.status, product.version) == (ProductStatus.REGISTERED, 1)
    assert product.product_code == f"{PROVINCE}-{COMMUNE}-1-2026"
    with pytest.raises(Conflict, match="already registered"):
        await registry.service.submit_draft(draft.id, OFFICE)


async def test_changes_and_withdrawal_are_published_with_growing_versions() -> None:
    registry = Registry()
    product = await registry.product()

    await registry.service.update_product(product.id, UpdateProduct(trademark="x"), OFFICE)
    withdrawn = await registry.service.withdraw_product(
        product.id, WithdrawProduct(reason="ngừng sản xuất"), OFFICE
    )

    mine = [e for e in registry.events() if e.aggregate_id == product.id]
    assert [type(e) for e in mine] == [ProductRegistered, ProductUpdated, ProductWithdrawn]
    assert [e.aggregate_version for e in mine] == [1, 2, 3]
    assert withdrawn.withdrawn is not None
    assert (withdrawn.withdrawn.on, withdrawn.withdrawn.by) == (TODAY, "office-52")


async def test_a_reaction_saved_in_between_is_kept_and_the_edit_made_again() -> None:
    products = _Interfering(Product)
    registry = Registry(products)
    product = await registry.product()
    products.interfere_with = lambda p: p.apply_evaluation(rated(p.id, 1))

    await registry.service.update_product(product.id, UpdateProduct(trademark="x"), OFFICE)

    stored = await registry.stored(product.id)
    assert (stored.details.trademark, stored.stars) == ("x", 4)  # both writes kept


async def test_a_product_changing_at_every_attempt_is_the_caller_s_conflict() -> None:
    products = _Interfering(Product)
    registry = Registry(products)
    product = await registry.product()
    products.keep_interfering = True
    versions = itertools.count(1)  # evaluation rates it again before every save
    products.interfere_with = lambda p: p.apply_evaluation(rated(p.id, next(versions)))

    with pytest.raises(Conflict, match="the product changed meanwhile; reload and retry"):
        await registry.service.update_product(product.id, UpdateProduct(trademark="x"), OFFICE)
    assert (await registry.stored(product.id)).details.trademark is None


# --- evaluation's events ------------------------------------------------------------------------


async def test_evaluation_s_events_keep_stars_and_certificate_current_once() -> None:
    registry = Registry()
    product = await registry.product()
    issued = CertificateIssued(
        producer="evaluation",
        aggregate_id=product.id,
        aggregate_version=2,
        province_code=PROVINCE,
        certificate_id="GL-1",
        product_id=product.id,
        stars=4,
        level=RatingLevel.PROVINCE,
        decision_ref="1/QĐ-UBND",
        issued_on=date(2026, 11, 2),
        valid_until=date(2029, 11, 1),
        rule_set_id="qd26-2026",
    )

    for event in (rated(product.id, 1), issued, rated(product.id, 1, stars=2)):
        await registry.service.on_evaluation_event(event)

    stored = await registry.stored(product.id)
    assert (stored.status, stored.stars, stored.version) == (ProductStatus.CERTIFIED, 4, 1)
    assert (await registry.service.lookup("GL-1")).id == product.id
    assert types(registry.events())[-1] == "ProductRegistered"  # nothing of the registry's


async def test_an_evaluation_event_racing_a_change_is_applied_again_from_a_fresh_load() -> None:
    products = _Interfering(Product)
    registry = Registry(products)
    product = await registry.product()
    products.interfere_with = lambda p: p.update(UpdateProduct(trademark="x"), p.created_at)

    await registry.service.on_evaluation_event(rated(product.id, 1))

    stored = await registry.stored(product.id)
    assert (stored.stars, stored.details.trademark, stored.version) == (4, "x", 2)


async def test_an_event_about_an_unknown_product_is_refused() -> None:
    with pytest.raises(DomainError, match="no product prd-x in the registry"):
        await Registry().service.on_evaluation_event(rated("prd-x", 1))


# --- reading ------------------------------------------------------------------------------------


async def test_lookup_finds_a_registered_product_by_code_or_qr_but_never_a_draft() -> None:
    registry = Registry()
    entity_id = await registry.producer_id()
    product = await registry.product(entity_id)
    draft = await registry.product(entity_id, name="Bản nháp", draft=True)

    found = await registry.service.lookup(f"OCOP:{product.product_code}")
    assert found.id == product.id
    with pytest.raises(NotFound):
        await registry.service.lookup(draft.code_key)


async def test_search_filters_folds_the_name_pages_and_leaves_drafts_out() -> None:
    registry = Registry()
    entity_id = await registry.producer_id()
    for name in ("Cà phê rang xay", "Cà phê hạt", "Mật ong rừng"):
        await registry.product(entity_id, name=name)
    await registry.product(entity_id, name="Cà phê nháp", draft=True)

    page, total = await registry.service.search(
        SearchFilters(province_code=PROVINCE, q="CA PHE"), page=1, page_size=1
    )

    assert total == 2 and [p.name for p in page] == ["Cà phê rang xay"]
    with pytest.raises(DomainError):
        SearchFilters(province_code="99")


class _Interfering(InMemoryProductStore):
    """Saves a competing change right before the first save it is asked for."""

    interfere_with: Callable[[Product], object] | None = None
    keep_interfering = False  # before every save, not only the first

    async def save(self, aggregate: Product) -> None:
        if self.interfere_with is not None:
            command = self.interfere_with
            if not self.keep_interfering:
                self.interfere_with = None
            competitor = await load(self, aggregate.id, "product")
            command(competitor)
            await super().save(competitor)
        await super().save(aggregate)
