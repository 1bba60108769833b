"""Promotion's aggregates: a product's placements (place, withdraw, delist everywhere; a
delisted placement cannot be delisted again), fairs (scheduled, booths, outcome), showrooms and
activities, and the events each change records."""

from __future__ import annotations

from datetime import date

import pytest

from ocop_contracts.events.promotion import (
    FairScheduled,
    ProductDelisted,
    ProductShowcased,
    PromotionActivityRecorded,
)
from ocop_contracts.legacy import LegacyUnit
from ocop_contracts.vocabulary import ActivityKind, DelistReason, VenueKind
from ocop_platform.errors import Conflict, DomainError
from ocop_promotion.domain.activities import Activity, ActivityDetails
from ocop_promotion.domain.placements import (
    AlreadyPlaced,
    IllegalMove,
    NotPlaced,
    PlacementState,
    PlacementTerms,
    ProductPlacements,
    VenueRef,
)
from ocop_promotion.domain.venues import (
    Booth,
    Fair,
    FairDetails,
    FairOutcome,
    Showroom,
    ShowroomDetails,
)

TODAY = date(2026, 9, 1)
SHOWROOM = VenueRef(VenueKind.SHOWROOM, "shr-1", "Điểm bán OCOP Sa Đéc")
SHOP = VenueRef(VenueKind.ONLINE, "lst-1", "shopee")


def placed(*venues: VenueRef) -> ProductPlacements:
    placements = ProductPlacements(id="prd-1")
    for n, venue in enumerate(venues):
        placements.place(
            venue, PlacementTerms(), placement_id=f"plc-{n}", today=TODAY, province_code="87"
        )
    return placements


def test_placing_a_product_records_showcased_with_the_next_version() -> None:
    placements = placed(SHOWROOM, SHOP)
    first, second = placements.pending_events
    assert isinstance(first, ProductShowcased) and isinstance(second, ProductShowcased)
    assert (first.aggregate_id, first.aggregate_version, first.venue_id) == ("prd-1", 1, "shr-1")
    assert (second.aggregate_version, second.venue_kind, second.since) == (
        2,
        VenueKind.ONLINE,
        TODAY,
    )
    assert second.province_code == "87"
    assert placements.version == 2


def test_a_product_is_placed_at_a_venue_once_while_active() -> None:
    placements = placed(SHOWROOM)
    with pytest.raises(AlreadyPlaced, match="already placed at showroom shr-1"):
        placements.place(
            SHOWROOM, PlacementTerms(), placement_id="plc-9", today=TODAY, province_code="87"
        )
    assert placements.version == 1


def test_withdrawing_delists_one_venue_with_its_reason() -> None:
    placements = placed(SHOWROOM, SHOP)
    withdrawn = placements.withdraw("shr-1", DelistReason.MANUAL, date(2026, 9, 2))
    assert (withdrawn.state, withdrawn.reason) == (PlacementState.DELISTED, DelistReason.MANUAL)
    assert withdrawn.delisted_on == date(2026, 9, 2)
    event = placements.pending_events[-1]
    assert isinstance(event, ProductDelisted)
    assert (event.venue_id, event.aggregate_version, event.certificate_id) == ("shr-1", 3, None)
    assert placements.active_at("lst-1")


def test_withdrawing_from_a_venue_the_product_is_not_at_is_refused() -> None:
    placements = placed(SHOWROOM)
    placements.withdraw("shr-1", DelistReason.MANUAL, TODAY)
    with pytest.raises(NotPlaced, match="product prd-1 is not placed at shr-1"):
        placements.withdraw("shr-1", DelistReason.MANUAL, TODAY)


def test_a_delisted_placement_cannot_be_delisted_again() -> None:
    [placement] = placed(SHOWROOM).delist_everywhere(DelistReason.CERTIFICATE_EXPIRED, TODAY, None)
    with pytest.raises(IllegalMove, match="delisted on 2026-09-01"):
        placement.delist(DelistReason.MANUAL, TODAY)


def test_delisting_everywhere_records_one_event_per_venue_and_is_idempotent() -> None:
    placements = placed(SHOWROOM, SHOP)
    delisted = placements.delist_everywhere(DelistReason.CERTIFICATE_REVOKED, TODAY, "cert-1")
    assert [p.venue_id for p in delisted] == ["shr-1", "lst-1"]
    events = [e for e in placements.pending_events if isinstance(e, ProductDelisted)]
    assert [(e.aggregate_version, e.certificate_id) for e in events] == [
        (3, "cert-1"),
        (4, "cert-1"),
    ]
    assert placements.delist_everywhere(DelistReason.CERTIFICATE_REVOKED, TODAY, "cert-1") == []
    assert placements.version == 4


def test_placements_are_stored_in_their_documented_shape() -> None:
    document = placed(SHOWROOM).to_document()
    [entry] = document["entries"]
    assert entry == {
        "placement_id": "plc-0",
        "product_id": "prd-1",
        "venue_kind": "showroom",
        "venue_id": "shr-1",
        "venue_name": "Điểm bán OCOP Sa Đéc",
        "booth_code": None,
        "channel": None,
        "url": None,
        "since": "2026-09-01",
        "legacy_unit": None,  # a past fair's old unit (history only)
        "state": "active",
        "delisted_on": None,
        "reason": None,
    }
    assert ProductPlacements.from_document(document).entries[0].since == TODAY


