"""Issue #10, deliverable 7: a promotion officer records a fair that is over (POST
/fairs/history) with its real dates, its unit before the merger and the products that took part;
every rule of scheduling and placing applies but "not over" and "certificate valid today"; a fair
still to come is scheduled live, and a live fair names no old unit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

import pytest

from ocop_contracts.events.promotion import FairScheduled, ProductDelisted, ProductShowcased
from ocop_contracts.legacy import LegacyUnit
from ocop_contracts.vocabulary import DelistReason
from ocop_platform.aggregates import InMemoryAggregateStore
from ocop_platform.errors import Conflict, DomainError
from ocop_promotion.adapters.memory import MemoryCertifications
from ocop_promotion.domain.compliance import (
    CertificatePeriod,
    CertificateStatus,
    Certification,
    CoverageEnd,
    coverage_end,
    first_day_without_certificate,
)
from ocop_promotion.domain.placements import PlacementState, ProductPlacements
from ocop_promotion.domain.venues import Booth, Fair, FairDetails
from tests.unit.promotion.test_promotion_use_cases import TODAY, World

OLD_DONG_THAP = LegacyUnit(province_code="87", district_code="866")


def past_fair(**changes: object) -> FairDetails:
    fields: dict[str, object] = {
        "name": "Hội chợ OCOP Sa Đéc 2021",
        "place": "Sa Đéc",
        "organiser": "Sở Công Thương",
        "province_code": "82",
        "starts_on": date(2021, 5, 1),
        "ends_on": date(2021, 5, 3),
        "booths": (Booth("A1", 2), Booth("B1", 1)),
        "legacy_unit": OLD_DONG_THAP,
        **changes,
    }
    return FairDetails(**fields)  # type: ignore[arg-type]


def certified(world: World, product_id: str, **changes: object) -> None:
    certifications = world.stores.certifications
    assert isinstance(certifications, MemoryCertifications)
    fields: dict[str, object] = {
        "product_id": product_id,
        "certificate_id": f"cert-{product_id}",
        "stars": 4,
        "issued_on": date(2021, 4, 1),
        "valid_until": date(2024, 4, 30),  # expired since: valid on the fair's days
        "status": CertificateStatus.EXPIRED,
        "province_code": "82",
        **changes,
    }
    certifications.put(Certification(**fields))  # type: ignore[arg-type]


def fair_events(world: World) -> list[object]:
    store = world.stores.fairs
    assert isinstance(store, InMemoryAggregateStore)
    return list(store.published)


@pytest.fixture
def world() -> World:
    return World()


async def test_a_past_fair_is_recorded_with_its_dates_old_unit_and_products(world: World) -> None:
    certified(world, "prd-1")
    certified(world, "prd-2", status=CertificateStatus.REVOKED)
    certified(world, "prd-9", province_code="96")  # a product of another province (Cà Mau)

    recorded = await world.venues.record_past_fair(
        past_fair(), [("prd-1", "A1"), ("prd-2", "A1"), ("prd-9", "B1")]
    )

    [scheduled] = fair_events(world)
    assert isinstance(scheduled, FairScheduled)
    assert (scheduled.starts_on, scheduled.province_code, scheduled.historic) == (
        date(2021, 5, 1),
        "82",
        True,
    )
    assert scheduled.legacy_unit == OLD_DONG_THAP
    showcased = {e.product_id: e for e in world.published() if isinstance(e, ProductShowcased)}
    assert {p: (e.since, e.booth_code) for p, e in showcased.items()} == {
        "prd-1": (date(2021, 5, 1), "A1"),
        "prd-2": (date(2021, 5, 1), "A1"),
        "prd-9": (date(2021, 5, 1), "B1"),
    }
    assert showcased["prd-1"].legacy_unit == OLD_DONG_THAP
    # Old Đồng Tháp is not Cà Mau's: that product's unit then is not the fair's.
    assert showcased["prd-9"].legacy_unit is None
    assert [p.product_id for p in recorded.shown.products] == ["prd-1", "prd-2", "prd-9"]
    assert recorded.written


async def test_a_fair_not_over_is_refused_as_history(world: World) -> None:
    with pytest.raises(DomainError) as caught:
        await world.venues.record_past_fair(
            past_fair(starts_on=TODAY, ends_on=TODAY, legacy_unit=None), []
        )
    assert caught.value.field == "ends_on"
    assert "POST /fairs" in caught.value.message
    assert fair_events(world) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"legacy_unit": LegacyUnit(province_code="06")}, "legacy_unit.province_code"),
        ({"starts_on": date(2025, 8, 1), "ends_on": date(2025, 8, 2)}, "legacy_unit"),
        ({"ends_on": date(2021, 4, 30)}, "ends_on"),
        ({"booths": (Booth("A1", 1), Booth("A1", 1))}, "booths"),
    ],
)
async def test_scheduling_rules_still_apply_to_history(
    world: World, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(DomainError) as caught:
        await world.venues.record_past_fair(past_fair(**changes), [])
    assert caught.value.field == field
    assert fair_events(world) == []


@pytest.mark.parametrize(
    ("participants", "field"),
    [
        ([("prd-1", "C9")], "booth_code"),  # no such booth
        ([("prd-1", "B1"), ("prd-2", "B1")], "booth_code"),  # B1 holds one
        ([("prd-1", "A1"), ("prd-1", "A1")], "products"),
        ([("prd-1", "A1"), ("prd-3", "A1")], "product_id"),  # prd-3 never certified
        ([("prd-4", "A1")], "product_id"),  # a 2★ rating, no certificate
    ],
)
async def test_a_refused_product_writes_nothing(
    world: World, participants: list[tuple[str, str]], field: str
) -> None:
    certified(world, "prd-1")
    certified(world, "prd-2")
    certified(world, "prd-4", certificate_id=None, stars=None, status=None, rated_stars=2)
    with pytest.raises(DomainError) as caught:
        await world.venues.record_past_fair(past_fair(), participants)
    assert caught.value.field == field
    assert (fair_events(world), world.published()) == ([], [])


# --- a repeated or interrupted request (safe to retry) ---------------------------------------

TOOK_PART = [("prd-1", "A1"), ("prd-2", "A1"), ("prd-9", "B1")]


def certify_all(world: World) -> None:
    for product_id in ("prd-1", "prd-2"):
        certified(world, product_id)
    certified(world, "prd-9", province_code="96")


def showcased(world: World) -> list[tuple[str, str]]:
    return [
        (e.product_id, e.venue_id) for e in world.published() if isinstance(e, ProductShowcased)
    ]


async def placements_of(world: World, product_id: str) -> list[str]:
    placements = await world.stores.placements.get(product_id)
    assert isinstance(placements, ProductPlacements)
    return [entry.placement_id for entry in placements.entries]


async def test_a_repeat_answers_the_same_fair_and_writes_nothing(world: World) -> None:
    certify_all(world)
    first = await world.venues.record_past_fair(past_fair(), TOOK_PART)

    # The officer retries after a timeout; the spreadsheet's name differs in case and spacing.
    repeat = await world.venues.record_past_fair(
        past_fair(name="  HỘI CHỢ OCOP  Sa Đéc 2021"), TOOK_PART
    )

    assert not repeat.written
    assert repeat.shown.venue.id == first.shown.venue.id
    assert repeat.shown.venue.name == "Hội chợ OCOP Sa Đéc 2021"  # as first recorded
    assert repeat.shown.products == first.shown.products
    assert len(fair_events(world)) == 1
    assert sorted(showcased(world)) == [(p, first.shown.venue.id) for p, _ in TOOK_PART]
    assert [len(await placements_of(world, p)) for p, _ in TOOK_PART] == [1, 1, 1]


async def test_another_day_or_name_is_another_fair(world: World) -> None:
    certify_all(world)
    first = await world.venues.record_past_fair(past_fair(), [])
    next_year = past_fair(starts_on=date(2022, 5, 1), ends_on=date(2022, 5, 3))
    other = await world.venues.record_past_fair(next_year, [])
    renamed = await world.venues.record_past_fair(past_fair(name="Phiên chợ Sa Đéc 2021"), [])
    assert other.written and renamed.written
    assert len({first.shown.venue.id, other.shown.venue.id, renamed.shown.venue.id}) == 3
    assert len(fair_events(world)) == 3


class StoreDown(Exception):
    pass


def fail_on_add(world: World, monkeypatch: pytest.MonkeyPatch, nth: int) -> None:
    """The placements store goes down at its `nth` add (a product's first placement)."""
    store = world.stores.placements
    add: Callable[[ProductPlacements], Awaitable[None]] = store.add
    calls = 0

    async def failing(placements: ProductPlacements) -> None:
        nonlocal calls
        calls += 1
        if calls == nth:
            raise StoreDown("store unreachable")
        await add(placements)

    monkeypatch.setattr(store, "add", failing)


async def test_a_retry_completes_a_request_interrupted_mid_way(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    certify_all(world)
    fail_on_add(world, monkeypatch, nth=2)
    with pytest.raises(StoreDown):
        await world.venues.record_past_fair(past_fair(), TOOK_PART)
    assert len(fair_events(world)) == 1
    assert [p for p, _ in showcased(world)] == ["prd-1"]  # the fair and one placement
    monkeypatch.undo()  # the store is back

    retried = await world.venues.record_past_fair(past_fair(), TOOK_PART)

    assert retried.written
    assert [p.product_id for p in retried.shown.products] == ["prd-1", "prd-2", "prd-9"]
    assert len(fair_events(world)) == 1
    fair_id = retried.shown.venue.id
    assert sorted(showcased(world)) == [(p, fair_id) for p, _ in TOOK_PART]
    for placement in retried.shown.products:
        assert await placements_of(world, placement.product_id) == [placement.placement_id]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"place": "Cao Lãnh"}, "place"),
        ({"ends_on": date(2021, 5, 4)}, "ends_on"),
        ({"booths": (Booth("A1", 3), Booth("B1", 1))}, "booths"),
        ({"legacy_unit": None}, "legacy_unit"),
    ],
)
async def test_another_fair_under_the_same_key_is_a_conflict(
    world: World, changes: dict[str, object], field: str
) -> None:
    certify_all(world)
    first = await world.venues.record_past_fair(past_fair(), TOOK_PART[:1])
    with pytest.raises(Conflict) as caught:
        await world.venues.record_past_fair(past_fair(**changes), TOOK_PART)
    assert caught.value.field == field
    assert first.shown.venue.id in caught.value.message
    assert (len(fair_events(world)), [p for p, _ in showcased(world)]) == (1, ["prd-1"])


