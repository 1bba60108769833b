"""The 3,321 communes of 2025 and their provinces."""

from __future__ import annotations

import pytest

from ocop_contracts.reference import (
    UnknownUnitError,
    commune_header,
    communes_of,
    current_communes,
    current_provinces,
    find_commune,
    is_commune_code_format,
)


def test_there_are_3321_communes() -> None:
    assert len(current_communes()) == 3321


def test_every_commune_belongs_to_a_2025_province_and_every_province_has_communes() -> None:
    provinces = {c.province_code for c in current_communes().values()}
    assert provinces == set(current_provinces())


def test_the_merged_provinces_have_the_reported_number_of_units() -> None:
    assert (len(communes_of("80")), len(communes_of("82"))) == (96, 102)  # domain.md §5.2


def test_a_commune_is_found_with_its_province() -> None:
    commune = find_commune("29869", "82")
    assert (commune.name, commune.kind) == ("Phường Cao Lãnh", "ward")


def test_a_commune_of_another_province_is_refused_with_a_hint() -> None:
    with pytest.raises(UnknownUnitError, match="belongs to province 82"):
        find_commune("29869", "80")


def test_an_unknown_code_is_refused() -> None:
    with pytest.raises(UnknownUnitError):
        find_commune("99999")


def test_legacy_codes_can_be_checked_by_format_only() -> None:
    assert is_commune_code_format("28780")
    assert not is_commune_code_format("2878")
    assert not is_commune_code_format("２８７８０")  # full-width digits


def test_the_header_says_what_was_not_verified() -> None:
    assert any("not" in line for line in commune_header().verified)
