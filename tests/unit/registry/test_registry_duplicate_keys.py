"""The near-duplicate keys find every name the full comparison finds.

A stored name is filed under ``index_keys``; a new name reads ``query_keys``. On generated sets
dense with close names (typos, joined or split words, words added, dropped or reordered), the
warnings from the names sharing a key equal the warnings from comparing with every name.
"""

from __future__ import annotations

import random

import pytest

from ocop_contracts.reference import fold_vi
from ocop_registry.domain.duplicates import (
    THRESHOLD,
    Candidate,
    index_keys,
    near_duplicates,
    query_keys,
    similarity,
)

BASES = [
    "Tôm khô Cà Mau",
    "Nước mắm cá cơm Phú Quốc",
    "Mật ong U Minh",
    "Cà phê rang xay Ia Grai",
    "Bánh tráng",
    "Trà",
    "Khô cá lóc đồng",
    "Gạo ST25",
    "Kẹo dừa Bến Tre",
    "Chuối sấy dẻo",
    "Rượu",
    "Nem chua Thanh Hoá loại đặc biệt",
]
EXTRA = ["loại 1", "đặc biệt", "Cà Mau", "hộp 500g", "truyền thống", "xanh"]
LETTERS = "abcdeghiklmnopqrstuvxyđ "


def mutate(name: str, rng: random.Random) -> str:
    """A name close to ``name``, the way people retype one."""
    words = name.split()
    kind = rng.randrange(7)
    if kind == 0:  # a typo or two
        chars = list(name)
        for _ in range(rng.randint(1, 2)):
            at = rng.randrange(len(chars) + 1)
            edit = rng.randrange(3)
            if edit == 0 and at < len(chars):
                del chars[at]
            elif edit == 1:
                chars.insert(at, rng.choice(LETTERS))
            elif at < len(chars):
                chars[at] = rng.choice(LETTERS)
        return "".join(chars) or name
    if kind == 1 and len(words) > 1:  # two words joined
        at = rng.randrange(len(words) - 1)
        return " ".join([*words[:at], words[at] + words[at + 1], *words[at + 2 :]])
    if kind == 2:  # a word added
        words.insert(rng.randrange(len(words) + 1), rng.choice(EXTRA))
        return " ".join(words)
    if kind == 3 and len(words) > 2:  # a word dropped
        del words[rng.randrange(len(words))]
        return " ".join(words)
    if kind == 4:  # words reordered
        rng.shuffle(words)
        return " ".join(words)
    if kind == 5:  # another case and no diacritics
        return fold_vi(name).upper()
    return f"{name} {rng.randrange(100)}"


def generated(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    names = list(BASES)
    while len(names) < count:
        names.append(mutate(rng.choice([n for n in names if len(n) < 40]), rng))
    return names


def filed(names: list[str]) -> tuple[list[Candidate], dict[str, set[int]]]:
    candidates = [
        Candidate(f"p{i}", None, n, fold_vi(n), f"{i % 3:05d}") for i, n in enumerate(names)
    ]
    index: dict[str, set[int]] = {}
    for i, candidate in enumerate(candidates):
        for key in index_keys(candidate.name_fold):
            index.setdefault(key, set()).add(i)
    return candidates, index


def fetched(name: str, candidates: list[Candidate], index: dict[str, set[int]]) -> list[Candidate]:
    keys = query_keys(fold_vi(name))
    if keys is None:  # a very long name: the adapter compares with the whole province
        return candidates
    found = set().union(*(index.get(key, set()) for key in keys))
    return [candidates[i] for i in sorted(found)]


@pytest.mark.parametrize("seed", [1, 2])
def test_the_keys_give_the_warnings_a_full_comparison_gives(seed: int) -> None:
    names = generated(seed, 250)
    candidates, index = filed(names)
    rng = random.Random(seed)
    queries = [mutate(rng.choice(names), rng) for _ in range(80)] + names[:40]
    compared = 0
    for name in queries:
        every = near_duplicates(name, "00000", candidates)
        assert near_duplicates(name, "00000", fetched(name, candidates, index)) == every, name
        compared += bool(every)
    assert compared > 60  # the sets are dense with close names: the test compares warnings


@pytest.mark.parametrize("seed", [4, 5])
def test_every_close_name_shares_a_key(seed: int) -> None:
    """Beyond the 5 warnings shown: every name at or over the threshold is fetched."""
    names = generated(seed, 250)
    candidates, index = filed(names)
    for name in names[:60]:
        close = {
            c.product_id for c in candidates if similarity(fold_vi(name), c.name_fold) >= THRESHOLD
        }
        assert close <= {c.product_id for c in fetched(name, candidates, index)}, name


def test_names_on_the_threshold_are_fetched() -> None:
    """Similarities that round to 0.85 pass the full comparison; the keys allow for it."""
    rng = random.Random(7)
    pairs = 0
    for _ in range(3000):
        a = "".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 30))).strip() or "a"
        b = mutate(mutate(a, rng), rng)
        score = similarity(fold_vi(a), fold_vi(b))
        if 0.84 <= score < 0.87:
            pairs += 1
            candidates, index = filed([b])
            assert near_duplicates(a, "00000", fetched(a, candidates, index)) == near_duplicates(
                a, "00000", candidates
            ), (a, b)
    assert pairs > 20


def test_a_joined_name_shares_no_word_but_is_still_found() -> None:
    candidates, index = filed(["Tôm khô Cà Mau"])
    assert [c.product_id for c in fetched("Tômkhô CàMau", candidates, index)] == ["p0"]


def test_a_different_name_is_not_fetched_with_most_of_the_province() -> None:
    names = generated(9, 400)
    candidates, index = filed(names)
    assert len(fetched("Mật ong U Minh", candidates, index)) < len(names) // 4


def test_a_very_long_name_asks_for_a_full_comparison() -> None:
    assert query_keys(" ".join(f"lo {i} hang {i * 7}" for i in range(12))) is None
    assert query_keys("tom kho ca mau") is not None