@pytest.mark.parametrize(
    ("participants", "field"),
    [
        ([("prd-1", "B1"), ("prd-2", "A1")], "booth_code"),  # prd-1 was recorded in A1
        ([("prd-2", "A1")], "products"),  # prd-1 left out: the booths' room is unknown
    ],
)
async def test_a_repeat_with_other_products_is_refused_before_writing(
    world: World, participants: list[tuple[str, str]], field: str
) -> None:
    certify_all(world)
    await world.venues.record_past_fair(past_fair(), [("prd-1", "A1")])
    with pytest.raises(Conflict) as caught:
        await world.venues.record_past_fair(past_fair(), participants)
    assert caught.value.field == field
    assert [p for p, _ in showcased(world)] == ["prd-1"]


async def test_a_repeat_may_add_a_product_to_the_fair(world: World) -> None:
    certify_all(world)
    await world.venues.record_past_fair(past_fair(), [("prd-1", "A1")])
    added = await world.venues.record_past_fair(past_fair(), [("prd-1", "A1"), ("prd-2", "A1")])
    assert added.written
    assert [p for p, _ in showcased(world)] == ["prd-1", "prd-2"]
    assert len(fair_events(world)) == 1


def test_a_live_fair_names_no_old_unit() -> None:
    with pytest.raises(DomainError) as caught:
        Fair.schedule("fair-1", past_fair(starts_on=date(2026, 9, 10), ends_on=date(2026, 9, 12)))
    assert caught.value.field == "legacy_unit"


