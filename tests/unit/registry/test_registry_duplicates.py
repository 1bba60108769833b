"""Near-duplicate product names are found however they are typed."""

from __future__ import annotations

import unicodedata

from ocop_contracts.reference import fold_vi
from ocop_registry.domain.duplicates import Candidate, near_duplicates, similarity


def candidate(pid: str, name: str, commune: str = "32005") -> Candidate:
    return Candidate(pid, None, name, fold_vi(name), commune)


def test_nfd_spelling_is_the_same_name() -> None:
    nfd = unicodedata.normalize("NFD", "Tôm khô Cà Mau")
    assert similarity(fold_vi(nfd), fold_vi("Tôm khô Cà Mau")) == 1.0


def test_a_name_plus_a_grade_is_close() -> None:
    found = near_duplicates("TOM KHO CA MAU loại 1", "32005", [candidate("a", "Tôm khô Cà Mau")])
    assert [d.product_id for d in found] == ["a"]


def test_a_different_product_is_not_a_duplicate() -> None:
    assert near_duplicates("Mật ong U Minh", "32005", [candidate("a", "Tôm khô Cà Mau")]) == []


def test_closest_first_and_same_commune_is_flagged() -> None:
    found = near_duplicates(
        "Tôm khô Cà Mau",
        "32005",
        [candidate("far", "Tôm khô Cà Mau loại 1", "32008"), candidate("same", "Tôm khô Cà Mau")],
    )
    assert [(d.product_id, d.same_commune) for d in found] == [("same", True), ("far", False)]
