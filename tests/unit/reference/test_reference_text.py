"""normalize_vi (storage form) and fold_vi (matching form)."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocop_contracts.reference import fold_vi, name_key, normalize_vi

NFC = "Tôm khô Cà Mau"
NFD = unicodedata.normalize("NFD", NFC)


def test_nfd_input_normalises_equal_to_nfc() -> None:
    assert NFD != NFC
    assert normalize_vi(NFD) == NFC
    assert normalize_vi(NFC) == NFC


def test_normalize_collapses_whitespace_and_keeps_letters() -> None:
    assert normalize_vi("  Chè  Shan\tTuyết\n Mộc Châu ") == "Chè Shan Tuyết Mộc Châu"
    assert normalize_vi("ĐẶC SẢN") == "ĐẶC SẢN"  # case and diacritics are kept for storage


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Tôm khô Cà Mau", "TOM KHO CA MAU"),
        (NFD, "tom kho ca mau"),
        ("Đắk Lắk", "dak lak"),
        ("Hoà Bình", "Hòa Bình"),  # old and new tone placement
        ("Ðồng Tháp", "Đồng Tháp"),  # U+00D0 from legacy encodings vs U+0110
        ("Nước  mắm\u00a0Phú Quốc", "nuoc mam phu quoc"),
        ("ＯＣＯＰ", "ocop"),  # full-width letters pasted from documents
    ],
)
def test_fold_vi_equates(left: str, right: str) -> None:
    assert fold_vi(left) == fold_vi(right)


def test_fold_vi_result() -> None:
    assert fold_vi("Tôm khô Cà Mau") == "tom kho ca mau"
    assert fold_vi("ĐƯỜNG PHỐ") == "duong pho"


def test_fold_vi_keeps_different_words_apart() -> None:
    assert fold_vi("Cà Mau") != fold_vi("Cà Màu Mau")


def test_name_key_ignores_spacing_and_punctuation() -> None:
    assert name_key("Bà Rịa - Vũng Tàu") == name_key("Bà Rịa–Vũng Tàu") == "bariavungtau"


@given(st.text())
def test_fold_is_idempotent_and_ignores_normal_form(text: str) -> None:
    folded = fold_vi(text)
    assert fold_vi(folded) == folded
    assert fold_vi(unicodedata.normalize("NFD", text)) == folded
    assert fold_vi(normalize_vi(text)) == folded


@given(st.text())
def test_normalize_is_idempotent_and_nfc(text: str) -> None:
    normalised = normalize_vi(text)
    assert normalize_vi(normalised) == normalised
    assert unicodedata.is_normalized("NFC", normalised)
