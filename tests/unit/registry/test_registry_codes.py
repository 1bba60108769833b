"""Product codes (QĐ26 and legacy), tax numbers and lookup payloads."""

from __future__ import annotations

import pytest

from ocop_registry.domain.codes import (
    code_mismatch,
    lookup_key,
    parse_product_code,
    tax_check_digit,
    tax_code_problem,
)


def test_a_qd26_code_parses_into_its_parts() -> None:
    parsed = parse_product_code("82-29869-7-2026")
    assert parsed is not None
    assert (parsed.province_code, parsed.commune_code, parsed.sequence, parsed.year) == (
        "82",
        "29869",
        7,
        2026,
    )
    assert not parsed.legacy


def test_a_legacy_code_keeps_its_district() -> None:
    parsed = parse_product_code("83-829-28780-3-2021")
    assert parsed is not None and parsed.legacy
    assert (parsed.district_code, parsed.commune_code) == ("829", "28780")


@pytest.mark.parametrize("text", ["", "82-29869-2026", "8-29869-1-2026", "82-2986-1-2026", "x"])
def test_other_text_is_not_a_product_code(text: str) -> None:
    assert parse_product_code(text) is None


def test_a_qd26_code_must_name_the_products_commune() -> None:
    parsed = parse_product_code("82-29869-1-2026")
    assert parsed is not None
    assert code_mismatch(parsed, "82", "29869") is None
    assert "commune" in (code_mismatch(parsed, "82", "29870") or "")
    assert "province" in (code_mismatch(parsed, "80", "29869") or "")


def test_a_legacy_code_matches_the_successor_province() -> None:
    parsed = parse_product_code("83-829-28780-1-2021")  # Bến Tre → Vĩnh Long (86)
    assert parsed is not None
    assert code_mismatch(parsed, "86", "00000") is None
    assert "now 86" in (code_mismatch(parsed, "82", "29869") or "")


def test_a_legacy_code_with_a_code_that_never_existed_is_refused() -> None:
    parsed = parse_product_code("99-829-28780-1-2021")
    assert parsed is not None
    assert "not a pre-2025 province" in (code_mismatch(parsed, "86", "00000") or "")


@pytest.mark.parametrize("code", ["0100109106", "0300588569", "0300588569-001"])
def test_real_tax_numbers_pass(code: str) -> None:
    assert tax_code_problem(code) is None


@pytest.mark.parametrize(
    ("code", "why"),
    [("0100109107", "check digit"), ("010010910", "10 digits"), ("01001091O6", "10 digits")],
)
def test_bad_tax_numbers_say_why(code: str, why: str) -> None:
    assert why in (tax_code_problem(code) or "")


def test_the_check_digit_completes_a_valid_number() -> None:
    assert tax_check_digit("010010910") == 6


@pytest.mark.parametrize(
    "payload",
    [
        "82-29869-1-2026",
        "  OCOP:82-29869-1-2026 ",
        "https://ocop.example.vn/san-pham/82-29869-1-2026",
        "https://ocop.example.vn/tra-cuu?code=82-29869-1-2026&lang=vi",
        "https://ocop.example.vn/tra-cuu?ma=82-29869-1-2026",
    ],
)
def test_a_qr_payload_yields_the_code(payload: str) -> None:
    assert lookup_key(payload) == "82-29869-1-2026"


def test_a_certificate_number_is_passed_through() -> None:
    assert lookup_key("123/GCN-UBND") == "123/GCN-UBND"
