"""Administrative units of facts and targets: the 2008 edition (63 provinces, until 30 June 2025)
and the 2025 edition (34), and how an old unit rolls up into today's. Pure.

A fact is recorded in the unit in force on its date; a target in the unit that issued its plan.
Every old province maps to exactly one new one, so counting a new province's facts as "every fact
whose current unit is it" counts each fact once, however many old provinces merged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from ocop_contracts.reference import (
    MERGER_DAY,
    current_provinces,
    legacy_provinces,
    predecessors_of,
    successor_of,
)
from ocop_platform.errors import DomainError

Edition = Literal["2008", "2025"]


@dataclass(frozen=True)
class Unit:
    """A province of one edition, with the current province it belongs to today."""

    code: str
    edition: Edition
    name: str
    current_code: str

    @property
    def key(self) -> str:
        return f"{self.edition}:{self.code}"


def edition_on(day: date) -> Edition:
    return "2025" if day >= MERGER_DAY else "2008"


def unit(code: str, edition: Edition) -> Unit:
    """The province `code` of `edition`; DomainError (field province_code) when there is none."""
    table = current_provinces() if edition == "2025" else legacy_provinces()
    province = table.get(code)
    if province is None:
        other = legacy_provinces() if edition == "2025" else current_provinces()
        hint = f" ({other[code].name} in the {_other(edition)} edition)" if code in other else ""
        raise DomainError(
            f"unknown province code {code} in the {edition} edition{hint}", field="province_code"
        )
    current = code if edition == "2025" else successor_of(code)
    return Unit(code, edition, province.name, current)


def unit_of_fact(code: str, day: date) -> Unit | None:
    """The unit a fact dated `day` was recorded in; None for a code that did not exist then."""
    try:
        return unit(code, edition_on(day))
    except DomainError:
        return None


def recorded_in(code: str, day: date) -> Unit:
    """The unit a fact dated `day` is recorded in. DomainError (field province_code) for a code
    that did not exist then: the consumer dead-letters the event with that reason."""
    found = unit_of_fact(code, day)
    if found is None:
        raise DomainError(
            f"province code {code} did not exist on {day.isoformat()}", field="province_code"
        )
    return found


def target_edition(code: str, year_to: int, stated: Edition | None) -> Edition:
    """A target's edition: as stated, else the only edition knowing the code, else by period."""
    if stated is not None:
        return stated
    in_new, in_old = code in current_provinces(), code in legacy_provinces()
    if in_new != in_old:
        return "2025" if in_new else "2008"
    return "2008" if year_to < MERGER_DAY.year else "2025"


def report_edition(code: str, year: int, stated: Edition | None) -> Edition:
    """Which unit a report request means: same rule as a target for one year."""
    return target_edition(code, year, stated)


def merged_from(current_code: str) -> tuple[Unit, ...]:
    """The old provinces a current one was formed from."""
    return tuple(unit(old, "2008") for old in predecessors_of(current_code))


def _other(edition: Edition) -> Edition:
    return "2008" if edition == "2025" else "2025"
