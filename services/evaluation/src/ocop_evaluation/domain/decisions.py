"""What a council's result decides (QĐ 26 Art. 7), before it is applied to a product and a dossier.

A province council's average of ≥90 points proposes the product for 5★ (only the central council
awards it); otherwise the stars are the band of the average, capped by the level and lowered while
a star's mandatory minima are unmet. A province decision of 3–4★ and a central 5★ issue a
certificate; a central 3–4★ waits for the province to certify it (Art. 7.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ocop_contracts import RatingLevel
from ocop_evaluation.domain.records import CriterionPoints, Value, absent_until_set, points_rows
from ocop_evaluation.domain.rules import Rubric, RuleSet
from ocop_evaluation.domain.scoring import CouncilResult, part_totals, stars_with_minima


class CouncilSheet(Value):
    """The criterion-level result of the council that rated a product (for the next-star
    report)."""

    dossier_id: str
    rule_set_id: str
    rubric_id: str
    criterion_points: list[CriterionPoints]
    score: float
    level: RatingLevel


class Outcome(Value):
    """A decision as the dossier records it."""

    level: RatingLevel
    score: float
    parts: dict[str, float]
    spread: float
    member_totals: dict[str, float]
    decision_ref: str
    decided_on: date
    stars: int | None  # None: proposed for 5★, the central council decides
    proposed_for_national: bool | None = absent_until_set()
    certificate_id: str | None = absent_until_set()

    @property
    def awaits_province_certificate(self) -> bool:
        """A central result of 3–4★: the province certifies it (QĐ 26 Art. 7.4)."""
        return (
            self.level is RatingLevel.CENTRAL
            and self.certificate_id is None
            and (self.stars or 0) >= 3
        )


@dataclass(frozen=True)
class CouncilDecision:
    """A council's decidable result, with what it means for the product."""

    dossier_id: str
    round_id: str
    level: RatingLevel
    rules: RuleSet
    rubric: Rubric
    result: CouncilResult
    decision_ref: str
    decided_on: date

    @property
    def key(self) -> str:
        """Applied once per dossier and level, however often the decision is retried."""
        return f"{self.dossier_id}:{self.level.value}"

    @property
    def score(self) -> float:
        return self.result.average

    @property
    def stars(self) -> int:
        points = self.result.criterion_average
        return stars_with_minima(self.rules, self.rubric, self.score, points, self.level)

    @property
    def parts(self) -> dict[str, float]:
        totals = part_totals(self.rubric, self.result.criterion_average)
        return {str(part): points for part, points in totals.items()}

    @property
    def proposes_national(self) -> bool:
        """≥90 points at the province: only the central council may decide 5★ (Art. 7.3)."""
        return self.level is RatingLevel.PROVINCE and self.rules.stars_for(self.score) == 5

    @property
    def certifies(self) -> bool:
        if self.proposes_national:
            return False
        return self.stars == 5 or (self.level is RatingLevel.PROVINCE and self.stars >= 3)

    def sheet(self) -> CouncilSheet:
        return CouncilSheet(
            dossier_id=self.dossier_id,
            rule_set_id=self.rules.rule_set_id,
            rubric_id=self.rubric.rubric_id,
            criterion_points=points_rows(self.result.criterion_average),
            score=self.score,
            level=self.level,
        )

    def outcome(self, certificate_id: str | None) -> Outcome:
        proposed = self.proposes_national
        return Outcome(
            level=self.level,
            score=self.score,
            parts=self.parts,
            spread=self.result.spread,
            member_totals=self.result.member_totals,
            decision_ref=self.decision_ref,
            decided_on=self.decided_on,
            stars=None if proposed else self.stars,
            proposed_for_national=True if proposed else None,
            certificate_id=certificate_id,
        )
