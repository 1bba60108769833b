"""Reporting's target use case: validated like the contract, versioned, deduped (in memory)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from ocop_contracts import (
    TargetMetric,
    TargetUnit,
    TargetUpdated,
)
from ocop_platform.errors import Conflict, DomainError
from ocop_platform.identity import Forbidden, Principal, Role
from ocop_reporting.domain.commands import SetTarget
from ocop_reporting.domain.units import Unit, unit
from ocop_reporting.service_layer.services import ReportingService


class FakeTargetStore:
    """Targets only: activity reports and the reports' reads are not used by these tests."""

    def __init__(self) -> None:
        self.saved: list[tuple[TargetUpdated, str | None]] = []
        self.refuse_saves = False  # as if another writer always got there first

    async def current_target_version(self, target_id: str) -> int:
        versions = [e.aggregate_version for e, _ in self.saved if e.target_id == target_id]
        return max(versions, default=0)

    async def target_unit(self, target_id: str) -> Unit | None:
        mine = [e for e, _ in self.saved if e.target_id == target_id]
        return unit(mine[-1].province_code, mine[-1].province_edition or "2025") if mine else None

    async def has_ingested(self, target_id: str, source_event_id: str) -> bool:
        return any(e.target_id == target_id and s == source_event_id for e, s in self.saved)

    async def save_target(self, event: TargetUpdated, source_event_id: str | None) -> bool:
        if self.refuse_saves:
            return False
        self.saved.append((event, source_event_id))
        return True

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"{name} is not used by these tests")


