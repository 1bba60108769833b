"""Promotion's venue and placement use cases against the in-memory stores: what is saved and
which events the relay would publish."""

from __future__ import annotations

from datetime import date

import pytest

from ocop_contracts.events.promotion import FairScheduled, ProductDelisted, ProductShowcased
from ocop_contracts.vocabulary import ActivityKind, DelistReason
from ocop_platform.aggregates import InMemoryAggregateStore
from ocop_platform.errors import Conflict, DomainError, NotFound
from ocop_promotion.adapters.memory import MemoryCertifications, memory_venue_stores
from ocop_promotion.adapters.stores import VenueStores
from ocop_promotion.domain.activities import ActivityDetails
from ocop_promotion.domain.compliance import CertificateStatus, Certification
from ocop_promotion.domain.placements import AlreadyPlaced, NotPlaced, ProductPlacements
from ocop_promotion.domain.venues import Booth, FairDetails, FairOutcome, ShowroomDetails
from ocop_promotion.service_layer.placements import PlacementService
from ocop_promotion.service_layer.venues import VenueService

TODAY = date(2026, 9, 1)


class Today:
    def __init__(self) -> None:
        self.day = TODAY

    def __call__(self) -> date:
        return self.day


class World:
    def __init__(self) -> None:
        self.today = Today()
        self.stores: VenueStores = memory_venue_stores()
        self.placements = PlacementService(self.stores, today=self.today)
        self.venues = VenueService(self.stores, self.placements, today=self.today)

    def certify(self, product_id: str, valid_until: date = date(2029, 8, 31)) -> None:
        certifications = self.stores.certifications
        assert isinstance(certifications, MemoryCertifications)
        certifications.put(
            Certification(
                product_id=product_id,
                certificate_id=f"cert-{product_id}",
                stars=4,
                valid_until=valid_until,
                status=CertificateStatus.VALID,
                province_code="87",
            )
        )

    def published(self) -> list[object]:
        store = self.stores.placements
        assert isinstance(store, InMemoryAggregateStore)
        return list(store.published)

    async def showroom(self) -> str:
        details = ShowroomDetails("Điểm bán OCOP Sa Đéc", "sales_point", "Sa Đéc", "87")
        return (await self.venues.open_showroom(details)).venue.id

    async def fair(self, capacity: int = 1) -> str:
        details = FairDetails(
            "Hội chợ OCOP",
            "Sa Đéc",
            "",
            "87",
            date(2026, 9, 10),
            date(2026, 9, 12),
            (Booth("A1", capacity),),
        )
        return (await self.venues.schedule_fair(details)).venue.id


@pytest.fixture
def world() -> World:
    return World()


async def test_a_certified_product_is_displayed_with_product_showcased(world: World) -> None:
    world.certify("prd-1")
    showroom_id = await world.showroom()
    placement = await world.venues.display_in_showroom(showroom_id, "prd-1")

    [event] = world.published()
    assert isinstance(event, ProductShowcased)
    assert (event.venue_id, event.aggregate_version, event.province_code) == (showroom_id, 1, "87")
    shown = await world.venues.showroom(showroom_id)
    assert [p.placement_id for p in shown.products] == [placement.placement_id]


async def test_a_product_without_a_certificate_is_refused_and_nothing_is_saved(
    world: World,
) -> None:
    showroom_id = await world.showroom()
    with pytest.raises(DomainError, match="no OCOP rating or certificate"):
        await world.venues.display_in_showroom(showroom_id, "prd-1")
    assert world.published() == []
    assert await world.stores.placements.get("prd-1") is None


async def test_a_product_is_displayed_once_per_venue(world: World) -> None:
    world.certify("prd-1")
    showroom_id = await world.showroom()
    await world.venues.display_in_showroom(showroom_id, "prd-1")
    with pytest.raises(AlreadyPlaced):
        await world.venues.display_in_showroom(showroom_id, "prd-1")
    assert len(world.published()) == 1


async def test_a_full_booth_refuses_the_next_product(world: World) -> None:
    world.certify("prd-1")
    world.certify("prd-2")
    fair_id = await world.fair(capacity=1)
    await world.venues.place_in_fair(fair_id, "prd-1", "A1")
    with pytest.raises(Conflict, match="booth A1 is full: 1 of 1"):
        await world.venues.place_in_fair(fair_id, "prd-2", "A1")
    assert [p.product_id for p in (await world.venues.fair(fair_id)).products] == ["prd-1"]


