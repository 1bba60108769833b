"""Registry domain: Vietnamese names stored in one form, QĐ 26 product codes, product status."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocop_registry.domain.model import ProductStatus, normalize_name, product_code, status_for

NFC = "Nước mắm Phú Quốc"
NFD = unicodedata.normalize("NFD", NFC)
QD26_CODE = re.compile(r"^\d{2}-\d{5}-\d{1,5}-\d{4}$")


def test_nfd_and_nfc_spellings_normalise_to_the_same_name() -> None:
    assert NFD != NFC
    assert normalize_name(NFD) == normalize_name(NFC)


def test_a_name_is_stored_in_nfc() -> None:
    assert normalize_name(NFD) == NFC


def test_runs_of_whitespace_collapse_to_one_space_and_ends_are_trimmed() -> None:
    assert normalize_name("  Chè \t Shan  tuyết\nMộc Châu ") == "Chè Shan tuyết Mộc Châu"


def test_case_and_diacritics_are_kept() -> None:
    assert normalize_name("ĐẶC SẢN Đắk Lắk") == "ĐẶC SẢN Đắk Lắk"


@given(st.text())
def test_normalising_twice_changes_nothing(text: str) -> None:
    once = normalize_name(text)
    assert normalize_name(once) == once


def test_product_code_joins_province_commune_sequence_and_year() -> None:
    assert product_code("82", "28549", 7, 2026) == "82-28549-7-2026"


@pytest.mark.parametrize("sequence", [1, 42, 99999])
def test_product_codes_have_the_qd26_form(sequence: int) -> None:
    assert QD26_CODE.match(product_code("01", "00004", sequence, 2026))


@pytest.mark.parametrize(
    ("stars", "status"),
    [
        (1, ProductStatus.RATED_BELOW_THREE),
        (2, ProductStatus.RATED_BELOW_THREE),
        (3, ProductStatus.CERTIFIED),
        (4, ProductStatus.CERTIFIED),
        (5, ProductStatus.CERTIFIED),
    ],
)
def test_three_stars_or_more_certifies_a_product(stars: int, status: ProductStatus) -> None:
    assert status_for(stars) is status
