"""Fairs, showrooms and sales points: their rules, and the Fair and Showroom aggregates. Pure.

A fair is scheduled (``FairScheduled``) with its booths, and its outcome recorded once it has
begun; a showroom or sales point is opened. What they show is each product's
:class:`~ocop_promotion.domain.placements.ProductPlacements`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, Field, field_validator

from ocop_contracts.events.promotion import FairScheduled
from ocop_contracts.reference import normalize_vi
from ocop_contracts.vocabulary import VenueKind
from ocop_platform.aggregates import Aggregate
from ocop_platform.errors import Conflict, DomainError
from ocop_platform.logging import trace_fields
from ocop_promotion.domain.placements import SERVICE, VenueRef


@dataclass(frozen=True)
class Booth:
    code: str
    capacity: int  # how many products the booth can show
    name: str = ""


def check_fair_dates(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise DomainError(
            f"the fair ends ({ends_on}) before it starts ({starts_on})", field="ends_on"
        )


def check_booths(booths: Sequence[Booth]) -> None:
    repeated = [code for code, n in Counter(b.code for b in booths).items() if n > 1]
    if repeated:
        raise DomainError(f"booth codes must be unique: {', '.join(repeated)}", field="booths")


def check_booth_has_room(booth: Booth | None, booth_code: str, occupants: Sequence[str]) -> None:
    if booth is None:
        raise DomainError(f"the fair has no booth {booth_code!r}", field="booth_code")
    if len(occupants) >= booth.capacity:
        raise Conflict(
            f"booth {booth_code} is full: {len(occupants)} of {booth.capacity} places taken",
            field="booth_code",
        )


def check_fair_not_over(ends_on: date, today: date) -> None:
    if ends_on < today:
        raise DomainError(f"the fair ended on {ends_on}", field="fair_id")


# --- the aggregates -----------------------------------------------------------------------------


class TextNormalised(Aggregate):
    """Text is stored in its one storage form (NFC, single spaces, trimmed)."""

    @field_validator("*", mode="before")
    @classmethod
    def _normalise(cls, value: Any) -> Any:
        return normalize_vi(value) if isinstance(value, str) else value


@dataclass(frozen=True)
class FairDetails:
    name: str
    place: str
    organiser: str
    province_code: str
    starts_on: date
    ends_on: date
    booths: tuple[Booth, ...]
    commune_code: str | None = None


@dataclass(frozen=True)
class FairOutcome:
    sales_vnd: int = 0
    contracts_signed: int = 0
    contract_value_vnd: int = 0
    visitors: int | None = None
    notes: str = ""


class RecordedOutcome(BaseModel):
    sales_vnd: int
    contracts_signed: int
    contract_value_vnd: int
    visitors: int | None
    notes: str
    recorded_on: date


class Fair(TextNormalised):
    kind = "fair"

    name: str
    place: str
    organiser: str
    province_code: str
    commune_code: str | None = None
    starts_on: date
    ends_on: date
    booths: list[Booth] = Field(default_factory=list)
    outcome: RecordedOutcome | None = None

    @classmethod
    def schedule(cls, fair_id: str, details: FairDetails) -> Fair:
        """A new fair (FairScheduled), its dates and booths checked."""
        check_fair_dates(details.starts_on, details.ends_on)
        check_booths(details.booths)
        booths = [
            Booth(normalize_vi(b.code), b.capacity, normalize_vi(b.name)) for b in details.booths
        ]
        fair = cls.model_validate({**asdict(details), "_id": fair_id, "booths": booths})
        fair.record(_fair_scheduled(fair))
        return fair

    def record_outcome(self, outcome: FairOutcome, today: date) -> None:
        if self.starts_on > today:
            raise DomainError(
                f"the fair starts on {self.starts_on.isoformat()}: record its outcome once it has "
                "begun",
                field="fair_id",
            )
        self.outcome = RecordedOutcome(**asdict(outcome), recorded_on=today)
        self.touch()

    def venue_for(self, booth_code: str, today: date) -> VenueRef:
        """Where a product goes at this fair, if it is not over and has that booth."""
        check_fair_not_over(self.ends_on, today)
        self.check_booth_has_room(booth_code, [])  # an unknown booth before anything else
        return VenueRef(VenueKind.FAIR, self.id, self.name, valid_through=self.ends_on)

    def check_booth_has_room(self, booth_code: str, occupants: Sequence[str]) -> None:
        booth = next((b for b in self.booths if b.code == booth_code), None)
        check_booth_has_room(booth, booth_code, occupants)


def _fair_scheduled(fair: Fair) -> FairScheduled:
    return FairScheduled(
        producer=SERVICE,
        aggregate_id=fair.id,
        aggregate_version=fair.next_version,
        province_code=fair.province_code,
        fair_id=fair.id,
        name=fair.name,
        place=fair.place,
        organiser=fair.organiser,
        starts_on=fair.starts_on,
        ends_on=fair.ends_on,
        commune_code=fair.commune_code,
        **trace_fields(),
    )


@dataclass(frozen=True)
class ShowroomDetails:
    name: str
    kind: str  # "showroom" or "sales_point"
    address: str
    province_code: str
    commune_code: str | None = None
    opened_on: date | None = None
    opening_hours: str = ""


class Showroom(TextNormalised):
    """A showroom or sales point (such as the Sa Đéc OCOP sales point). No event: it is known
    to other services through the products it shows."""

    kind = "showroom"

    name: str
    # "showroom" or "sales_point" (stored as ``kind``; ``kind`` is the aggregate's type name)
    showroom_kind: str = Field(alias="kind")
    address: str
    province_code: str
    commune_code: str | None = None
    opened_on: date | None = None
    opening_hours: str = ""

    @classmethod
    def open(cls, showroom_id: str, details: ShowroomDetails) -> Showroom:
        showroom = cls.model_validate({**asdict(details), "_id": showroom_id})
        showroom.touch()
        return showroom

    def venue(self) -> VenueRef:
        return VenueRef(VenueKind.SHOWROOM, self.id, self.name)
