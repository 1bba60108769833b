"""Star bands by rule set (DESIGN §5). The full criteria-level rule sets come with issue #4; the
bands and the certifying levels are the same under QĐ 148/1489 and QĐ 26 (domain.md §1.3–1.4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ocop_contracts import RatingLevel


@dataclass(frozen=True)
class RuleSet:
    rule_set_id: str
    legal_basis: str
    effective_from: date
    # Lower bound of each star, highest first: (5, 90.0) means ≥90 points → 5★.
    bands: tuple[tuple[int, float], ...]
    # Highest star each level may award (a province cannot award 5★).
    max_stars: dict[RatingLevel, int]

    def stars_for(self, score: float) -> int:
        for stars, lower in self.bands:
            if score >= lower:
                return stars
        return 1

    def stars_at_level(self, score: float, level: RatingLevel) -> int:
        return min(self.stars_for(score), self.max_stars[level])


_BANDS = ((5, 90.0), (4, 70.0), (3, 50.0), (2, 30.0))
_LEVELS = {RatingLevel.PROVINCE: 4, RatingLevel.CENTRAL: 5}

RULE_SETS: tuple[RuleSet, ...] = (
    RuleSet("qd1048-2019", "QĐ 1048/QĐ-TTg", date(2019, 8, 21), _BANDS, _LEVELS),
    RuleSet("qd148-2023", "QĐ 148/QĐ-TTg", date(2023, 2, 24), _BANDS, _LEVELS),
    RuleSet(
        "qd148-1489-2025",
        "QĐ 148/QĐ-TTg as amended by QĐ 1489/QĐ-TTg",
        date(2025, 7, 6),
        _BANDS,
        _LEVELS,
    ),
    RuleSet("qd26-2026", "QĐ 26/2026/QĐ-TTg", date(2026, 7, 21), _BANDS, _LEVELS),
)


def rule_set_in_force(on: date) -> RuleSet:
    in_force = [r for r in RULE_SETS if r.effective_from <= on]
    if not in_force:
        raise ValueError(f"no OCOP rule set was in force on {on.isoformat()}")
    return max(in_force, key=lambda r: r.effective_from)
