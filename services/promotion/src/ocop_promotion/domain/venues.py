"""Fairs, showrooms and sales points: their rules, and the Fair and Showroom aggregates. Pure.

A fair is scheduled (``FairScheduled``) with its booths, and its outcome recorded once it has
begun; a showroom or sales point is opened. What they show is each product's
:class:`~ocop_promotion.domain.placements.ProductPlacements`.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, Field, field_validator

from ocop_contracts.events.promotion import FairScheduled
from ocop_contracts.legacy import LegacyUnit
from ocop_contracts.reference import MERGER_DAY, fold_vi, normalize_vi, successor_of
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


def check_fair_over(ends_on: date, today: date) -> None:
    """History is of fairs that are over; one still to come or running is scheduled live."""
    if ends_on >= today:
        raise DomainError(
            f"the fair ends on {ends_on.isoformat()}, not before today ({today.isoformat()}): "
            "schedule it with POST /fairs",
            field="ends_on",
        )


def check_shown_since(since: date, today: date, opened_on: date | None) -> None:
    """A placement entered as history began before today, and not before its showroom opened."""
    if since >= today:
        raise DomainError(
            f"since {since.isoformat()} is not before today ({today.isoformat()}): place it "
            "with POST /showrooms/{id}/products",
            field="since",
        )
    if opened_on is not None and since < opened_on:
        raise DomainError(
            f"the showroom opened on {opened_on.isoformat()}, after {since.isoformat()}",
            field="since",
        )


def check_legacy_unit(legacy: LegacyUnit | None, province_code: str, day: date, what: str) -> None:
    """A fact's unit before the merger: for a day before 1 July 2025, an old province that
    became `province_code` (so a report never counts it for another old province)."""
    if legacy is None:
        return
    if day >= MERGER_DAY:
        raise DomainError(
            f"legacy_unit is the unit before {MERGER_DAY.isoformat()}; the {what} is of "
            f"{day.isoformat()}",
            field="legacy_unit",
        )
    successor = successor_of(legacy.province_code)  # LegacyUnit checked it is a 2008 province
    if successor != province_code:
        raise DomainError(
            f"old province {legacy.province_code} became {successor}, not {province_code}",
            field="legacy_unit.province_code",
        )


def past_fair_id(province_code: str, starts_on: date, name: str) -> str:
    """A fair recorded as history is known by its province, first day and name (folded: case,
    diacritics and spacing as typed in a spreadsheet do not make another fair), so the same
    request, repeated, names the same fair."""
    key = f"{province_code}|{starts_on.isoformat()}|{fold_vi(name)}"
    return f"fair-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def check_repeat_names_every_product(requested: Sequence[str], recorded: Iterable[str]) -> None:
    """A repeat of a history request names every product already recorded at the fair (so the
    booths' room is checked against all of them)."""
    if missing := sorted(set(recorded) - set(requested)):
        raise Conflict(
            f"already recorded at this fair, missing from the request: {', '.join(missing)}",
            field="products",
        )


# The details a repeat of a history request must state as they were recorded (province, first
# day and name are the fair's key).
_HISTORY_DETAILS = ("place", "organiser", "ends_on", "commune_code", "booths", "legacy_unit")


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
    legacy_unit: LegacyUnit | None = None  # history only: the unit before the merger


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
    legacy_unit: LegacyUnit | None = None
    historic: bool = False  # recorded after it was over (POST /fairs/history)

    @classmethod
    def schedule(cls, fair_id: str, details: FairDetails) -> Fair:
        """A new fair (FairScheduled), its dates and booths checked."""
        if details.legacy_unit is not None:
            raise DomainError(
                "a fair scheduled now is in today's units; record a past one with its "
                "legacy_unit at POST /fairs/history",
                field="legacy_unit",
            )
        return cls._new(fair_id, details, historic=False)

    @classmethod
    def record_history(cls, fair_id: str, details: FairDetails, today: date) -> Fair:
        """A fair that is over, with its real dates and, before the merger, its old unit
        (FairScheduled, historic); every rule of scheduling but "not over" applies."""
        check_fair_over(details.ends_on, today)
        check_legacy_unit(details.legacy_unit, details.province_code, details.starts_on, "fair")
        return cls._new(fair_id, details, historic=True)

    @classmethod
    def _new(cls, fair_id: str, details: FairDetails, *, historic: bool) -> Fair:
        check_fair_dates(details.starts_on, details.ends_on)
        check_booths(details.booths)
        booths = [
            Booth(normalize_vi(b.code), b.capacity, normalize_vi(b.name)) for b in details.booths
        ]
        fields = {**asdict(details), "legacy_unit": details.legacy_unit}  # kept as the model
        fair = cls.model_validate(
            {**fields, "_id": fair_id, "booths": booths, "historic": historic}
        )
        fair.record(_fair_scheduled(fair))
        return fair

    def check_same_history(self, repeat: Fair) -> None:
        """`repeat` (a fair built from a repeated history request under this fair's key) states
        this fair's details, or it is another fair under the same key (409 naming the field)."""
        for name in _HISTORY_DETAILS:
            if getattr(self, name) != getattr(repeat, name):
                raise Conflict(
                    f"fair {self.id} ({self.name!r}, {self.province_code}, from "
                    f"{self.starts_on.isoformat()}) was recorded with another {name}: "
                    f"{getattr(self, name)!r}",
                    field=name,
                )

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

    def past_venues(self, participants: Sequence[tuple[str, str]]) -> list[VenueRef]:
        """Where each (product, booth) took part in this past fair: each product once, each
        booth existing and within its capacity."""
        products = [product_id for product_id, _ in participants]
        if repeated := sorted(p for p, n in Counter(products).items() if n > 1):
            raise DomainError(
                f"a product is recorded once: {', '.join(repeated)}", field="products"
            )
        occupants: dict[str, list[str]] = {}
        for product_id, booth_code in participants:
            self.check_booth_has_room(booth_code, occupants.get(booth_code, []))
            occupants.setdefault(booth_code, []).append(product_id)
        venue = VenueRef(VenueKind.FAIR, self.id, self.name, valid_through=self.ends_on)
        return [venue] * len(participants)

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
        legacy_unit=fair.legacy_unit,
        historic=fair.historic,
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
