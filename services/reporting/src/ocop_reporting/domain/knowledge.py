"""As of a day: what the platform knew then, or the facts dated up to it as corrected since. Pure.

Every fact records the day reporting learned it (`known`): the business date (Vietnam) of the
event's `occurred_at`, the time its source recorded it — not the time this process consumed it,
so a rebuild gives the same answer. A report "as of D":
- `as_known` (the default): facts dated up to D that were known by D. A late arrival (a rating
  of 10 June recorded on 15 July) is not in the report as of 30 June, and a correction recorded
  after D does not rewrite the report of D.
- `as_corrected`: facts dated up to D, whenever they arrived (today's knowledge of D).
Without a day the report is of now: everything known counts in both views.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from ocop_contracts.clock import business_date


class View(StrEnum):
    AS_KNOWN = "as_known"
    AS_CORRECTED = "as_corrected"


def known_on(instant: datetime) -> str:
    """The day (ISO, Vietnam) a fact recorded at `instant` became known."""
    return business_date(instant).isoformat()


def knowledge_cut(as_of: date | None, view: View) -> date | None:
    """The last day of knowledge a report counts: its day when as known, else none."""
    return as_of if view is View.AS_KNOWN else None


def known_by(fact: Mapping[str, Any], cut: date | None, field: str = "known") -> bool:
    """Whether a fact (or the part of it recorded in `field`) was known on `cut`. A fact without
    the field was recorded before reporting kept it: taken as known (a rebuild records it)."""
    recorded = fact.get(field)
    return cut is None or recorded is None or str(recorded) <= cut.isoformat()


def known_version(doc: Mapping[str, Any], cut: date) -> Mapping[str, Any] | None:
    """The latest version of a corrected record (its `history`, oldest first) recorded by
    `cut`; None when none was yet. A record without history is its only version."""
    history: list[Mapping[str, Any]] = doc.get("history") or [doc]
    versions = [v for v in history if known_by(v, cut)]
    return versions[-1] if versions else None
