"""Old→new roll-up of units, rates and percents, target rules, and the export formats."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from datetime import date

import pytest

from ocop_contracts import TargetMetric, TargetUnit
from ocop_platform.errors import DomainError
from ocop_reporting.adapters.exports import to_csv, to_xlsx
from ocop_reporting.adapters.facts import unit_filter
from ocop_reporting.domain.progress import Standing, Target, months_elapsed, progress_of
from ocop_reporting.domain.units import recorded_in, target_edition, unit, unit_of_fact
from ocop_reporting.service_layer.services import _check_target

from .test_target_validation import command


def test_a_fact_before_the_merger_is_recorded_in_its_old_province() -> None:
    found = unit_of_fact("06", date(2022, 5, 1))
    assert found is not None
    assert (found.name, found.edition, found.current_code) == ("Bắc Kạn", "2008", "19")


def test_a_code_means_the_unit_of_the_facts_date() -> None:
    before, after = unit_of_fact("82", date(2025, 6, 30)), unit_of_fact("82", date(2025, 7, 1))
    assert before is not None and after is not None
    assert (before.name, after.name) == ("Tiền Giang", "Đồng Tháp")


def test_a_code_that_did_not_exist_on_the_date_has_no_unit() -> None:
    assert unit_of_fact("87", date(2026, 1, 5)) is None  # 87 (Đồng Tháp) is a 2008 code only


def test_a_fact_in_a_unit_that_did_not_exist_is_refused_with_the_field() -> None:
    # A DomainError: the consumer dead-letters the event with this reason.
    with pytest.raises(DomainError, match="province code 87 did not exist on 2026-01-05") as caught:
        recorded_in("87", date(2026, 1, 5))
    assert caught.value.field == "province_code"


def test_merged_provinces_each_roll_up_once_into_the_new_one() -> None:
    # Every fact of Bắc Kạn (06) and of old Thái Nguyên (19) has current_code 19: one filter
    # {"current_code": "19"} counts each of them once.
    olds = [unit_of_fact(c, date(2022, 1, 1)) for c in ("06", "19")]
    assert {u.current_code for u in olds if u} == {"19"}
    assert unit_filter(unit("19", "2025")) == {"current_code": "19"}


def test_an_old_unit_counts_only_its_own_facts() -> None:
    assert unit_filter(unit("06", "2008")) == {"edition": "2008", "unit_code": "06"}


@pytest.mark.parametrize(
    ("code", "year_to", "edition"),
    [("06", 2022, "2008"), ("82", 2021, "2008"), ("82", 2026, "2025")],
)
def test_a_target_edition_is_inferred_from_the_code_and_period(
    code: str, year_to: int, edition: str
) -> None:
    assert target_edition(code, year_to, None) == edition


def test_an_unknown_unit_is_a_domain_error_on_province_code() -> None:
    with pytest.raises(DomainError) as caught:
        unit("87", "2025")
    assert caught.value.field == "province_code"
    assert "Đồng Tháp in the 2008 edition" in caught.value.message


def test_a_rate_without_a_period_is_rejected() -> None:
    with pytest.raises(DomainError) as caught:
        _check_target(command(unit=TargetUnit.PER_MONTH, minimum=2))
    assert caught.value.field == "period_start"
    assert "needs a period" in caught.value.message


def test_a_period_outside_the_target_years_is_rejected() -> None:
    with pytest.raises(DomainError) as caught:
        _check_target(command(period_start=date(2025, 4, 1), period_end=date(2026, 12, 31)))
    assert caught.value.field == "period_start"


def _target(**changes: object) -> Target:
    base = Target(
        target_id="t",
        province_code="06",
        plan_ref="75/KH-UBND",
        label="2 tin, bài/tháng",
        metric=TargetMetric.MEDIA_ITEMS,
        year_from=2022,
        year_to=2022,
        minimum=2,
        maximum=None,
        min_stars=None,
        version=1,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_months_elapsed_counts_started_months_of_the_period() -> None:
    assert months_elapsed(date(2022, 3, 1), date(2022, 12, 31), date(2022, 5, 10)) == 3
    assert months_elapsed(date(2022, 3, 1), date(2022, 12, 31), date(2023, 5, 10)) == 10


def test_a_rate_is_the_count_per_month_of_the_period() -> None:
    target = _target(
        unit=TargetUnit.PER_MONTH, period_start=date(2022, 3, 1), period_end=date(2022, 12, 31)
    )
    progress = progress_of(target, 15, date(2023, 1, 1))
    assert (progress.actual, progress.count, progress.percent) == (1.5, 15, 75.0)
    assert progress.standing is Standing.NOT_MET  # the period is over


def test_a_percent_target_divides_by_its_base() -> None:
    target = _target(
        metric=TargetMetric.PEOPLE_TRAINED, unit=TargetUnit.PERCENT, base=300, minimum=100
    )
    progress = progress_of(target, 240, date(2022, 12, 31))
    assert (progress.actual, progress.percent) == (80, 80.0)


def test_csv_starts_with_a_bom_and_keeps_vietnamese() -> None:
    data = to_csv([["label", "actual"], ["Bắc Kạn", 3]]).decode("utf-8")
    assert data == "\ufefflabel,actual\r\nBắc Kạn,3\r\n"


def test_xlsx_holds_text_inline_and_numbers_as_numbers() -> None:
    data = to_xlsx([["label", "actual"], ["Đồng Tháp", 49]])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        assert "[Content_Types].xml" in archive.namelist()
    assert '<c r="A2" t="inlineStr"><is><t xml:space="preserve">Đồng Tháp</t></is></c>' in sheet
    assert '<c r="B2"><v>49</v></c>' in sheet


async def test_a_derived_metric_cannot_be_reported_by_hand() -> None:
    from ocop_reporting.domain.commands import ReportActivity

    from .test_target_validation import Setup

    setup = Setup()
    with pytest.raises(DomainError) as caught:
        await setup.service.report_activity(
            ReportActivity(
                report_id="r1",
                province_code="06",
                metric=TargetMetric.CERTIFIED_PRODUCTS,
                quantity=3,
                occurred_on=date(2022, 5, 1),
                evidence="Báo cáo 1/BC",
            )
        )
    assert caught.value.field == "metric"
    assert "derived from the events" in caught.value.message
    assert setup.notified == 0
