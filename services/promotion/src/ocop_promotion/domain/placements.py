"""A product's placements: where it is shown (a fair booth, a showroom or sales point, an online
shop) and where it was taken out, and why. Pure: no I/O.

:class:`ProductPlacements` is one aggregate per product (its id is the product id): every
placement and delisting is one change of it, recorded as ``ProductShowcased`` /
``ProductDelisted`` with the product's next version. A :class:`Placement` is ``active`` until it
is delisted, once; delisting it again is an :class:`IllegalMove`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ocop_contracts.events.promotion import ProductDelisted, ProductShowcased
from ocop_contracts.legacy import LegacyUnit
from ocop_contracts.vocabulary import DelistReason, VenueKind
from ocop_platform.aggregates import Aggregate
from ocop_platform.errors import Conflict, NotFound
from ocop_platform.logging import trace_fields

SERVICE = "promotion"
UNKNOWN_PROVINCE = "00"  # a placement's events before promotion learnt the product's province


class PlacementState(StrEnum):
    ACTIVE = "active"
    DELISTED = "delisted"


class IllegalMove(Conflict):
    """A transition the placement's state does not allow."""


class AlreadyPlaced(Conflict):
    def __init__(self, product_id: str, venue: VenueRef) -> None:
        super().__init__(
            f"product {product_id} is already placed at {venue.kind} {venue.venue_id}",
            field="product_id",
        )


class NotPlaced(NotFound):
    def __init__(self, product_id: str, venue_id: str) -> None:
        super().__init__(f"product {product_id} is not placed at {venue_id}")


@dataclass(frozen=True)
class VenueRef:
    """Where a product goes: a fair, a showroom or an online listing (a venue of its own)."""

    kind: VenueKind
    venue_id: str
    name: str
    # Fairs: the certificate must still be valid on the last day of the fair.
    valid_through: date | None = None


@dataclass(frozen=True)
class PlacementTerms:
    booth_code: str | None = None
    channel: str | None = None
    url: str | None = None


def past_placement_id(venue_id: str, product_id: str, since: date | None = None) -> str:
    """A product's placement recorded as history at a venue: the same id each time, so a
    repeated request finds the placement it made instead of making a second. A fair is one
    period, so the fair and the product name it; a showroom may show a product again after it
    was taken out, so its placements are also known by their first day (`since`)."""
    key = f"{venue_id}|{product_id}" + (f"|{since.isoformat()}" if since is not None else "")
    return f"plc-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


class Placement(BaseModel):
    """One product at one venue, from ``since`` until it is delisted."""

    model_config = ConfigDict(extra="ignore")

    placement_id: str
    product_id: str
    venue_kind: VenueKind
    venue_id: str
    venue_name: str
    booth_code: str | None = None
    channel: str | None = None
    url: str | None = None
    since: date
    # A fair placement recorded as history: the fair's unit before the merger.
    legacy_unit: LegacyUnit | None = None
    state: PlacementState = PlacementState.ACTIVE
    delisted_on: date | None = None
    reason: DelistReason | None = None

    def active_at(self, venue_id: str) -> bool:
        return self.venue_id == venue_id and self.state is PlacementState.ACTIVE

    def delist(self, reason: DelistReason, on: date) -> None:
        if self.state is not PlacementState.ACTIVE:
            raise IllegalMove(
                f"placement {self.placement_id} was delisted on {self.delisted_on}",
                field="placement_id",
            )
        self.state = PlacementState.DELISTED
        self.delisted_on = on
        self.reason = reason