# --- a showroom's products since a past day --------------------------------------------------


async def test_a_product_shown_since_a_past_day_is_recorded_with_its_old_unit(
    world: World,
) -> None:
    certified(world, "prd-1")
    showroom = await world.showroom()  # Sa Đéc, 87 in its details; placements carry 82

    placed = await world.venues.displayed_in_the_past(
        showroom, "prd-1", date(2021, 10, 1), OLD_DONG_THAP
    )

    assert placed.written and placed.placement.since == date(2021, 10, 1)
    [event] = [e for e in world.published() if isinstance(e, ProductShowcased)]
    assert (event.since, event.province_code, event.legacy_unit) == (
        date(2021, 10, 1),
        "82",
        OLD_DONG_THAP,
    )


@pytest.mark.parametrize(
    ("since", "legacy", "field"),
    [
        (TODAY, None, "since"),  # not history: POST /showrooms/{id}/products
        (date(2021, 10, 1), LegacyUnit(province_code="06"), "legacy_unit.province_code"),
        (date(2025, 8, 1), OLD_DONG_THAP, "legacy_unit"),  # after the merger
    ],
)
async def test_a_past_display_breaking_a_rule_writes_nothing(
    world: World, since: date, legacy: LegacyUnit | None, field: str
) -> None:
    certified(world, "prd-1", valid_until=date(2027, 4, 30))  # valid on each of those days
    showroom = await world.showroom()
    with pytest.raises(DomainError) as caught:
        await world.venues.displayed_in_the_past(showroom, "prd-1", since, legacy)
    assert caught.value.field == field
    assert world.published() == []


