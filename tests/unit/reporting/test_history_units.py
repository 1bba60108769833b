"""Issue #10, deliverable 3: a fact is counted in the unit of its time, read from the event by its
schema version — version 1 names the province of the edition in force on the fact's date;
version 2 always names the 2025 province, and the unit before the merger is its legacy_unit."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from ocop_contracts.legacy import LegacyUnit
from ocop_contracts.reference import MERGER_DAY
from ocop_platform.errors import DomainError
from ocop_reporting.domain.figures import Metrics
from ocop_reporting.domain.units import attributed
from ocop_reporting.entrypoints.api.metrics import openmetrics

BEFORE, AFTER = date(2021, 6, 1), date(2026, 3, 1)
OLD_DONG_THAP = LegacyUnit(province_code="87", district_code="866", commune_code="29869")


def _where(found: object) -> tuple[str, str, str]:
    unit = found.unit  # type: ignore[attr-defined]
    return unit.code, unit.edition, unit.current_code


def test_version_1_reads_the_code_in_the_edition_in_force_on_the_date() -> None:
    # 82 in 2021 was Tiền Giang: that is what a version 1 event (a province system) meant.
    assert _where(attributed("82", BEFORE, 1)) == ("82", "2008", "82")
    assert _where(attributed("87", BEFORE, 1)) == ("87", "2008", "82")


def test_version_1_keeps_refusing_a_code_that_did_not_exist_on_the_date() -> None:
    with pytest.raises(DomainError, match="did not exist") as caught:
        attributed("87", AFTER, 1)
    assert caught.value.field == "province_code"


def test_version_2_before_the_merger_goes_to_the_legacy_unit_with_its_commune() -> None:
    found = attributed("82", BEFORE, 2, OLD_DONG_THAP)
    assert _where(found) == ("87", "2008", "82")  # old Đồng Tháp, not old Tiền Giang
    assert (found.old_district_code, found.old_commune_code) == ("866", "29869")
    assert not found.old_unit_unknown
    assert not found.old_commune_unknown


def test_version_2_before_the_merger_without_the_old_commune_says_it_is_unknown() -> None:
    found = attributed("82", BEFORE, 2, LegacyUnit(province_code="87"))
    assert _where(found) == ("87", "2008", "82")
    assert found.old_commune_code is None and found.old_commune_unknown
    assert attributed("01", BEFORE, 2).old_commune_unknown  # unmerged: province only
    assert not attributed("82", BEFORE, 1).old_commune_unknown  # v1: commune_code is of its day
    assert not attributed("82", AFTER, 2).old_commune_unknown  # a 2025 fact


def test_version_2_bac_kan_counts_for_bac_kan_and_rolls_up_into_thai_nguyen() -> None:
    found = attributed("19", date(2022, 6, 15), 2, LegacyUnit(province_code="06"))
    assert _where(found) == ("06", "2008", "19")


def test_version_2_on_or_after_the_merger_goes_to_the_2025_province() -> None:
    assert _where(attributed("82", MERGER_DAY, 2, OLD_DONG_THAP)) == ("82", "2025", "82")
    assert _where(attributed("82", AFTER, 2)) == ("82", "2025", "82")


def test_version_2_without_legacy_unit_in_an_unmerged_province_takes_its_only_predecessor() -> None:
    # Hà Nội (01) was formed from old Hà Nội alone: its old unit is certain.
    found = attributed("01", BEFORE, 2)
    assert _where(found) == ("01", "2008", "01")
    assert not found.old_unit_unknown


def test_version_2_without_legacy_unit_in_a_merged_province_is_not_guessed() -> None:
    # 82 was formed from Tiền Giang (82) and Đồng Tháp (87): the fact stays in today's province,
    # counted there once and in no old province, and says so.
    found = attributed("82", BEFORE, 2)
    assert _where(found) == ("82", "2025", "82")
    assert found.old_unit_unknown


def test_version_2_refuses_a_2008_only_code_as_its_province() -> None:
    with pytest.raises(DomainError, match="unknown province code 87 in the 2025 edition"):
        attributed("87", BEFORE, 2)


def test_version_2_refuses_a_legacy_unit_that_did_not_become_its_province() -> None:
    with pytest.raises(DomainError, match="old province 06 became 19, not 82") as caught:
        attributed("82", BEFORE, 2, LegacyUnit(province_code="06"))
    assert caught.value.field == "legacy_unit.province_code"


def test_a_legacy_unit_must_be_a_2008_province() -> None:
    with pytest.raises(ValidationError, match="not a province of the 2008 edition"):
        LegacyUnit(province_code="99")


def test_monitoring_shows_the_facts_without_their_old_unit_by_province() -> None:
    figures = Metrics(
        rated_products={}, targets={}, read_model_documents={}, old_unit_unknown={"82": 2}
    )
    assert 'ocop_facts_old_unit_unknown{province="82"} 2' in openmetrics(figures).splitlines()
