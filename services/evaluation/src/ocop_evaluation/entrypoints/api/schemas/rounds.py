"""Council rules and rounds."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from pydantic import BaseModel

from ocop_contracts import RatingLevel
from ocop_evaluation.domain.records import HistoryEntry, absent_until_set
from ocop_evaluation.domain.rounds import Council, Round, RoundKind, RoundStatus
from ocop_evaluation.domain.scoring import CouncilRules


class CouncilRulesView(BaseModel):
    province_code: str
    quorum_ratio: float
    chair_required: bool
    max_spread: float

    @classmethod
    def of(cls, province_code: str, rules: CouncilRules) -> CouncilRulesView:
        return cls(province_code=province_code, **asdict(rules))


class RoundView(BaseModel):
    round_id: str
    level: RatingLevel
    province_code: str | None
    year: int
    kind: RoundKind
    name: str
    proposals_due: date
    results_due: date
    rule_set_id: str
    status: RoundStatus
    council: Council
    history: list[HistoryEntry]
    closed_on: date | None = absent_until_set()

    @classmethod
    def of(cls, rnd: Round) -> RoundView:
        shown = rnd.model_dump(exclude={"id", "version", "round_kind"})
        return cls(round_id=rnd.id, kind=rnd.round_kind, **shown)