# --- a showroom's placement entered as history is safe to retry --------------------------------

SINCE = date(2021, 10, 1)


async def test_a_repeated_past_display_answers_the_placement_recorded_first(world: World) -> None:
    certified(world, "prd-1")
    showroom = await world.showroom()
    first = await world.venues.displayed_in_the_past(showroom, "prd-1", SINCE, OLD_DONG_THAP)

    # A retry after a 503 or a lost answer: the same showroom, product and first day.
    repeat = await world.venues.displayed_in_the_past(showroom, "prd-1", SINCE, OLD_DONG_THAP)

    assert (first.written, repeat.written) == (True, False)
    assert repeat.placement == first.placement
    assert await placements_of(world, "prd-1") == [first.placement.placement_id]
    assert showcased(world) == [("prd-1", showroom)]


async def test_the_same_key_with_another_old_unit_is_a_conflict(world: World) -> None:
    certified(world, "prd-1")
    showroom = await world.showroom()
    first = await world.venues.displayed_in_the_past(showroom, "prd-1", SINCE, OLD_DONG_THAP)
    with pytest.raises(Conflict) as caught:
        await world.venues.displayed_in_the_past(showroom, "prd-1", SINCE, None)
    assert caught.value.field == "legacy_unit"
    assert first.placement.placement_id in caught.value.message
    assert showcased(world) == [("prd-1", showroom)]


async def test_a_product_is_shown_again_from_another_day_once_taken_out(world: World) -> None:
    # Its certificate is valid today, so its first placement is still on display.
    certified(world, "prd-1", valid_until=date(2027, 4, 30), status=CertificateStatus.VALID)
    showroom = await world.showroom()
    first = await world.venues.displayed_in_the_past(showroom, "prd-1", SINCE, OLD_DONG_THAP)
    # Still on display: another first day is not a second placement at the same time.
    with pytest.raises(Conflict) as caught:
        await world.venues.displayed_in_the_past(showroom, "prd-1", date(2022, 3, 1), None)
    assert caught.value.field == "product_id"

    await world.placements.delist("prd-1", showroom, DelistReason.MANUAL)
    again = await world.venues.displayed_in_the_past(showroom, "prd-1", date(2022, 3, 1), None)

    assert again.written
    assert again.placement.placement_id != first.placement.placement_id
    assert await placements_of(world, "prd-1") == [
        first.placement.placement_id,
        again.placement.placement_id,
    ]


# --- the certificate of the placement's own days ------------------------------------------------


def period(
    certificate_id: str, issued_on: date, valid_until: date, revoked_on: date | None = None
) -> CertificatePeriod:
    return CertificatePeriod(certificate_id, 4, issued_on, valid_until, revoked_on)


FIRST = period("GCN-1", date(2019, 9, 10), date(2022, 9, 9))
RENEWED = period("GCN-2", date(2022, 9, 10), date(2025, 9, 9))


@pytest.mark.parametrize(
    ("periods", "first_day", "last_day", "missing"),
    [
        ((), date(2021, 5, 1), date(2021, 5, 3), date(2021, 5, 1)),
        ((FIRST,), date(2021, 5, 1), date(2021, 5, 3), None),
        ((FIRST,), date(2019, 9, 9), date(2019, 9, 9), date(2019, 9, 9)),  # before its issue
        ((FIRST,), date(2022, 9, 8), date(2022, 9, 12), date(2022, 9, 10)),  # ran out mid-way
        ((RENEWED, FIRST), date(2022, 9, 8), date(2022, 9, 12), None),  # renewed in time
        (
            (period("GCN-1", date(2019, 9, 10), date(2022, 9, 9), date(2021, 5, 2)),),
            date(2021, 5, 1),
            date(2021, 5, 3),
            date(2021, 5, 2),
        ),  # revoked on the 2nd
    ],
)
def test_the_first_day_without_a_valid_certificate(
    periods: tuple[CertificatePeriod, ...], first_day: date, last_day: date, missing: date | None
) -> None:
    assert first_day_without_certificate(periods, first_day, last_day) == missing