async def test_a_certificate_ending_before_the_fair_does_is_refused(world: World) -> None:
    world.certify("prd-1", valid_until=date(2026, 9, 11))
    fair_id = await world.fair()
    with pytest.raises(DomainError, match="valid only until 2026-09-11"):
        await world.venues.place_in_fair(fair_id, "prd-1", "A1")


async def test_withdrawing_by_hand_delists_one_venue(world: World) -> None:
    world.certify("prd-1")
    showroom_id = await world.showroom()
    await world.venues.display_in_showroom(showroom_id, "prd-1")
    listing = await world.venues.list_online("prd-1", "shopee", "https://shopee.vn/p/1")

    withdrawn = await world.placements.delist("prd-1", showroom_id, DelistReason.MANUAL)
    assert withdrawn.reason is DelistReason.MANUAL
    event = world.published()[-1]
    assert isinstance(event, ProductDelisted) and event.aggregate_version == 3
    assert (await world.venues.showroom(showroom_id)).products == []
    assert (await world.venues.listing(listing.placement_id)).state == "active"
    with pytest.raises(NotPlaced):
        await world.placements.delist("prd-1", showroom_id, DelistReason.MANUAL)
    with pytest.raises(NotPlaced, match="product prd-9 is not placed"):
        await world.placements.delist("prd-9", showroom_id, DelistReason.MANUAL)


async def test_a_lapsed_certificate_delists_everywhere_once(world: World) -> None:
    world.certify("prd-1")
    showroom_id = await world.showroom()
    await world.venues.display_in_showroom(showroom_id, "prd-1")
    await world.venues.list_online("prd-1", "shopee", "https://shopee.vn/p/1")

    reason = DelistReason.CERTIFICATE_REVOKED
    assert await world.placements.delist_everywhere("prd-1", reason, "cert-prd-1") == 2
    assert await world.placements.delist_everywhere("prd-1", reason, "cert-prd-1") == 0
    assert await world.placements.delist_everywhere("prd-9", reason, None) == 0
    delisted = [e for e in world.published() if isinstance(e, ProductDelisted)]
    assert [(e.aggregate_version, e.certificate_id) for e in delisted] == [
        (3, "cert-prd-1"),
        (4, "cert-prd-1"),
    ]
    stored = await world.stores.placements.get("prd-1")
    assert isinstance(stored, ProductPlacements) and stored.version == 4


async def test_listings_are_found_by_product_channel_and_state_and_taken_down(
    world: World,
) -> None:
    world.certify("prd-1")
    world.certify("prd-2")
    first = await world.venues.list_online("prd-1", "shopee", "https://shopee.vn/p/1")
    await world.venues.list_online("prd-2", "tiki", "https://tiki.vn/p/2")

    assert [p.product_id for p in await world.venues.listings(None, "87", "tiki", None)] == [
        "prd-2"
    ]
    taken_down = await world.venues.take_down_listing(first.placement_id)
    assert taken_down.state == "delisted"
    assert await world.venues.listings("prd-1", None, None, "active") == []
    with pytest.raises(NotFound, match="no online listing lst-none"):
        await world.venues.listing("lst-none")


async def test_a_fair_is_scheduled_and_its_outcome_recorded_once_begun(world: World) -> None:
    fair_id = await world.fair()
    fairs = world.stores.fairs
    assert isinstance(fairs, InMemoryAggregateStore)
    [event] = fairs.published
    assert isinstance(event, FairScheduled) and event.fair_id == fair_id

    with pytest.raises(DomainError, match="starts on 2026-09-10"):
        await world.venues.record_outcome(fair_id, FairOutcome(sales_vnd=1))
    world.today.day = date(2026, 9, 11)
    shown = await world.venues.record_outcome(fair_id, FairOutcome(sales_vnd=1))
    assert shown.venue.version == 2
    with pytest.raises(NotFound, match="no fair fair-none"):
        await world.venues.record_outcome("fair-none", FairOutcome())


async def test_venues_and_activities_are_listed_a_page_at_a_time(world: World) -> None:
    for _ in range(3):
        await world.showroom()
    page, total = await world.venues.showrooms("87", page=2, page_size=2)
    assert (len(page), total) == (1, 3)
    details = ActivityDetails(ActivityKind.NEWS_ITEM, "Tin OCOP", TODAY, "87")
    await world.venues.record_activity(details)
    found, total = await world.venues.activities("87", ActivityKind.NEWS_ITEM, TODAY, None, 1, 10)
    assert total == 1 and found[0].title == "Tin OCOP"
