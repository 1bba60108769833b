"""Fairs, showrooms and sales points, online listings and media activities: load → change →
save of the venue aggregates, and the products each venue shows."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from ocop_contracts.legacy import LegacyUnit
from ocop_contracts.vocabulary import ActivityKind, DelistReason, VenueKind
from ocop_platform.aggregates import (
    Aggregate,
    AggregateExists,
    AggregateNotFound,
    AggregateStore,
    change,
)
from ocop_platform.errors import NotFound
from ocop_promotion.adapters.stores import (
    VenueStores,
    activities_in,
    fairs_in,
    placements_at,
    placements_of_products,
    showrooms_in,
)
from ocop_promotion.domain.activities import Activity, ActivityDetails
from ocop_promotion.domain.placements import (
    Placement,
    PlacementTerms,
    VenueRef,
    past_placement_id,
)
from ocop_promotion.domain.venues import (
    Fair,
    FairDetails,
    FairOutcome,
    Showroom,
    ShowroomDetails,
    check_legacy_unit,
    check_repeat_names_every_product,
    check_shown_since,
    past_fair_id,
)
from ocop_promotion.service_layer.placements import PastPlacement, PastStay, PlacementService

A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class Shown:
    """A fair or showroom with the products it shows now."""

    venue: Fair | Showroom
    products: list[Placement]


@dataclass(frozen=True)
class RecordedFair:
    """A fair recorded as history; `written` False: all of it was recorded before."""

    shown: Shown
    written: bool


def _took_part(fair: Fair, participants: list[tuple[str, str]]) -> list[PastStay]:
    """The products of a past fair, its rules (booths, room, each once) checked; each held a
    valid certificate on every day of the fair."""
    venues = fair.past_venues(participants)
    return [
        PastStay(
            product_id,
            venue,
            PlacementTerms(booth_code=booth),
            past_placement_id(fair.id, product_id),
            since=fair.starts_on,
            certified_days=(fair.starts_on, fair.ends_on),
            legacy_unit=fair.legacy_unit,
            date_field="product_id",
        )
        for (product_id, booth), venue in zip(participants, venues, strict=True)
    ]


class VenueService:
    def __init__(
        self, stores: VenueStores, placements: PlacementService, *, today: Callable[[], date]
    ) -> None:
        self._stores = stores
        self._placements = placements
        self._today = today

    # --- fairs ------------------------------------------------------------------------------

    async def schedule_fair(self, details: FairDetails) -> Shown:
        fair = Fair.schedule(f"fair-{uuid.uuid4().hex[:12]}", details)
        await self._stores.fairs.add(fair)
        return Shown(fair, [])

    async def record_past_fair(
        self, details: FairDetails, participants: list[tuple[str, str]]
    ) -> RecordedFair:
        """A fair that is over, with the products that took part ((product id, booth code)):
        everything is checked before anything is written. The fair's id comes from its key and
        each placement's from the fair and the product, so a repeat of the request completes
        what an interrupted run left and otherwise writes nothing."""
        fair_id = past_fair_id(details.province_code, details.starts_on, details.name)
        fair = Fair.record_history(fair_id, details, self._today())
        earlier = await self._stores.fairs.get(fair_id)
        if earlier is not None:
            earlier.check_same_history(fair)
            await self._check_names_every_product(earlier, participants)
            fair = earlier
        took_part = _took_part(fair, participants)
        for stay in took_part:
            await self._placements.check_past_placement(stay)
        written = earlier is None and await self._added(fair)
        placed = [await self._placements.place_in_past(stay) for stay in took_part]
        written = written or any(p.written for p in placed)
        return RecordedFair(Shown(fair, [p.placement for p in placed]), written)

    async def _check_names_every_product(
        self, fair: Fair, participants: list[tuple[str, str]]
    ) -> None:
        recorded = [
            entry.product_id
            for placements in await placements_at(self._stores, fair.id)
            for entry in placements.entries
            if entry.venue_id == fair.id
        ]
        check_repeat_names_every_product([p for p, _ in participants], recorded)

    async def _added(self, fair: Fair) -> bool:
        """Add a fair recorded as history; False when the same request, run alongside, added
        it first (its details checked again)."""
        try:
            await self._stores.fairs.add(fair)
        except AggregateExists:
            stored = await _found(self._stores.fairs, fair.id, f"no fair {fair.id}")
            stored.check_same_history(fair)
            return False
        return True

    async def fair(self, fair_id: str) -> Shown:
        fair = await _found(self._stores.fairs, fair_id, f"no fair {fair_id}")
        return Shown(fair, await self._placements.on_display_at(fair_id))

    async def fairs(
        self, province_code: str | None, year: int | None, page: int, page_size: int
    ) -> tuple[list[Fair], int]:
        return await fairs_in(self._stores, province_code, year, page, page_size)

    async def record_outcome(self, fair_id: str, outcome: FairOutcome) -> Shown:
        today = self._today()
        try:
            await change(self._stores.fairs, fair_id, lambda f: f.record_outcome(outcome, today))
        except AggregateNotFound:
            raise NotFound(f"no fair {fair_id}") from None
        return await self.fair(fair_id)

    async def place_in_fair(self, fair_id: str, product_id: str, booth_code: str) -> Placement:
        fair = await _found(self._stores.fairs, fair_id, f"no fair {fair_id}")
        venue = fair.venue_for(booth_code, self._today())

        def check_room(active: list[Placement]) -> None:
            fair.check_booth_has_room(
                booth_code, [p.product_id for p in active if p.booth_code == booth_code]
            )

        terms = PlacementTerms(booth_code=booth_code)
        return await self._placements.place(product_id, venue, terms, check_room=check_room)

    # --- showrooms and sales points ---------------------------------------------------------

    async def open_showroom(self, details: ShowroomDetails) -> Shown:
        showroom = Showroom.open(f"shr-{uuid.uuid4().hex[:12]}", details)
        await self._stores.showrooms.add(showroom)
        return Shown(showroom, [])

    async def showroom(self, showroom_id: str) -> Shown:
        showroom = await self._showroom(showroom_id)
        return Shown(showroom, await self._placements.on_display_at(showroom_id))

    async def _showroom(self, showroom_id: str) -> Showroom:
        message = f"no showroom or sales point {showroom_id}"
        return await _found(self._stores.showrooms, showroom_id, message)

    async def showrooms(
        self, province_code: str | None, page: int, page_size: int
    ) -> tuple[list[Showroom], int]:
        return await showrooms_in(self._stores, province_code, page, page_size)

    async def display_in_showroom(self, showroom_id: str, product_id: str) -> Placement:
        showroom = await self._showroom(showroom_id)
        return await self._placements.place(product_id, showroom.venue())

    async def displayed_in_the_past(
        self, showroom_id: str, product_id: str, since: date, legacy_unit: LegacyUnit | None
    ) -> PastPlacement:
        """History: a product shown at a showroom since a day before today (its first day
        there), with its unit then before 1 July 2025; the product held a valid ≥3★
        certificate on that day. Shown while that certificate (renewed without a gap) lasted:
        one that ran out or was revoked before today leaves the placement delisted on the day
        it lapsed, with the live path's reason. Known by showroom, product and first day, so a
        repeat finds the placement it made (`written` False) instead of placing the product
        twice; the same key with another old unit is a conflict (legacy_unit)."""
        showroom = await self._showroom(showroom_id)
        check_shown_since(since, self._today(), showroom.opened_on)
        stay = PastStay(
            product_id,
            showroom.venue(),
            PlacementTerms(),
            past_placement_id(showroom_id, product_id, since),
            since=since,
            certified_days=(since, since),
            legacy_unit=legacy_unit,
            date_field="since",
            ends_with_certificate=True,
        )
        certification, _ = await self._placements.certified_for(stay)
        check_legacy_unit(legacy_unit, certification.province_code or "", since, "placement")
        return await self._placements.place_in_past(stay)

    # --- online listings --------------------------------------------------------------------

    async def list_online(self, product_id: str, channel: str, url: str) -> Placement:
        venue = VenueRef(VenueKind.ONLINE, f"lst-{uuid.uuid4().hex[:12]}", channel)
        terms = PlacementTerms(channel=channel, url=url)
        return await self._placements.place(product_id, venue, terms)

    async def listings(
        self,
        product_id: str | None,
        province_code: str | None,
        channel: str | None,
        state: str | None,
    ) -> list[Placement]:
        # One product's listings are in its placements (a read by `_id`); the index is asked
        # only for every product's.
        index = self._stores.venue_index
        listed = [product_id] if product_id else await index.products_listed_online(None)
        found = [
            entry
            for placements in await placements_of_products(self._stores, listed)
            if province_code is None or placements.province_code == province_code
            for entry in placements.entries
            if entry.venue_kind is VenueKind.ONLINE
            and channel in (None, entry.channel)
            and state in (None, entry.state)
        ]
        return sorted(found, key=lambda e: (e.since, e.placement_id), reverse=True)

    async def listing(self, listing_id: str) -> Placement:
        # An online listing is a venue of its own, so the index finds its product.
        products = await self._stores.venue_index.products_at(listing_id)
        for placements in await placements_of_products(self._stores, products):
            for entry in placements.entries:
                if entry.placement_id == listing_id:
                    return entry
        raise NotFound(f"no online listing {listing_id}")

    async def take_down_listing(self, listing_id: str) -> Placement:
        listing = await self.listing(listing_id)
        return await self._placements.delist(
            listing.product_id, listing.venue_id, DelistReason.MANUAL
        )

    # --- media and other promotion activities -----------------------------------------------

    async def record_activity(self, details: ActivityDetails) -> Activity:
        activity = Activity.record_new(f"act-{uuid.uuid4().hex[:12]}", details)
        await self._stores.activities.add(activity)
        return activity

    async def activities(
        self,
        province_code: str | None,
        kind: ActivityKind | None,
        occurred_from: date | None,
        occurred_to: date | None,
        page: int,
        page_size: int,
    ) -> tuple[list[Activity], int]:
        span = (occurred_from, occurred_to)
        return await activities_in(self._stores, province_code, kind, span, page, page_size)


async def _found(store: AggregateStore[A], aggregate_id: str, message: str) -> A:
    aggregate = await store.get(aggregate_id)
    if aggregate is None:
        raise NotFound(message)
    return aggregate
