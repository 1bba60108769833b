"""Rule sets by date, and the calendar of working days."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query

from ocop_evaluation.domain.calendar import vietnam_calendar
from ocop_evaluation.domain.rules import (
    RuleSet,
    RuleSetSummary,
    rule_set,
    rule_set_in_force,
    rule_sets,
)
from ocop_evaluation.entrypoints.api.schemas.rule_sets import WorkingDays, summary
from ocop_platform.errors import NotFound

router = APIRouter(tags=["rule sets"])


@router.get(
    "/rule-sets",
    response_model=list[RuleSetSummary],
    summary="Every rule set, oldest first (without rubrics)",
)
async def list_rule_sets() -> list[RuleSetSummary]:
    return [summary(rules) for rules in rule_sets()]


@router.get(
    "/rule-sets/in-force", response_model=RuleSetSummary, summary="The rule set in force on a date"
)
async def in_force(on: date) -> RuleSetSummary:
    try:
        return summary(rule_set_in_force(on))
    except ValueError as exc:
        raise NotFound(str(exc), field="on") from exc


@router.get(
    "/rule-sets/{rule_set_id}",
    response_model=RuleSet,
    summary="A rule set with its criterion rubrics",
)
async def get_rule_set(rule_set_id: str) -> RuleSet:
    rules = rule_set(rule_set_id)
    if rules is None:
        raise NotFound(f"no rule set {rule_set_id}", field="rule_set_id")
    return rules


@router.get(
    "/calendar/working-days",
    response_model=WorkingDays,
    summary="The date N working days after a date",
)
async def working_days(start: date, days: int = Query(default=15, ge=0, le=365)) -> WorkingDays:
    calendar = vietnam_calendar()
    end = calendar.add_working_days(start, days)
    return WorkingDays(
        start=start,
        working_days=days,
        due_on=end,
        holidays_verified_for_years=calendar.covers(start.year) and calendar.covers(end.year),
    )
