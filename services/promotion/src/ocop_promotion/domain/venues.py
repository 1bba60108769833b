"""Fairs, showrooms and sales points, online listings and media activities: their rules. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ocop_platform.errors import Conflict, DomainError


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
