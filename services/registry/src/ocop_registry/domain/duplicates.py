"""Near-duplicate product names: the same product registered twice in one commune or province.

Names are compared folded (no case, no diacritics, đ→d), so "Tôm khô Cà Mau", "TOM KHO CA MAU"
and the NFD spelling of the first are the same name. A close match only warns: several dried-
shrimp products from one district are legitimate, but the office should look before certifying.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from ocop_contracts.reference import fold_vi

THRESHOLD = 0.85
WARNINGS_SHOWN = 5  # the closest names a registration warns about


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
    limit: int = WARNINGS_SHOWN,
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


# --- finding the candidates without reading the province -----------------------------------------
#
# A name is filed under index_keys(); a new name reads query_keys(). Every name `near_duplicates`
# would report shares a key with the new name (a superset is fetched, then scored as above):
# - similar characters: SequenceMatcher's matching blocks are a common subsequence, so a ratio r
#   leaves at most (1 - r)(la + lb) characters to insert or delete. A stored name of length lb is
#   cut into one more piece than that bound allows edits, so one piece is intact in the new name,
#   at a shift the edits bound ("pass-join"); its keys name length, piece and text.
# - word sets (one inside the other, or a Jaccard over the threshold): they share two words, so a
#   pair of words (every pair of the stored name) is a key.

_ROUNDING = Fraction(1, 1000)  # similarity() rounds to 3 places: 0.8495 passes as 0.85
MAX_QUERY_KEYS = 4000  # beyond (names of ~80+ characters), the caller compares the province


def _bound(threshold: float) -> Fraction:
    return Fraction(str(threshold)) - _ROUNDING


def _edits(la: int, lb: int, bound: Fraction) -> int:
    """The most insertions and deletions two names of these lengths differ by and still pass."""
    return math.floor((1 - bound) * (la + lb))


def _partner_lengths(length: int, bound: Fraction) -> range:
    """Lengths a passing name may have: 2·min(la, lb) ≥ bound·(la + lb)."""
    low = math.ceil(length * bound / (2 - bound))
    return range(low, math.floor(length * (2 - bound) / bound) + 1)


def _pieces(length: int, bound: Fraction) -> list[tuple[int, int]]:
    """(start, size) of the pieces a stored name of ``length`` is cut into."""
    count = min(length, _edits(_partner_lengths(length, bound)[-1], length, bound) + 1)
    size, longer = divmod(length, count)
    starts = [i * size + max(0, i - (count - longer)) for i in range(count)]
    return [(start, size + (i >= count - longer)) for i, start in enumerate(starts)]


def _word_pairs(fold: str) -> set[str]:
    words = sorted(set(fold.split()))
    return {f"w:{a} {b}" for i, a in enumerate(words) for b in words[i + 1 :]}


def index_keys(fold: str, threshold: float = THRESHOLD) -> set[str]:
    """The keys a stored folded name is filed under."""
    bound, lb = _bound(threshold), len(fold)
    if lb == 0:
        return {"s0"}
    pieces = {f"s{lb}.{i}.{fold[s : s + n]}" for i, (s, n) in enumerate(_pieces(lb, bound))}
    return pieces | _word_pairs(fold)


def query_keys(fold: str, threshold: float = THRESHOLD) -> set[str] | None:
    """The keys whose names include every near duplicate of ``fold``; None: too many to read
    (a very long name), compare with every name instead."""
    bound, la = _bound(threshold), len(fold)
    keys = {"s0"} if la == 0 else set()
    for lb in _partner_lengths(la, bound):
        if lb == 0:
            continue
        edits, delta = _edits(la, lb, bound), la - lb
        for i, (start, size) in enumerate(_pieces(lb, bound)[: edits + 1]):
            # Some piece i is intact with exactly i edits before it and at most edits - i after
            # (the pieces outnumber the edits); so it moved by at most i, and the rest of the
            # names differ in length by at most edits - i.
            for shift in range(max(-i, delta - edits + i), min(i, delta + edits - i) + 1):
                if 0 <= start + shift <= la - size:
                    keys.add(f"s{lb}.{i}.{fold[start + shift : start + shift + size]}")
        if len(keys) > MAX_QUERY_KEYS:
            return None
    return keys | _word_pairs(fold)
