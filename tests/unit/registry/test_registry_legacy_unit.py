"""Issue #10, deliverable 3, in the registry: a product's unit before 1 July 2025 comes from its
legacy code, else from its producer's old address, never from its 2025 code; its events carry it
(ProductRegistered, ProductUpdated, and ProductWithdrawn at schema version 2)."""

from __future__ import annotations

from datetime import date

from ocop_contracts.events.registry import ProductRegistered, ProductUpdated, ProductWithdrawn
from ocop_contracts.legacy import LegacyUnit
from ocop_registry.domain import rules
from ocop_registry.domain.codes import check_given_code
from ocop_registry.domain.commands import LegacyAddress, UpdateEntity
from ocop_registry.domain.products import Product
from tests.unit.registry.registry_builders import (
    NOW,
    PROVINCE,
    draft,
    producer,
    register_product,
    registered,
)

OLD_GIA_LAI = LegacyAddress(province_code="64", district_code="622", commune_code="23620")


def _registering(product: Product) -> Product:
    product.register(f"{PROVINCE}-{product.commune_code}-1-2026", NOW)
    return product


def test_a_producer_s_old_address_is_the_product_s_old_unit_on_its_events() -> None:
    product = _registering(draft(producer(legacy_address=OLD_GIA_LAI)))
    [event] = product.pending_events
    assert isinstance(event, ProductRegistered)
    assert event.province_code == PROVINCE
    assert event.legacy_unit == LegacyUnit(
        province_code="64", district_code="622", commune_code="23620"
    )


def test_a_legacy_code_names_the_old_unit_before_the_producer_s_address() -> None:
    maker = producer(legacy_address=LegacyAddress(province_code="52"))
    cmd = register_product(maker.id, product_code="64-622-23621-7-2022", year=2022)
    given = check_given_code(cmd.product_code, 2022, PROVINCE, maker.commune_code, "52")
    classification = rules.classify(cmd.scoring_set_code, maker.legal_form, None)
    product = Product.draft("prd-9", cmd, maker, classification, NOW, given=given)
    product.register(f"{PROVINCE}-{product.commune_code}-7-2022", NOW)
    [event] = product.pending_events
    assert event.legacy_unit == LegacyUnit(  # type: ignore[attr-defined]
        province_code="64", district_code="622", commune_code="23621"
    )


def test_without_a_legacy_code_or_old_address_the_old_unit_is_not_guessed() -> None:
    # 52 is also an old code (Bình Định), but a 2025 code says nothing of the unit before.
    product = _registering(draft(producer()))
    [event] = product.pending_events
    assert event.legacy_unit is None  # type: ignore[attr-defined]


def test_an_old_address_given_later_reaches_the_product_and_its_withdrawal() -> None:
    maker = producer()
    product = registered(maker)
    maker.update(UpdateEntity(legacy_address=OLD_GIA_LAI), NOW)
    assert product.follow(maker)
    product.withdraw(date(2024, 5, 1), "ngừng sản xuất", by="office")
    updated, withdrawn = product.pending_events[-2:]
    assert isinstance(updated, ProductUpdated) and isinstance(withdrawn, ProductWithdrawn)
    assert updated.legacy_unit is not None and updated.legacy_unit.province_code == "64"
    assert (withdrawn.schema_version, withdrawn.legacy_unit) == (2, updated.legacy_unit)


def test_a_draft_keeps_its_old_unit_through_storage() -> None:
    product = draft(producer(legacy_address=OLD_GIA_LAI))
    assert Product.from_document(product.to_document()).legacy_unit == product.legacy_unit
