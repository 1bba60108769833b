"""Small value types the aggregates share: what is stored inside a product, a round or a dossier.

Values are frozen; an aggregate changes one by replacing it (``model_copy(update=…)``). A field
made with :func:`absent_until_set` is left out of the stored and the shown form while it is None:
a dossier shows ``result`` once decided, a history line its ``note`` when it has one.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ocop_platform.identity import Principal


def _is_none(value: object) -> bool:
    return value is None


def absent_until_set() -> Any:
    """A field that is None, and then not shown at all, until it is set."""
    return Field(default=None, exclude_if=_is_none)


class Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class HistoryEntry(Value):
    """One line of a round's or a dossier's history: what was done, by whom, on which day."""

    action: str
    by: str
    on: date
    note: str | None = absent_until_set()

    @classmethod
    def of(cls, action: str, who: Principal, on: date, note: str | None = None) -> HistoryEntry:
        return cls(action=action, by=who.subject, on=on, note=note or None)


class CriterionPoints(Value):
    """Points of one criterion. Criterion ids contain dots, which stored keys may not: rows."""

    criterion_id: str
    points: float


def points_rows(points: dict[str, float]) -> list[CriterionPoints]:
    return [CriterionPoints(criterion_id=c, points=p) for c, p in points.items()]


def points_of(rows: list[CriterionPoints]) -> dict[str, float]:
    return {row.criterion_id: row.points for row in rows}
