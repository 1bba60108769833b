"""Score sheets, the council's result, stars with the mandatory minima, and the next-star gap.

Pure functions over a rubric (domain/rules.py); no I/O. A sheet gives, for every criterion of the
rubric, the option the member ticked (or its points); the council result is the average of the
members' totals (QĐ 26 Art. 3.3 "tổng điểm trung bình"), and per criterion the average of the
members' points, which is what the mandatory minima and the next-star report look at.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from math import ceil

from ocop_contracts import RatingLevel
from ocop_evaluation.domain.rules import PARTS, Part, Rubric, RuleSet
from ocop_platform.errors import DomainError

CHAIR = "chair"


@dataclass(frozen=True)
class SheetEntry:
    criterion_id: str
    option_id: str | None = None
    points: float | None = None


def score_sheet(
    rubric: Rubric, entries: Sequence[SheetEntry], *, field_prefix: str = "entries"
) -> dict[str, float]:
    """Points per criterion of a complete, valid sheet; DomainError naming the bad entry."""
    criteria = rubric.criteria
    scored: dict[str, float] = {}
    for i, entry in enumerate(entries):
        where = f"{field_prefix}.{i}"
        criterion = criteria.get(entry.criterion_id)
        if criterion is None:
            raise DomainError(
                f"criterion {entry.criterion_id!r} is not in rubric {rubric.rubric_id}",
                field=f"{where}.criterion_id",
            )
        if entry.criterion_id in scored:
            raise DomainError(
                f"criterion {entry.criterion_id} is scored twice", field=f"{where}.criterion_id"
            )
        if entry.points is not None and entry.points > criterion.max_points:
            raise DomainError(
                f"{entry.points:g} points is above the maximum of criterion "
                f"{criterion.criterion_id} ({criterion.max_points:g})",
                field=f"{where}.points",
            )
        if entry.option_id is not None:
            option = criterion.option(entry.option_id)
            if option is None:
                known = ", ".join(o.option_id for o in criterion.options)
                raise DomainError(
                    f"criterion {criterion.criterion_id} has no option {entry.option_id!r} "
                    f"(options: {known})",
                    field=f"{where}.option_id",
                )
            if entry.points is not None and entry.points != option.points:
                raise DomainError(
                    f"option {option.option_id} of {criterion.criterion_id} is worth "
                    f"{option.points:g} points, not {entry.points:g}",
                    field=f"{where}.points",
                )
            scored[entry.criterion_id] = option.points
        elif entry.points is not None:
            if all(o.points != entry.points for o in criterion.options):
                allowed = ", ".join(f"{o.points:g}" for o in criterion.options)
                raise DomainError(
                    f"criterion {criterion.criterion_id} is scored by its options: "
                    f"{allowed} points",
                    field=f"{where}.points",
                )
            scored[entry.criterion_id] = entry.points
        else:
            raise DomainError("give option_id or points", field=f"{where}.option_id")
    missing = [c for c in criteria if c not in scored]
    if missing:
        raise DomainError(
            f"the sheet leaves {len(missing)} criteria unscored: {', '.join(missing)}",
            field=field_prefix,
        )
    return scored


def part_totals(rubric: Rubric, points: Mapping[str, float]) -> dict[Part, float]:
    totals: dict[Part, float] = dict.fromkeys(PARTS, 0.0)
    for criterion_id, value in points.items():
        totals[rubric.part_of(criterion_id)] += value
    return {p: round(v, 2) for p, v in totals.items()}


@dataclass(frozen=True)
class CouncilRules:
    """A province's council rules (not national law, domain.md §1.5)."""

    quorum_ratio: float = 0.75
    chair_required: bool = True
    max_spread: float = 10.0


@dataclass(frozen=True)
class CouncilResult:
    members_total: int
    members_scored: int
    member_totals: dict[str, float]
    average: float
    spread: float
    criterion_average: dict[str, float]
    quorum_met: bool
    chair_scored: bool
    needs_rescoring: bool
    problems: list[str] = field(default_factory=list)

    @property
    def decidable(self) -> bool:
        return not self.problems


