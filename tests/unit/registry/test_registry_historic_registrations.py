"""Issue #10, deliverable 7: a registration of an earlier day (an onboarded register, a province
system's history, an office back-filling) keeps its day. The events carry it (registered_on,
schema version 2: province_code the 2025 province whatever the day) with the old unit, so
reporting counts a new producer or product in the year it joined; a day after today (Vietnam's
date) is refused naming the field, and only a province office back-dates over HTTP."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from ocop_contracts.clock import Clock
from ocop_contracts.events.registry import (
    EntityRegistered,
    EntityUpdated,
    ProductRegistered,
    ProductUpdated,
)
from ocop_contracts.legacy import LegacyUnit
from ocop_contracts.reference import communes_of
from ocop_platform.errors import DomainError
from ocop_platform.identity import Forbidden, Principal, Role
from ocop_registry.adapters.memory import memory_stores
from ocop_registry.adapters.tables import read_rows
from ocop_registry.domain.commands import LegacyAddress, UpdateEntity, UpdateProduct
from ocop_registry.domain.imports import check_row
from ocop_registry.domain.producers import Producer
from ocop_registry.service_layer.ingest import RegistrationIngest
from ocop_registry.service_layer.services import RegistryService
from tests.unit.registry.registry_builders import (
    NOW,
    PROVINCE,
    TODAY,
    draft,
    producer,
    published,
    register_entity,
    register_product,
    registered,
)

OLD_GIA_LAI = LegacyAddress(province_code="64", district_code="622", commune_code="23620")
JOINED = date(2021, 3, 15)


def _office() -> Principal:
    return Principal(
        subject="office-1", roles=frozenset({Role.PROVINCE_OFFICE}), provinces=frozenset({PROVINCE})
    )


def _service() -> RegistryService:
    return RegistryService(memory_stores(), Clock(today=TODAY))


# --- the aggregates -----------------------------------------------------------------------------


def test_a_producer_registered_earlier_says_so_with_its_old_unit_at_version_2() -> None:
    maker = producer(registered_on=JOINED, legacy_address=OLD_GIA_LAI)
    new = Producer.register("ent-2", register_entity(registered_on=JOINED), NOW)
    [event] = new.pending_events
    assert isinstance(event, EntityRegistered)
    assert (event.registered_on, event.schema_version, event.province_code) == (JOINED, 2, "52")
    assert maker.registered_on == JOINED

    maker.update(UpdateEntity(name="HTX Cà phê Ia Grai mới"), NOW)
    [updated] = maker.pending_events
    assert isinstance(updated, EntityUpdated)
    # The whole current state: still the day it joined and its unit then.
    assert updated.registered_on == JOINED
    assert updated.legacy_unit == LegacyUnit(
        province_code="64", district_code="622", commune_code="23620"
    )


def test_a_producer_without_a_day_or_old_address_carries_neither() -> None:
    [event] = Producer.register("ent-3", register_entity(), NOW).pending_events
    assert isinstance(event, EntityRegistered)
    assert (event.registered_on, event.legacy_unit) == (None, None)


def test_a_product_registered_earlier_carries_its_day_on_every_event() -> None:
    product = draft(producer(), registered_on=JOINED, year=2021)
    product.register(f"{PROVINCE}-{product.commune_code}-1-2021", NOW)
    [event] = product.pending_events
    assert isinstance(event, ProductRegistered)
    assert (event.registered_on, event.schema_version) == (JOINED, 2)

    loaded = registered(registered_on=JOINED, year=2021)
    loaded.update(UpdateProduct(name="Cà phê hạt Ia Grai"), NOW)
    [updated] = loaded.pending_events
    assert isinstance(updated, ProductUpdated)
    assert updated.registered_on == JOINED


def test_a_product_s_own_old_address_gives_its_unit_when_nothing_else_does() -> None:
    product = draft(producer(), legacy_address=OLD_GIA_LAI, registered_on=JOINED, year=2021)
    product.register(f"{PROVINCE}-{product.commune_code}-1-2021", NOW)
    [event] = product.pending_events
    assert event.legacy_unit == LegacyUnit(  # type: ignore[attr-defined]
        province_code="64", district_code="622", commune_code="23620"
    )
    # A change of its producer keeps it (the producer has no old address to give).
    assert not product.follow(producer())


def test_a_product_s_old_address_of_a_province_that_did_not_become_its_own_is_refused() -> None:
    with pytest.raises(DomainError) as caught:
        draft(producer(), legacy_address=LegacyAddress(province_code="87"))  # Đồng Tháp → 82
    assert caught.value.field == "legacy_address.province_code"


@pytest.mark.parametrize("kind", ["producer", "product"])
def test_a_registration_day_after_today_in_vietnam_is_refused_naming_the_field(kind: str) -> None:
    tomorrow = TODAY + timedelta(days=1)
    with pytest.raises(DomainError) as caught:
        if kind == "producer":
            producer(registered_on=tomorrow)
        else:
            draft(producer(), registered_on=tomorrow)
    assert caught.value.field == "registered_on"
    assert tomorrow.isoformat() in caught.value.message


def test_today_s_date_is_accepted_and_carried() -> None:
    assert producer(registered_on=TODAY).registered_on == TODAY


# --- who may back-date ----------------------------------------------------------------------------


async def test_a_province_office_back_fills_a_producer_and_its_product() -> None:
    service = _service()
    maker = await service.register_entity(
        register_entity(registered_on=JOINED, legacy_address=OLD_GIA_LAI), _office()
    )
    cmd = register_product(maker.id, registered_on=JOINED, year=2021)
    await service.register_product(cmd, _office())
    entity_event, product_event = published(service.stores)
    assert isinstance(entity_event, EntityRegistered)
    assert isinstance(product_event, ProductRegistered)
    assert (entity_event.registered_on, product_event.registered_on) == (JOINED, JOINED)
    assert product_event.legacy_unit is not None
    assert product_event.legacy_unit.province_code == "64"


async def test_a_producer_account_may_not_back_date_but_may_give_today() -> None:
    service = _service()
    maker = await service.register_entity(register_entity(), _office())
    own = Principal(
        subject="user-1",
        roles=frozenset({Role.PRODUCER}),
        provinces=frozenset({PROVINCE}),
        entity_id=maker.id,
    )
    with pytest.raises(Forbidden):
        await service.register_product(register_product(maker.id, registered_on=JOINED), own)
    product, _ = await service.register_product(
        register_product(maker.id, registered_on=TODAY), own
    )
    assert product.registered_on == TODAY


# --- a register's rows --------------------------------------------------------------------------


def _row(**overrides: str) -> dict[str, str]:
    row = {
        "producer_name": "HTX Cà phê Ia Grai",
        "legal_form": "cooperative",
        "tax_code": "",
        "province_code": PROVINCE,
        "commune_code": communes_of(PROVINCE)[0],
        "product_name": "Cà phê rang xay",
        "scoring_set_code": "I.6",
        "year": "2021",
    }
    return {**row, **overrides}


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("registered_on", "2021-03-15"),
        ("ngày_đăng_ký", "15/03/2021"),
        ("ngày_đăng_ký", "15/3/2021"),
    ],
)
def test_a_register_row_gives_the_day_in_either_column_and_form(column: str, value: str) -> None:
    checked = check_row(_row(**{column: value}), 2, PROVINCE, TODAY)
    assert not isinstance(checked, list), checked
    assert checked.row.register_entity().registered_on == JOINED
    assert checked.row.register_product("ent-1").registered_on == JOINED


@pytest.mark.parametrize(
    ("value", "words"), [("2021-02-30", "date"), ("31/02/2021", "date"), ("2027-01-01", "after")]
)
def test_a_row_whose_day_is_not_a_real_past_date_is_reported_naming_the_column(
    value: str, words: str
) -> None:
    problems = check_row(_row(registered_on=value), 7, PROVINCE, TODAY)
    assert isinstance(problems, list)
    [problem] = problems
    assert (problem.row, problem.column) == (7, "registered_on")
    assert words in problem.message


def test_a_vietnamese_header_names_the_column_however_it_was_typed(tmp_path: Path) -> None:
    header = unicodedata.normalize("NFD", "Ngày đăng ký")  # decomposed, as some editors save
    path = tmp_path / "register.csv"
    path.write_text(f"product_name,{header}\nCà phê,15/03/2021\n", encoding="utf-8")
    [row] = read_rows(path, "csv")
    assert row["ngày_đăng_ký"] == "15/03/2021"


# --- a province system's messages --------------------------------------------------------------


def _system_entity(**overrides: Any) -> EntityRegistered:
    fields: dict[str, Any] = {
        "producer": "gia-lai-ocop",
        "aggregate_id": "GL-1",
        "aggregate_version": 1,
        "province_code": PROVINCE,
        "schema_version": 1,
        "entity_id": "GL-1",
        "name": "HTX Cà phê Ia Grai",
        "legal_form": "cooperative",
        "commune_code": communes_of(PROVINCE)[0],
    }
    return EntityRegistered(**{**fields, **overrides})


async def test_a_province_system_s_history_keeps_its_day_and_old_unit() -> None:
    service = _service()
    ingest = RegistrationIngest(service)
    old = LegacyUnit(province_code="64", district_code="622")
    await ingest.on_entity_registered(_system_entity(registered_on=JOINED, legacy_unit=old))
    [event] = published(service.stores)
    assert isinstance(event, EntityRegistered)
    assert (event.producer, event.schema_version, event.registered_on) == ("registry", 2, JOINED)
    assert event.legacy_unit == old


async def test_a_province_system_s_day_after_today_is_rejected_naming_the_field() -> None:
    service = _service()
    ingest = RegistrationIngest(service)
    with pytest.raises(DomainError) as caught:
        await ingest.on_entity_registered(_system_entity(registered_on=date(2027, 1, 1)))
    assert caught.value.field == "registered_on"
    assert published(service.stores) == []