def fair_details(**changes: object) -> FairDetails:
    fields: dict[str, object] = {
        "name": "  Hội chợ   OCOP ",
        "place": "Sa Đéc",
        "organiser": "",
        "province_code": "87",
        "starts_on": date(2026, 9, 10),
        "ends_on": date(2026, 9, 12),
        "booths": (Booth("A1", 1, "Gian  A1"),),
        **changes,
    }
    return FairDetails(**fields)  # type: ignore[arg-type]


def test_a_scheduled_fair_records_fair_scheduled_in_normal_text() -> None:
    fair = Fair.schedule("fair-1", fair_details())
    [event] = fair.pending_events
    assert isinstance(event, FairScheduled)
    assert (event.aggregate_version, event.name, event.ends_on) == (
        1,
        "Hội chợ OCOP",
        date(2026, 9, 12),
    )
    assert fair.booths == [Booth("A1", 1, "Gian A1")]


def test_a_fair_with_repeated_booths_or_reversed_dates_is_refused() -> None:
    with pytest.raises(DomainError, match="unique"):
        Fair.schedule("fair-1", fair_details(booths=(Booth("A1", 1), Booth("A1", 2))))
    with pytest.raises(DomainError, match="ends"):
        Fair.schedule("fair-1", fair_details(ends_on=date(2026, 9, 1)))


def test_a_fair_outcome_is_recorded_once_it_has_begun() -> None:
    fair = Fair.schedule("fair-1", fair_details())
    with pytest.raises(DomainError, match="starts on 2026-09-10"):
        fair.record_outcome(FairOutcome(sales_vnd=5), TODAY)
    fair.record_outcome(FairOutcome(sales_vnd=5), date(2026, 9, 11))
    assert fair.outcome is not None and fair.outcome.recorded_on == date(2026, 9, 11)
    assert fair.version == 2 and len(fair.pending_events) == 1  # no event for an outcome


def test_a_fair_takes_products_until_it_ends_into_booths_with_room() -> None:
    fair = Fair.schedule("fair-1", fair_details())
    venue = fair.venue_for("A1", date(2026, 9, 12))
    assert (venue.kind, venue.valid_through) == (VenueKind.FAIR, date(2026, 9, 12))
    with pytest.raises(DomainError, match="ended on 2026-09-12"):
        fair.venue_for("A1", date(2026, 9, 13))
    with pytest.raises(DomainError, match="no booth 'Z9'"):
        fair.venue_for("Z9", TODAY)
    with pytest.raises(Conflict, match="booth A1 is full"):
        fair.check_booth_has_room("A1", ["prd-2"])


def test_a_showroom_keeps_its_kind_and_is_stored_under_kind() -> None:
    details = ShowroomDetails("Điểm bán OCOP Sa Đéc", "sales_point", "Sa Đéc", "87")
    showroom = Showroom.open("shr-1", details)
    assert showroom.to_document()["kind"] == "sales_point"
    assert (showroom.version, showroom.pending_events) == (1, ())
    assert showroom.venue() == SHOWROOM


def test_an_activity_records_its_event() -> None:
    details = ActivityDetails(ActivityKind.TV_REPORT, "Phóng sự", TODAY, "87", product_ids=("p",))
    activity = Activity.record_new("act-1", details)
    [event] = activity.pending_events
    assert isinstance(event, PromotionActivityRecorded)
    assert (event.aggregate_version, event.kind, event.product_ids) == (
        1,
        ActivityKind.TV_REPORT,
        ("p",),
    )
    assert activity.to_document()["kind"] == "tv_report"


def test_an_activity_before_the_merger_carries_the_old_unit_it_was_for() -> None:
    # A Bắc Kạn (06) TV report of 2022, recorded today under Thái Nguyên (19).
    bac_kan = LegacyUnit(province_code="06")
    details = ActivityDetails(
        ActivityKind.TV_REPORT, "Phóng sự", date(2022, 5, 20), "19", legacy_unit=bac_kan
    )
    activity = Activity.record_new("act-2", details)
    [event] = activity.pending_events
    assert isinstance(event, PromotionActivityRecorded)
    assert (event.schema_version, event.province_code, event.legacy_unit) == (2, "19", bac_kan)
    assert Activity.from_document(activity.to_document()).legacy_unit == bac_kan


@pytest.mark.parametrize(
    ("old", "province", "day", "reason"),
    [
        ("20", "19", date(2022, 5, 20), "old province 20 became 20, not 19"),
        ("06", "19", date(2025, 7, 1), "legacy_unit is the unit before 2025-07-01"),
    ],
)
def test_an_activity_s_old_unit_must_be_one_that_became_its_province(
    old: str, province: str, day: date, reason: str
) -> None:
    details = ActivityDetails(
        ActivityKind.NEWS_ITEM, "Tin", day, province, legacy_unit=LegacyUnit(province_code=old)
    )
    with pytest.raises(DomainError, match=reason):
        Activity.record_new("act-3", details)
