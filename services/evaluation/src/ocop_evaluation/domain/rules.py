"""OCOP rule sets as data, versioned by effective date (DESIGN §5, domain.md §1).

The rule sets live in ``data/rule_sets.json``: parts and their maxima, star bands, the highest
star each level may award, which level certifies which star, certificate validity, the renewal
window and, where transcribed, the criterion rubrics (criteria → options with points, and the
options flagged as mandatory minimum for a star). The file is read on first use, validated (the
parts of a rubric must add up to the rule set's parts) and cached.

To add a scoring set's rubric: add it under ``rubrics`` of the rule set and list the scoring-set
codes it serves under ``scoring_sets``; ``tests/unit/evaluation/test_rule_data.py`` checks sums.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ocop_contracts import RatingLevel
from ocop_platform.errors import DomainError

Part = Literal["A", "B", "C"]
PARTS: tuple[Part, ...] = ("A", "B", "C")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Option(_Frozen):
    option_id: str
    points: float = Field(ge=0)
    label_vi: str
    # The option is the minimum a product must reach on this criterion for this star and above
    # (the asterisks of QĐ 26 Appendix II: *** 3★, **** 4★, ***** 5★).
    mandatory_for: int | None = Field(default=None, ge=3, le=5)


class Criterion(_Frozen):
    criterion_id: str
    name_vi: str
    name_en: str
    options: tuple[Option, ...] = Field(min_length=1)

    @property
    def max_points(self) -> float:
        return max(o.points for o in self.options)

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.option_id == option_id), None)

    def minimum_for(self, stars: int) -> Option | None:
        """The option this criterion must reach for ``stars`` (the strictest flag ≤ stars)."""
        flagged = [o for o in self.options if o.mandatory_for and o.mandatory_for <= stars]
        return max(flagged, key=lambda o: o.points) if flagged else None


class CriteriaGroup(_Frozen):
    part: Part
    group_id: str
    name_vi: str
    max_points: float
    criteria: tuple[Criterion, ...]

    @model_validator(mode="after")
    def _adds_up(self) -> CriteriaGroup:
        total = sum(c.max_points for c in self.criteria)
        if abs(total - self.max_points) > 1e-9:
            raise ValueError(f"group {self.group_id}: criteria add up to {total}")
        return self


class Rubric(_Frozen):
    rubric_id: str
    title_vi: str
    verified: bool
    note: str
    groups: tuple[CriteriaGroup, ...]

    @property
    def criteria(self) -> dict[str, Criterion]:
        return {c.criterion_id: c for g in self.groups for c in g.criteria}

    def part_of(self, criterion_id: str) -> Part:
        return next(
            g.part for g in self.groups for c in g.criteria if c.criterion_id == criterion_id
        )

    def part_maxima(self) -> dict[Part, float]:
        return {p: sum(g.max_points for g in self.groups if g.part == p) for p in PARTS}


class RuleSetSummary(_Frozen):
    """A rule set without its criterion rubrics."""

    rule_set_id: str
    legal_basis: str
    effective_from: date
    parts: dict[Part, float]
    # Lower bound of each star, highest first: (5, 90.0) means ≥90 points → 5★.
    bands: tuple[tuple[int, float], ...]
    # Highest star each level may award (a province cannot award 5★).
    max_stars: dict[RatingLevel, int]
    certifying_level: dict[int, str]
    certificate_validity_months: int = Field(ge=1)
    # Renewal dossiers are filed from the first to the second number of days before expiry.
    renewal_window_days: tuple[int, int]
    scoring_sets: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    note: str = ""


class RuleSet(RuleSetSummary):
    rubrics: dict[str, Rubric] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> RuleSet:
        if sum(self.parts.values()) != 100:
            raise ValueError(f"{self.rule_set_id}: parts must add up to 100")
        for rubric in self.rubrics.values():
            if rubric.part_maxima() != self.parts:
                raise ValueError(f"{self.rule_set_id}: rubric {rubric.rubric_id} parts differ")
        for rubric_id in self.scoring_sets:
            if rubric_id not in self.rubrics:
                raise ValueError(f"{self.rule_set_id}: unknown rubric {rubric_id}")
        return self

    def stars_for(self, score: float) -> int:
        for stars, lower in self.bands:
            if score >= lower:
                return stars
        return 1

    def stars_at_level(self, score: float, level: RatingLevel) -> int:
        return min(self.stars_for(score), self.max_stars[level])

    def lower_bound(self, stars: int) -> float:
        return next((lower for s, lower in self.bands if s == stars), 0.0)

    def rubric_for(self, scoring_set_code: str) -> Rubric | None:
        for rubric_id, codes in self.scoring_sets.items():
            if scoring_set_code in codes:
                return self.rubrics[rubric_id]
        return None


class _RuleFile(_Frozen):
    header: dict[str, object]
    rule_sets: tuple[RuleSet, ...]


@cache
def rule_sets() -> tuple[RuleSet, ...]:
    """Every rule set, oldest first (read from the packaged data file once)."""
    text = resources.files("ocop_evaluation.data").joinpath("rule_sets.json").read_text("utf-8")
    parsed = _RuleFile.model_validate(json.loads(text))
    return tuple(sorted(parsed.rule_sets, key=lambda r: r.effective_from))


def rule_set(rule_set_id: str) -> RuleSet | None:
    return next((r for r in rule_sets() if r.rule_set_id == rule_set_id), None)


def rule_set_in_force(on: date) -> RuleSet:
    in_force = [r for r in rule_sets() if r.effective_from <= on]
    if not in_force:
        raise ValueError(f"no OCOP rule set was in force on {on.isoformat()}")
    return in_force[-1]


def rules_in_force(on: date, field: str) -> RuleSet:
    """The rule set in force on ``on``; before the programme, a DomainError naming ``field``."""
    try:
        return rule_set_in_force(on)
    except ValueError as exc:
        raise DomainError(str(exc), field=field) from exc
