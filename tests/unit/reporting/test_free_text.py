"""Free text of reporting's commands is stored in NFC, over HTTP and over the ingest topic alike."""

from __future__ import annotations

import unicodedata
from datetime import date

from ocop_contracts import TargetMetric, TargetUpdated
from ocop_reporting.domain.commands import ReportActivity

from .test_target_validation import Setup, command

LABEL = "Ít nhất 8 sản phẩm mới đạt từ 3 sao năm 2026"
PLAN = "122/KH-UBND tỉnh Đồng Tháp"
DISTRICT = "Tứ Kỳ"


def nfd(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text  # a macOS keyboard's form: looks the same, compares unequal
    return decomposed


async def test_a_target_set_over_http_in_nfd_is_stored_in_nfc() -> None:
    setup = Setup()

    await setup.service.set_target(
        command(label=nfd(LABEL), plan_ref=nfd(PLAN), district_name=nfd(DISTRICT))
    )

    ((saved, _),) = setup.repo.saved
    assert (saved.label, saved.plan_ref, saved.district_name) == (LABEL, PLAN, DISTRICT)


async def test_a_target_from_a_province_system_in_nfd_is_re_emitted_in_nfc() -> None:
    setup = Setup()
    sent = TargetUpdated(
        producer="province.82",
        aggregate_id="tgt-82-2026-certified",
        aggregate_version=1,
        province_code="82",
        target_id="tgt-82-2026-certified",
        plan_ref=nfd(PLAN),
        label=nfd(LABEL),
        metric=TargetMetric.CERTIFIED_PRODUCTS,
        year_from=2026,
        year_to=2026,
        minimum=8,
    )

    await setup.service.on_target_ingested(sent)

    ((canonical, source_event_id),) = setup.repo.saved
    assert (canonical.label, canonical.plan_ref) == (LABEL, PLAN)
    assert source_event_id == str(sent.event_id)


def test_an_activity_reports_evidence_and_note_in_nfc() -> None:
    report = ReportActivity(
        report_id="act-1",
        province_code="06",
        metric=TargetMetric.PEOPLE_TRAINED,
        quantity=40,
        occurred_on=date(2022, 5, 1),
        evidence=nfd("Biên bản tập huấn số 12"),
        note=nfd("Lớp tại xã Bằng Vân"),
    )
    assert (report.evidence, report.note) == ("Biên bản tập huấn số 12", "Lớp tại xã Bằng Vân")
