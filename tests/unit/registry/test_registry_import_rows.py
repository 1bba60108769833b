"""One import row checked against the same rules as the HTTP API; problems name the column."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from ocop_contracts import RatingLevel
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


CERTIFIED = {
    "stars": "4",
    "score": "78.5",
    "certificate_id": "82/2023/OCOP-15",
    "decision_ref": "1234/QĐ-UBND",
    "certified_on": "2023-10-01",
}
TODAY = date(2026, 12, 2)


def certified_problems(**change: str) -> list[tuple[str, str]]:
    result = check_row({**GOOD, **CERTIFIED, **change}, 5, "82", TODAY)
    assert isinstance(result, list), "expected problems"
    return [(p.column, p.message) for p in result]


def test_a_certified_row_keeps_its_certificate_at_the_province_level() -> None:
    result = check_row({**GOOD, **CERTIFIED, "valid_until": "2026-09-30"}, 2, "82", TODAY)
    assert isinstance(result, Checked)
    rating = result.row.imported_rating()
    assert rating is not None
    assert (rating.level, rating.certificate_id, rating.valid_until) == (
        RatingLevel.PROVINCE,
        "82/2023/OCOP-15",
        date(2026, 9, 30),
    )


@pytest.mark.parametrize("column", ["certificate_id", "decision_ref", "certified_on", "score"])
def test_a_certified_row_needs_its_number_decision_date_and_score(column: str) -> None:
    assert certified_problems(**{column: ""})[0][0] == column


def test_five_stars_are_the_ministry_s() -> None:
    found = certified_problems(stars="5", score="93", issuing_level="province")
    assert found[0][0] == "issuing_level"
    five = check_row({**GOOD, **CERTIFIED, "stars": "5", "score": "93"}, 2, "82", TODAY)
    assert isinstance(five, Checked)
    assert five.row.issuing_level is RatingLevel.CENTRAL


def test_the_stars_must_be_those_of_the_score() -> None:
    column, message = certified_problems(score="65")[0]
    assert (column, message) == ("score", "a score of 65 is 3★ at the province level, not 4★")


def test_a_province_result_of_ninety_is_still_four_stars() -> None:
    result = check_row({**GOOD, **CERTIFIED, "score": "91"}, 2, "82", TODAY)
    assert isinstance(result, Checked)


def test_the_validity_must_be_that_of_the_rule_set_in_force() -> None:
    column, message = certified_problems(valid_until="2026-10-01")[0]
    assert column == "valid_until"
    assert "until 2026-09-30" in message


def test_a_decision_before_the_programme_or_after_today_is_refused() -> None:
    assert certified_problems(certified_on="2019-01-15")[0][0] == "certified_on"
    assert certified_problems(certified_on="2026-12-03")[0][0] == "certified_on"


def test_one_or_two_stars_carry_no_certificate() -> None:
    assert certified_problems(stars="2", score="40")[0][0] == "certificate_id"


def test_yes_no_columns_accept_vietnamese() -> None:
    result = check_row({**GOOD, "women_led": "Có", "ethnic_minority_led": "không"}, 2, "82")
    assert isinstance(result, Checked)
    assert (result.row.women_led, result.row.ethnic_minority_led) == (True, False)


def test_the_sample_register_of_lam_dong_checks_clean() -> None:
    sample = Path(__file__).parents[2] / "data" / "registers" / "lam-dong-68.csv"
    with sample.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    results = [check_row(raw, n, "68", TODAY) for n, raw in enumerate(rows, start=2)]
    assert [r for r in results if not isinstance(r, Checked)] == []
    assert len(results) == 50
    assert {r.row.stars for r in results if isinstance(r, Checked)} == {3, 4, 5}
