"""One import row checked against the same rules as the HTTP API; problems name the column."""

from __future__ import annotations

from ocop_registry.service_layer.imports import Checked, check_row

GOOD = {
    "producer_name": "HTX Sa Giang",
    "legal_form": "cooperative",
    "tax_code": "0100109106",
    "province_code": "82",
    "commune_code": "29869",
    "product_name": "Bánh phồng tôm",
    "scoring_set_code": "I.3.d",
    "year": "2024",
}


def problems(**change: str) -> list[tuple[str, str]]:
    result = check_row({**GOOD, **change}, 5, "82")
    assert isinstance(result, list), "expected problems"
    return [(p.column, p.message) for p in result]


def test_a_good_row_is_ready_to_write_keyed_by_its_tax_number() -> None:
    result = check_row(GOOD, 2, "82")
    assert isinstance(result, Checked)
    assert result.entity_key == "mst:0100109106"


def test_spreadsheet_numbers_lose_no_leading_zero() -> None:
    result = check_row({**GOOD, "province_code": "1", "commune_code": "4"}, 2, "01")
    assert isinstance(result, Checked)
    assert (result.row.province_code, result.row.commune_code) == ("01", "00004")


def test_a_row_of_another_province_is_refused() -> None:
    assert problems(province_code="80")[0][0] == "province_code"


def test_an_unknown_commune_names_commune_code() -> None:
    assert problems(commune_code="99999")[0][0] == "commune_code"


def test_a_missing_name_names_product_name() -> None:
    assert problems(product_name="")[0][0] == "product_name"


def test_a_code_of_another_commune_names_product_code() -> None:
    assert problems(product_code="82-29870-1-2024")[0][0] == "product_code"


def test_a_certified_row_needs_its_date() -> None:
    assert problems(stars="4")[0][0] == "certified_on"


def test_yes_no_columns_accept_vietnamese() -> None:
    result = check_row({**GOOD, "women_led": "Có", "ethnic_minority_led": "không"}, 2, "82")
    assert isinstance(result, Checked)
    assert (result.row.women_led, result.row.ethnic_minority_led) == (True, False)
