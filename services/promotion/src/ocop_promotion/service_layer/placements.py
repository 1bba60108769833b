"""Placing products in fairs, showrooms and online shops, and taking them out again.

A product's placements are one aggregate (:class:`ProductPlacements`, key: the product id):
every placement and delisting is load → change → one version-guarded save of the new state
with its ProductShowcased / ProductDelisted events. Delisting on certificate expiry or
revocation takes the product out of every venue in that one write.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from ocop_contracts.legacy import LegacyUnit
from ocop_contracts.reference import successor_of
from ocop_contracts.vocabulary import DelistReason, VenueKind
from ocop_platform.aggregates import AggregateExists, AggregateNotFound, ConcurrencyConflict, change
from ocop_platform.errors import Conflict, DomainError
from ocop_promotion.adapters.stores import VenueStores, placements_at
from ocop_promotion.domain.compliance import (
    Certification,
    coverage_end,
    ensure_certified_through,
    ensure_placeable,
)
from ocop_promotion.domain.placements import (
    UNKNOWN_PROVINCE,
    NotPlaced,
    Placement,
    PlacementTerms,
    ProductPlacements,
    VenueRef,
)

R = TypeVar("R")
ATTEMPTS = 5  # optimistic-concurrency retries on a product's placements
# Checks a venue's room against the active placements there (a fair's booth capacity).
OccupancyCheck = Callable[[list[Placement]], None]


@dataclass(frozen=True)
class Eligibility:
    product_id: str
    placeable: bool
    reason: str | None
    certification: Certification | None


@dataclass(frozen=True)
class PastStay:
    """A product's placement entered as history: where, from which day, under which id, and
    the days its certificate must cover (a past fair's days; a showroom's first day)."""

    product_id: str
    venue: VenueRef
    terms: PlacementTerms
    placement_id: str
    since: date
    certified_days: tuple[date, date]  # first and last day a valid certificate must cover
    legacy_unit: LegacyUnit | None
    date_field: str  # the request's field a day without a certificate is reported against
    # A showroom's stay lasts while the certificate does: one whose coverage ended before
    # today is recorded ended then (a past fair's days are its own end).
    ends_with_certificate: bool = False


@dataclass(frozen=True)
class PastPlacement:
    placement: Placement
    written: bool  # False: recorded by an earlier run of the same request


class PlacementService:
    def __init__(self, stores: VenueStores, *, today: Callable[[], date]) -> None:
        self._stores = stores
        self._placements = stores.placements
        self._today = today

    async def place(
        self,
        product_id: str,
        venue: VenueRef,
        terms: PlacementTerms = PlacementTerms(),
        *,
        check_room: OccupancyCheck | None = None,
    ) -> Placement:
        """Place a product with a valid ≥3★ certificate; returns the placement."""
        today = self._today()
        certification = await self._stores.certifications.certification(product_id)
        ensure_placeable(certification, today, until=venue.valid_through)
        province = certification.province_code if certification else None
        await self._stores.venue_index.remember(venue, product_id)
        # An online listing is a venue of its own: its id is the placement's id.
        placement_id = (
            venue.venue_id if venue.kind is VenueKind.ONLINE else f"plc-{uuid.uuid4().hex[:12]}"
        )
        for _ in range(ATTEMPTS):
            placements = await self._placements.get(product_id)
            placements = placements or ProductPlacements(id=product_id)
            placements.refuse_if_placed_at(venue)
            if check_room is not None:
                check_room(await self.on_display_at(venue.venue_id))
            placement = placements.place(
                venue,
                terms,
                placement_id=placement_id,
                today=today,
                province_code=province or UNKNOWN_PROVINCE,
            )
            if await self._stored(placements):
                return placement
        raise Conflict("the product's placements kept changing; try again", field="product_id")

    async def check_past_placement(self, stay: PastStay) -> None:
        """Whether `place_in_past` would record the stay (or find it recorded): the product's
        certificate on its days, and no clash with its placements (DomainError, nothing
        written)."""
        _, legacy_unit = await self.certified_for(stay)
        placements = await self._placements.get(stay.product_id)
        if placements is not None:
            placements.recorded_as(stay.placement_id, stay.venue, stay.terms, legacy_unit)

    async def place_in_past(self, stay: PastStay) -> PastPlacement:
        """Record that a product was shown at a venue from `stay.since` (history): it held a
        valid ≥3★ certificate on each day of `stay.certified_days`; the venue's old unit
        carried when it was in the product's own province. A placement already recorded under
        `stay.placement_id` (an interrupted or repeated request) is returned as it is, not
        placed twice."""
        certification, legacy_unit = await self.certified_for(stay)
        province = certification.province_code
        today = self._today()
        # Its certificate's lapse may have been handled before this placement existed, so
        # nothing would take it down: it is recorded ended on the day the lapse took effect.
        ended = (
            coverage_end(certification, stay.since, today) if stay.ends_with_certificate else None
        )
        await self._stores.venue_index.remember(stay.venue, stay.product_id)

        def place(placements: ProductPlacements) -> Placement:
            placement = placements.place(
                stay.venue,
                stay.terms,
                placement_id=stay.placement_id,
                today=today,
                province_code=province or UNKNOWN_PROVINCE,
                since=stay.since,
                legacy_unit=legacy_unit,
            )
            if ended is not None:
                placements.end(
                    stay.placement_id, ended.reason, ended.delisted_on, ended.certificate_id
                )
            return placement

        for _ in range(ATTEMPTS):
            placements = await self._placements.get(stay.product_id)
            placements = placements or ProductPlacements(id=stay.product_id)
            earlier = placements.recorded_as(stay.placement_id, stay.venue, stay.terms, legacy_unit)
            if earlier is not None:
                return PastPlacement(earlier, written=False)
            placement = place(placements)
            if await self._stored(placements):
                return PastPlacement(placement, written=True)
        raise Conflict("the product's placements kept changing; try again", field="product_id")

    async def certified_for(self, stay: PastStay) -> tuple[Certification, LegacyUnit | None]:
        """The product's certification, checked to cover the stay's days, and the old unit its
        placement carries (none for a product of another province: its own unit then is
        unknown)."""
        first, last = stay.certified_days
        certification = ensure_certified_through(
            await self._stores.certifications.certification(stay.product_id),
            first,
            last,
            field=stay.date_field,
        )
        unit = stay.legacy_unit
        if unit is not None and successor_of(unit.province_code) != certification.province_code:
            unit = None
        return certification, unit

    async def _stored(self, placements: ProductPlacements) -> bool:
        """Add or save; False when another writer got there first (load again and retry)."""
        try:
            if placements.stored_version is None:
                await self._placements.add(placements)
            else:
                await self._placements.save(placements)
        except (AggregateExists, ConcurrencyConflict):
            return False
        return True

    async def delist(self, product_id: str, venue_id: str, reason: DelistReason) -> Placement:
        """Take a product out of one venue by hand."""
        today = self._today()
        try:
            return await self._change(
                product_id, lambda placements: placements.withdraw(venue_id, reason, today)
            )
        except AggregateNotFound:
            raise NotPlaced(product_id, venue_id) from None

    async def delist_everywhere(
        self, product_id: str, reason: DelistReason, certificate_id: str | None
    ) -> int:
        """Take a product out of every venue (certificate lapsed, product withdrawn).
        Idempotent: a product with no active placement is left alone. Returns how many."""
        today = self._today()
        try:
            delisted = await self._change(
                product_id,
                lambda placements: placements.delist_everywhere(reason, today, certificate_id),
            )
        except AggregateNotFound:
            return 0
        return len(delisted)

    async def _change(self, product_id: str, command: Callable[[ProductPlacements], R]) -> R:
        kind = ProductPlacements.kind
        return await change(self._placements, product_id, command, kind=kind, attempts=ATTEMPTS)

    async def province_of(self, product_id: str) -> str | None:
        """The product's province as evaluation last stated it (None: not known yet)."""
        certification = await self._stores.certifications.certification(product_id)
        return None if certification is None else certification.province_code

    async def eligibility(self, product_id: str) -> Eligibility:
        """Whether the product may be placed today, and if not, why."""
        certification = await self._stores.certifications.certification(product_id)
        reason = None
        try:
            ensure_placeable(certification, self._today())
        except DomainError as exc:
            reason = exc.message
        return Eligibility(product_id, reason is None, reason, certification)

    async def placements_of(self, product_id: str) -> list[Placement]:
        """Every venue the product is or was placed in."""
        placements = await self._placements.get(product_id)
        return [] if placements is None else placements.entries

    async def on_display_at(self, venue_id: str) -> list[Placement]:
        """Active placements at a venue, oldest first."""
        found = await placements_at(self._stores, venue_id)
        active = [entry for placements in found for entry in placements.active_at(venue_id)]
        return sorted(active, key=lambda entry: (entry.since, entry.placement_id))
