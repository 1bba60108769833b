"""Administrative units of facts and targets: the 2008 edition (63 provinces, until 30 June 2025)
and the 2025 edition (34), and how an old unit rolls up into today's. Pure.

A fact is recorded in the unit in force on its date; a target in the unit that issued its plan.
Every old province maps to exactly one new one, so counting a new province's facts as "every fact
whose current unit is it" counts each fact once, however many old provinces merged.

Which unit was in force is read from the event (`attributed`): a version 1 fact gives its
province in the edition in force on its date; a version 2 fact always gives the 2025 province
and, for a date before the merger, the old unit in its `legacy_unit` (from the registry). A 2025
code is never read as a 2008 one: where the old unit is not given and the 2025 province was
formed from several, the fact stays in the 2025 province, flagged, in no old province's figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from ocop_contracts.legacy import CURRENT_CODES_FROM, LegacyUnit
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


@dataclass(frozen=True)
class Attribution:
    """Where a fact is counted: its unit, and what is known of its unit before the merger."""

    unit: Unit
    old_district_code: str | None = None
    old_commune_code: str | None = None
    old_unit_unknown: bool = False  # dated before the merger, its old province not given
    # A version 2 fact in a 2008 unit whose old commune was not given: its `commune_code` is
    # today's commune, which must not be read as a commune of that time.
    old_commune_unknown: bool = False


def attributed(
    code: str, day: date, schema_version: int, legacy: LegacyUnit | None = None
) -> Attribution:
    """The unit a fact of `schema_version` with `province_code` `code`, dated `day`, is
    recorded in. DomainError (naming the field) for codes that do not fit: the consumer
    dead-letters the event with that reason."""
    if schema_version < CURRENT_CODES_FROM:
        return Attribution(recorded_in(code, day))
    today = unit(code, "2025")
    if legacy is not None and successor_of(legacy.province_code) != code:
        raise DomainError(
            f"old province {legacy.province_code} became {successor_of(legacy.province_code)}, "
            f"not {code}",
            field="legacy_unit.province_code",
        )
    if day >= MERGER_DAY:
        return Attribution(today)
    if legacy is not None:
        old = unit(legacy.province_code, "2008")
        commune = legacy.commune_code
        return Attribution(old, legacy.district_code, commune, old_commune_unknown=not commune)
    only = predecessors_of(code)
    if len(only) == 1:  # the province did not merge: its old unit is certain, not its commune
        return Attribution(unit(only[0], "2008"), old_commune_unknown=True)
    return Attribution(today, old_unit_unknown=True)


def commune_in(fact: Mapping[str, Any], edition: str) -> str | None:
    """The commune a stored fact is counted in by a target of `edition`. The 2008 edition: the
    commune of the fact's time — `old_commune_code` when its event gave the old unit (a version 2
    fact: `commune_code` is then today's commune), else `commune_code` (a version 1 fact names
    the commune in force on its date), none when a version 2 fact's old commune is unknown (its
    `commune_code` is today's). The 2025 edition: today's commune, `commune_code`."""
    if edition == "2008" and fact.get("old_commune_code"):
        return str(fact["old_commune_code"])
    if edition == "2008" and fact.get("old_commune_unknown"):
        return None
    found = fact.get("commune_code")
    return None if found is None else str(found)


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