class Unused:
    """The read models: a target's use cases never touch them."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"{name} is not used by these tests")


class Setup:
    def __init__(self) -> None:
        self.repo = FakeTargetStore()
        self.notified = 0
        self.service = ReportingService(self.repo, Unused(), Unused(), self._notify)

    def _notify(self) -> None:
        self.notified += 1


def command(**changes: Any) -> SetTarget:
    base = SetTarget(
        target_id="tgt-82-2026-certified",
        province_code="82",
        plan_ref="122/KH-UBND",
        label="Phát triển mới ít nhất 30 sản phẩm OCOP đạt 3 sao trở lên",
        metric=TargetMetric.CERTIFIED_PRODUCTS,
        year_from=2026,
        year_to=2026,
        minimum=30,
        min_stars=3,
    )
    return replace(base, **changes)


async def rejection(setup: Setup, cmd: SetTarget) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await setup.service.set_target(cmd)
    assert setup.repo.saved == []
    assert setup.notified == 0
    return caught.value


# --- accepted targets ---------------------------------------------------------------------------


async def test_a_valid_target_becomes_a_canonical_event_at_version_1() -> None:
    setup = Setup()

    event = await setup.service.set_target(command())

    assert event is not None
    assert (event.producer, event.aggregate_id, event.aggregate_version) == (
        "reporting",
        "tgt-82-2026-certified",
        1,
    )
    assert (event.minimum, event.min_stars, event.province_code) == (30, 3, "82")
    assert setup.repo.saved == [(event, None)]
    assert setup.notified == 1


async def test_changing_a_target_emits_the_next_version() -> None:
    setup = Setup()
    await setup.service.set_target(command())

    event = await setup.service.set_target(command(minimum=35))

    assert event is not None
    assert (event.aggregate_version, event.minimum) == (2, 35)


async def test_a_legacy_province_code_is_accepted() -> None:
    event = await Setup().service.set_target(command(province_code="74"))
    assert event is not None
    assert event.province_code == "74"


# --- rejected targets ---------------------------------------------------------------------------


async def test_an_unknown_province_is_rejected_naming_province_code() -> None:
    error = await rejection(Setup(), command(province_code="99"))
    assert error.field == "province_code"
    assert "99" in error.message


async def test_an_inverted_range_is_rejected() -> None:
    error = await rejection(Setup(), command(minimum=35, maximum=30))
    assert "inverted range" in error.message
    assert error.field == "maximum"


async def test_a_target_without_minimum_or_maximum_is_rejected() -> None:
    error = await rejection(Setup(), command(minimum=None, maximum=None))
    assert "needs a minimum, a maximum or both" in error.message
    assert error.field == "maximum"


async def test_a_percent_target_without_a_base_is_rejected() -> None:
    error = await rejection(Setup(), command(unit=TargetUnit.PERCENT, minimum=80))
    assert "needs a base" in error.message
    assert error.field == "base"


async def test_a_period_ending_before_it_starts_is_rejected() -> None:
    error = await rejection(Setup(), command(year_from=2027, year_to=2026))
    assert "year_to is before year_from" in error.message
    assert error.field == "year_to"


async def test_a_field_level_violation_is_rejected_naming_the_field() -> None:
    error = await rejection(Setup(), command(min_stars=2))
    assert error.field == "min_stars"


async def test_a_malformed_commune_code_is_rejected_naming_the_field() -> None:
    error = await rejection(Setup(), command(commune_code="123"))
    assert error.field == "commune_code"


async def test_a_target_that_keeps_changing_concurrently_is_a_conflict() -> None:
    setup = Setup()
    setup.repo.refuse_saves = True
    with pytest.raises(Conflict):
        await setup.service.set_target(command())
    assert setup.notified == 0


# --- who may set a target ----------------------------------------------------------------------


def office(*provinces: str, role: Role = Role.PROVINCE_OFFICE) -> Principal:
    return Principal(subject="office", roles=frozenset({role}), provinces=frozenset(provinces))


async def test_an_office_sets_the_targets_of_its_province() -> None:
    setup = Setup()
    assert await setup.service.set_target(command(), by=office("82")) is not None


async def test_an_office_of_another_province_is_refused_and_nothing_is_saved() -> None:
    setup = Setup()
    with pytest.raises(Forbidden, match="province 82"):
        await setup.service.set_target(command(), by=office("01"))
    assert (setup.repo.saved, setup.notified) == ([], 0)


async def test_an_office_may_not_take_over_another_provinces_target_by_its_id() -> None:
    setup = Setup()
    await setup.service.set_target(command(), by=office("82"))
    with pytest.raises(Forbidden, match="province 82"):
        await setup.service.set_target(command(province_code="01"), by=office("01"))
    assert [e.province_code for e, _ in setup.repo.saved] == ["82"]


async def test_an_office_plans_for_the_old_provinces_merged_into_its_own() -> None:
    old_dong_thap = command(
        province_code="87", province_edition="2008", year_from=2021, year_to=2025
    )
    assert await Setup().service.set_target(old_dong_thap, by=office("82")) is not None
    with pytest.raises(Forbidden):
        await Setup().service.set_target(old_dong_thap, by=office("86"))


async def test_the_ministry_sets_targets_anywhere() -> None:
    assert await Setup().service.set_target(command(), by=office("*", role=Role.MINISTRY))


# --- targets from province systems --------------------------------------------------------------


def province_message(**changes: Any) -> TargetUpdated:
    fields: dict[str, Any] = {
        "producer": "province-82",
        "aggregate_id": "tgt-82-2026-certified",
        "aggregate_version": 7,
        "province_code": "82",
        "target_id": "tgt-82-2026-certified",
        "plan_ref": "122/KH-UBND",
        "label": "Sản phẩm OCOP đạt 3 sao",
        "metric": TargetMetric.CERTIFIED_PRODUCTS,
        "year_from": 2026,
        "year_to": 2026,
        "minimum": 30,
    }
    return TargetUpdated(**{**fields, **changes})


async def test_a_province_target_is_re_emitted_by_reporting_with_its_own_version() -> None:
    setup = Setup()
    incoming = province_message()

    await setup.service.on_target_ingested(incoming)

    ((event, source),) = setup.repo.saved
    assert (event.producer, event.aggregate_version) == ("reporting", 1)
    assert event.event_id != incoming.event_id
    assert source == str(incoming.event_id)


async def test_a_province_target_keeps_the_correlation_id_of_the_message() -> None:
    setup = Setup()
    incoming = province_message()

    await setup.service.on_target_ingested(incoming)

    assert setup.repo.saved[0][0].correlation_id == incoming.correlation_id


async def test_a_redelivered_province_target_is_applied_once() -> None:
    setup = Setup()
    incoming = province_message()

    await setup.service.on_target_ingested(incoming)
    await setup.service.on_target_ingested(incoming)

    assert len(setup.repo.saved) == 1
    assert setup.notified == 1


async def test_a_province_target_for_an_unknown_province_is_a_domain_error() -> None:
    setup = Setup()
    with pytest.raises(DomainError) as caught:
        await setup.service.on_target_ingested(province_message(province_code="99"))
    assert caught.value.field == "province_code"


# --- the vocabulary of issue #10: narrowing a target ---------------------------------------------


async def test_an_upgrade_target_from_three_stars_keeps_from_stars() -> None:
    setup = Setup()
    cmd = command(metric=TargetMetric.UPGRADED_PRODUCTS, min_stars=4, from_stars=3)

    event = await setup.service.set_target(cmd)

    assert event is not None and (event.from_stars, event.min_stars) == (3, 4)


async def test_from_stars_on_another_metric_is_rejected_naming_from_stars() -> None:
    error = await rejection(Setup(), command(from_stars=3))
    assert error.field == "from_stars"


async def test_from_stars_not_below_the_stars_reached_is_rejected() -> None:
    cmd = command(metric=TargetMetric.UPGRADED_PRODUCTS, min_stars=4, from_stars=4)
    error = await rejection(Setup(), cmd)
    assert error.field == "from_stars"


async def test_new_cooperatives_are_new_producers_of_that_legal_form() -> None:
    setup = Setup()
    cmd = command(metric=TargetMetric.NEW_PRODUCERS, min_stars=None, legal_forms=("cooperative",))

    event = await setup.service.set_target(cmd)

    assert event is not None and [f.value for f in event.legal_forms] == ["cooperative"]


async def test_legal_forms_on_a_product_metric_are_rejected_naming_legal_forms() -> None:
    error = await rejection(Setup(), command(legal_forms=("cooperative",)))
    assert error.field == "legal_forms"


async def test_an_unknown_legal_form_is_rejected_naming_the_field() -> None:
    cmd = command(metric=TargetMetric.NEW_PRODUCERS, min_stars=None, legal_forms=("guild",))
    error = await rejection(Setup(), cmd)
    assert error.field is not None and error.field.startswith("legal_forms")