def certified_from(
    world: World,
    product_id: str,
    *periods: CertificatePeriod,
    status: CertificateStatus = CertificateStatus.EXPIRED,
) -> None:
    """The product's certificates as evaluation stated them; the last one is in force."""
    last = periods[-1]
    certified(
        world,
        product_id,
        certificate_id=last.certificate_id,
        issued_on=last.issued_on,
        valid_until=last.valid_until,
        status=status,
        periods=periods,
    )


async def test_a_product_certified_after_the_day_was_not_shown_as_ocop_then(world: World) -> None:
    certified_from(world, "prd-1", period("GCN-1", date(2022, 1, 5), date(2025, 1, 4)))
    showroom = await world.showroom()

    with pytest.raises(DomainError) as caught:
        await world.venues.displayed_in_the_past(showroom, "prd-1", SINCE, OLD_DONG_THAP)

    assert caught.value.field == "since"
    assert "2021-10-01" in caught.value.message and "GCN-1" in caught.value.message
    assert world.published() == []
    placed = await world.venues.displayed_in_the_past(showroom, "prd-1", date(2022, 2, 1), None)
    assert placed.written


async def test_a_product_whose_certificate_was_revoked_before_the_day_is_refused(
    world: World,
) -> None:
    revoked = period("GCN-1", date(2019, 9, 10), date(2022, 9, 9), revoked_on=date(2021, 5, 3))
    certified_from(world, "prd-1", revoked)
    showroom = await world.showroom()
    with pytest.raises(DomainError) as caught:
        await world.venues.displayed_in_the_past(showroom, "prd-1", SINCE, OLD_DONG_THAP)
    assert caught.value.field == "since"
    assert "revoked on 2021-05-03" in caught.value.message
    assert world.published() == []


async def test_a_fair_product_needs_a_certificate_valid_on_every_day_of_the_fair(
    world: World,
) -> None:
    certified(world, "prd-1")
    # prd-2's first certificate ran out on the fair's second day; prd-3's was renewed in time.
    certified_from(world, "prd-2", period("GCN-2", date(2018, 5, 2), date(2021, 5, 1)))
    certified_from(
        world,
        "prd-3",
        period("GCN-3a", date(2018, 5, 2), date(2021, 5, 1)),
        period("GCN-3b", date(2021, 5, 2), date(2024, 5, 1)),
    )
    with pytest.raises(DomainError) as caught:
        await world.venues.record_past_fair(past_fair(), [("prd-1", "A1"), ("prd-2", "A1")])
    assert caught.value.field == "product_id"
    assert "prd-2" in caught.value.message and "2021-05-02" in caught.value.message
    assert (fair_events(world), world.published()) == ([], [])

    recorded = await world.venues.record_past_fair(past_fair(), [("prd-1", "A1"), ("prd-3", "A1")])
    assert [p.product_id for p in recorded.shown.products] == ["prd-1", "prd-3"]


# --- a showroom's placement entered as history lasts while its certificate did ------------------


def delistings(world: World) -> list[tuple[str, date, DelistReason, str | None]]:
    return [
        (e.venue_id, e.delisted_on, e.reason, e.certificate_id)
        for e in world.published()
        if isinstance(e, ProductDelisted)
    ]


