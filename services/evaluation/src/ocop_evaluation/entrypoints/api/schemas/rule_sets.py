"""Rule sets and the working-day calendar."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from ocop_evaluation.domain.rules import RuleSet, RuleSetSummary


def summary(rules: RuleSet) -> RuleSetSummary:
    return RuleSetSummary.model_validate(rules.model_dump(exclude={"rubrics"}))


class WorkingDays(BaseModel):
    start: date
    working_days: int
    due_on: date
    holidays_verified_for_years: bool
