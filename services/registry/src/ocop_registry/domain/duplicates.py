"""Near-duplicate product names: the same product registered twice in one commune or province.

Names are compared folded (no case, no diacritics, đ→d), so "Tôm khô Cà Mau", "TOM KHO CA MAU"
and the NFD spelling of the first are the same name. A close match only warns: several dried-
shrimp products from one district are legitimate, but the office should look before certifying.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from ocop_contracts.reference import fold_vi

THRESHOLD = 0.85


@dataclass(frozen=True)
class Candidate:
    product_id: str
    product_code: str | None
    name: str
    name_fold: str
    commune_code: str


@dataclass(frozen=True)
class NearDuplicate:
    product_id: str
    product_code: str | None
    name: str
    commune_code: str
    similarity: float
    same_commune: bool


def similarity(a_fold: str, b_fold: str) -> float:
    """1.0 for the same folded name; word order and extra words lower it gently."""
    if a_fold == b_fold:
        return 1.0
    by_chars = difflib.SequenceMatcher(None, a_fold, b_fold).ratio()
    a_words, b_words = set(a_fold.split()), set(b_fold.split())
    if min(len(a_words), len(b_words)) >= 2 and (a_words <= b_words or b_words <= a_words):
        return 0.9  # one name is the other plus words, e.g. a place or a grade
    by_words = len(a_words & b_words) / max(len(a_words | b_words), 1)
    return round(max(by_chars, by_words), 3)


def near_duplicates(
    name: str,
    commune_code: str,
    candidates: Iterable[Candidate],
    *,
    threshold: float = THRESHOLD,
    limit: int = 5,
) -> list[NearDuplicate]:
    """Candidates whose folded name is at least `threshold` similar, closest first."""
    folded = fold_vi(name)
    found = [
        NearDuplicate(
            product_id=c.product_id,
            product_code=c.product_code,
            name=c.name,
            commune_code=c.commune_code,
            similarity=score,
            same_commune=c.commune_code == commune_code,
        )
        for c in candidates
        if (score := similarity(folded, c.name_fold)) >= threshold
    ]
    found.sort(key=lambda d: (-d.similarity, not d.same_commune, d.product_id))
    return found[:limit]