@pytest.mark.parametrize(
    ("periods", "status", "ended"),
    [
        ((FIRST,), CertificateStatus.EXPIRED, CoverageEnd(date(2022, 9, 10), "GCN-1", False)),
        (
            (FIRST, RENEWED),
            CertificateStatus.EXPIRED,
            CoverageEnd(date(2025, 9, 10), "GCN-2", False),
        ),
        (
            (FIRST, period("GCN-2", date(2022, 9, 10), date(2027, 9, 9))),
            CertificateStatus.VALID,
            None,
        ),  # renewed without a gap, valid today
        (
            (FIRST, period("GCN-2", date(2023, 1, 1), date(2027, 9, 9))),
            CertificateStatus.VALID,
            CoverageEnd(date(2022, 9, 10), "GCN-1", False),
        ),  # renewed after a gap: the stay ended with the first
        (
            (period("GCN-1", date(2019, 9, 10), date(2022, 9, 9), date(2021, 12, 1)),),
            CertificateStatus.REVOKED,
            CoverageEnd(date(2021, 12, 1), "GCN-1", True),
        ),
        (
            (period("GCN-1", date(2019, 9, 10), date(2027, 9, 9)),),
            CertificateStatus.REVOKED,
            CoverageEnd(TODAY, "GCN-1", True),
        ),  # revoked on a day not kept (an older copy): ends today
    ],
)
def test_where_a_certificate_coverage_from_a_day_ended(
    periods: tuple[CertificatePeriod, ...], status: CertificateStatus, ended: CoverageEnd | None
) -> None:
    last = periods[-1]
    certification = Certification(
        "prd-1",
        last.certificate_id,
        4,
        last.valid_until,
        status,
        issued_on=last.issued_on,
        periods=periods,
    )
    assert coverage_end(certification, SINCE, TODAY) == ended


async def test_a_past_display_whose_certificate_ran_out_before_today_is_recorded_ended(
    world: World,
) -> None:
    # Certified on 15 September 2021, valid until 14 September 2024: its CertificateExpired
    # was handled long before this placement was entered.
    lapsed = period("GCN-1", date(2021, 9, 15), date(2024, 9, 14))
    certified_from(world, "prd-1", lapsed)
    showroom = await world.showroom()

    placed = await world.venues.displayed_in_the_past(showroom, "prd-1", SINCE, OLD_DONG_THAP)

    # Taken down on the day the live path would have: the day after its last valid day.
    assert placed.written
    shown = placed.placement
    assert (shown.state, shown.delisted_on, shown.reason) == (
        PlacementState.DELISTED,
        date(2024, 9, 15),
        DelistReason.CERTIFICATE_EXPIRED,
    )
    assert await world.placements.on_display_at(showroom) == []
    assert showcased(world) == [("prd-1", showroom)]
    assert delistings(world) == [
        (showroom, date(2024, 9, 15), DelistReason.CERTIFICATE_EXPIRED, "GCN-1")
    ]
    [showcase] = [e for e in world.published() if isinstance(e, ProductShowcased)]
    assert showcase.since == SINCE

    repeat = await world.venues.displayed_in_the_past(showroom, "prd-1", SINCE, OLD_DONG_THAP)
    assert (repeat.written, repeat.placement) == (False, shown)
    assert len(world.published()) == 2  # the repeat wrote nothing


async def test_a_past_display_renewed_without_a_gap_is_still_on_display(world: World) -> None:
    renewed = period("GCN-2", date(2024, 9, 15), date(2027, 9, 14))
    first = period("GCN-1", date(2021, 9, 15), date(2024, 9, 14))
    certified_from(world, "prd-1", first, renewed, status=CertificateStatus.VALID)
    showroom = await world.showroom()

    placed = await world.venues.displayed_in_the_past(showroom, "prd-1", SINCE, OLD_DONG_THAP)

    # The live path takes it down when GCN-2 runs out (CertificateExpired, or the sweep).
    assert placed.placement.state is PlacementState.ACTIVE
    assert [p.product_id for p in await world.placements.on_display_at(showroom)] == ["prd-1"]
    assert delistings(world) == []


async def test_a_past_display_whose_certificate_was_revoked_since_ended_on_its_revocation(
    world: World,
) -> None:
    revoked = period("GCN-1", date(2021, 9, 15), date(2024, 9, 14), revoked_on=date(2023, 3, 2))
    certified_from(world, "prd-1", revoked, status=CertificateStatus.REVOKED)
    showroom = await world.showroom()

    placed = await world.venues.displayed_in_the_past(showroom, "prd-1", SINCE, OLD_DONG_THAP)

    # Valid through 1 March 2023, the day before its revocation; taken down on 2 March.
    shown = placed.placement
    assert (shown.state, shown.delisted_on, shown.reason) == (
        PlacementState.DELISTED,
        date(2023, 3, 2),
        DelistReason.CERTIFICATE_REVOKED,
    )
    assert delistings(world) == [
        (showroom, date(2023, 3, 2), DelistReason.CERTIFICATE_REVOKED, "GCN-1")
    ]
    assert await world.placements.on_display_at(showroom) == []