class ProductPlacements(Aggregate):
    kind = "placements"

    province_code: str | None = None
    entries: list[Placement] = Field(default_factory=list)

    @property
    def product_id(self) -> str:
        return self.id

    def active_at(self, venue_id: str) -> list[Placement]:
        return [entry for entry in self.entries if entry.active_at(venue_id)]

    def refuse_if_placed_at(self, venue: VenueRef) -> None:
        if self.active_at(venue.venue_id):
            raise AlreadyPlaced(self.product_id, venue)

    def recorded_as(
        self,
        placement_id: str,
        venue: VenueRef,
        terms: PlacementTerms,
        legacy_unit: LegacyUnit | None,
    ) -> Placement | None:
        """The placement an earlier run of a history request made under `placement_id` (None:
        none yet, and the product may be placed there); that id at another venue or booth, or
        with another old unit, is a clash, not a repeat."""
        earlier = next((e for e in self.entries if e.placement_id == placement_id), None)
        if earlier is None:
            self.refuse_if_placed_at(venue)
            return None
        if (earlier.venue_id, earlier.booth_code) != (venue.venue_id, terms.booth_code):
            raise Conflict(
                f"product {self.product_id} was recorded at {earlier.venue_kind} "
                f"{earlier.venue_id} in booth {earlier.booth_code}, not {terms.booth_code}",
                field="booth_code",
            )
        if earlier.legacy_unit != legacy_unit:
            raise Conflict(
                f"placement {placement_id} of product {self.product_id} at {earlier.venue_id} "
                f"since {earlier.since.isoformat()} was recorded with legacy_unit "
                f"{_unit_text(earlier.legacy_unit)}, not {_unit_text(legacy_unit)}",
                field="legacy_unit",
            )
        return earlier

    def place(
        self,
        venue: VenueRef,
        terms: PlacementTerms,
        *,
        placement_id: str,
        today: date,
        province_code: str,
        since: date | None = None,
        legacy_unit: LegacyUnit | None = None,
    ) -> Placement:
        """Show the product at the venue (its certificate was checked by the caller); `since`
        and `legacy_unit`: a past fair's first day and old unit (history)."""
        self.refuse_if_placed_at(venue)
        placement = Placement(
            placement_id=placement_id,
            product_id=self.product_id,
            venue_kind=venue.kind,
            venue_id=venue.venue_id,
            venue_name=venue.name,
            booth_code=terms.booth_code,
            channel=terms.channel,
            url=terms.url,
            since=since or today,
            legacy_unit=legacy_unit,
        )
        self.entries.append(placement)
        self.province_code = province_code
        self.record(_showcased(self, placement))
        return placement

    def withdraw(self, venue_id: str, reason: DelistReason, today: date) -> Placement:
        """Take the product out of one venue (by hand)."""
        if not self.active_at(venue_id):
            raise NotPlaced(self.product_id, venue_id)
        [placement] = self._delist_where(lambda e: e.active_at(venue_id), reason, today, None)
        return placement

    def delist_everywhere(
        self, reason: DelistReason, today: date, certificate_id: str | None
    ) -> list[Placement]:
        """Take the product out of every venue it is active at (none: nothing changes)."""
        active = PlacementState.ACTIVE
        return self._delist_where(lambda e: e.state is active, reason, today, certificate_id)

    def end(
        self, placement_id: str, reason: DelistReason, on: date, certificate_id: str | None
    ) -> None:
        """Delist one placement on a day of its own (a placement entered as history whose
        certificate lapsed before today: ProductDelisted with that day)."""
        active = PlacementState.ACTIVE
        self._delist_where(
            lambda e: e.placement_id == placement_id and e.state is active,
            reason,
            on,
            certificate_id,
        )

    def _delist_where(
        self,
        which: Callable[[Placement], bool],
        reason: DelistReason,
        today: date,
        certificate_id: str | None,
    ) -> list[Placement]:
        delisted = [entry for entry in self.entries if which(entry)]
        for placement in delisted:  # one event, so one version, per venue
            placement.delist(reason, today)
            self.record(_delisted(self, placement, certificate_id))
        return delisted


def _unit_text(unit: LegacyUnit | None) -> str:
    return "none" if unit is None else unit.model_dump_json(exclude_none=True)


def _about(placements: ProductPlacements, placement: Placement) -> dict[str, Any]:
    """What ProductShowcased and ProductDelisted both say: whose placement, where, which version."""
    return {
        "producer": SERVICE,
        "aggregate_id": placements.id,
        "aggregate_version": placements.next_version,
        "province_code": placements.province_code or UNKNOWN_PROVINCE,
        "product_id": placements.id,
        "venue_kind": placement.venue_kind,
        "venue_id": placement.venue_id,
        **trace_fields(),
    }


def _showcased(placements: ProductPlacements, placement: Placement) -> ProductShowcased:
    return ProductShowcased(
        **_about(placements, placement),
        venue_name=placement.venue_name[:300],
        since=placement.since,
        booth_code=placement.booth_code,
        legacy_unit=placement.legacy_unit,
    )


def _delisted(
    placements: ProductPlacements, placement: Placement, certificate_id: str | None
) -> ProductDelisted:
    assert placement.reason is not None and placement.delisted_on is not None
    return ProductDelisted(
        **_about(placements, placement),
        reason=placement.reason,
        delisted_on=placement.delisted_on,
        certificate_id=certificate_id,
    )