def council_result(
    members: Mapping[str, str],
    sheets: Mapping[str, Mapping[str, float]],
    rules: CouncilRules,
) -> CouncilResult:
    """``members``: member id → role; ``sheets``: member id → points per criterion."""
    totals = {m: round(sum(p.values()), 2) for m, p in sheets.items()}
    average = round(sum(totals.values()) / len(totals), 2) if totals else 0.0
    spread = round(max(totals.values()) - min(totals.values()), 2) if totals else 0.0
    criteria = sorted({c for p in sheets.values() for c in p})
    per_criterion = {
        c: round(sum(p.get(c, 0.0) for p in sheets.values()) / len(sheets), 2) for c in criteria
    }
    needed = ceil(rules.quorum_ratio * len(members) - 1e-9)
    quorum_met = len(sheets) >= max(needed, 1)
    chairs = [m for m, role in members.items() if role == CHAIR]
    chair_scored = any(m in sheets for m in chairs)
    needs_rescoring = spread > rules.max_spread
    problems = []
    if not quorum_met:
        problems.append(f"quorum not met: {len(sheets)} of {len(members)} sheets, {needed} needed")
    if rules.chair_required and not chair_scored:
        problems.append("the chair has not submitted a sheet")
    if needs_rescoring:
        problems.append(
            f"members' totals differ by {spread:g} points (allowed {rules.max_spread:g}): "
            "discuss and re-score"
        )
    return CouncilResult(
        members_total=len(members),
        members_scored=len(sheets),
        member_totals=totals,
        average=average,
        spread=spread,
        criterion_average=per_criterion,
        quorum_met=quorum_met,
        chair_scored=chair_scored,
        needs_rescoring=needs_rescoring,
        problems=problems,
    )


@dataclass(frozen=True)
class UnmetMinimum:
    criterion_id: str
    name_vi: str
    have_points: float
    need_option_id: str
    need_label_vi: str
    need_points: float


def unmet_minima(rubric: Rubric, points: Mapping[str, float], stars: int) -> list[UnmetMinimum]:
    unmet = []
    for criterion in rubric.criteria.values():
        minimum = criterion.minimum_for(stars)
        have = points.get(criterion.criterion_id, 0.0)
        if minimum is not None and have < minimum.points:
            unmet.append(
                UnmetMinimum(
                    criterion.criterion_id,
                    criterion.name_vi,
                    have,
                    minimum.option_id,
                    minimum.label_vi,
                    minimum.points,
                )
            )
    return unmet


def stars_with_minima(
    rules: RuleSet,
    rubric: Rubric | None,
    score: float,
    points: Mapping[str, float] | None,
    level: RatingLevel,
) -> int:
    """The band of the score, capped by the level, lowered while a star's minima are unmet."""
    stars = rules.stars_at_level(score, level)
    if rubric is None or points is None:
        return stars
    while stars >= 3 and unmet_minima(rubric, points, stars):
        stars -= 1
    return stars


@dataclass(frozen=True)
class Lift:
    criterion_id: str
    name_vi: str
    have_points: float
    option_id: str
    label_vi: str
    points: float
    gain: float
    meets_minimum: bool


@dataclass(frozen=True)
class NextStar:
    current_stars: int
    score: float
    next_stars: int | None
    points_needed: float
    unmet_minima: list[UnmetMinimum]
    lifts: list[Lift]
    decided_by: str | None


def next_star(
    rules: RuleSet, rubric: Rubric, points: Mapping[str, float], score: float
) -> NextStar:
    """What stands between a product and the next star: points and mandatory minima."""
    current = stars_with_minima(rules, rubric, score, points, RatingLevel.CENTRAL)
    if current >= 5:
        return NextStar(current, score, None, 0.0, [], [], None)
    target = current + 1
    needed = round(max(0.0, rules.lower_bound(target) - score), 2)
    unmet = unmet_minima(rubric, points, target)
    must = {u.criterion_id: u.need_points for u in unmet}
    lifts = []
    for criterion in rubric.criteria.values():
        have = points.get(criterion.criterion_id, 0.0)
        for option in criterion.options:
            if option.points > have:
                lifts.append(
                    Lift(
                        criterion.criterion_id,
                        criterion.name_vi,
                        have,
                        option.option_id,
                        option.label_vi,
                        option.points,
                        round(option.points - have, 2),
                        option.points >= must.get(criterion.criterion_id, float("inf")),
                    )
                )
    lifts.sort(key=lambda lift: (not lift.meets_minimum, -lift.gain, lift.criterion_id))
    decided_by = rules.certifying_level.get(target)
    return NextStar(current, score, target, needed, unmet, lifts, decided_by)
