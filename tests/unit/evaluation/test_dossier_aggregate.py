"""The Dossier aggregate: every transition is a method, and a move its status does not allow is
refused with a 409 naming the status."""

from __future__ import annotations

from datetime import date

import pytest

from ocop_contracts import RatingLevel
from ocop_evaluation.domain.calendar import vietnam_calendar
from ocop_evaluation.domain.decisions import Outcome
from ocop_evaluation.domain.dossiers import Dossier, DossierStatus, IllegalMove
from ocop_evaluation.domain.forms import (
    AttemptType,
    CommuneDecision,
    CommuneFindings,
    Registration,
    SelfAssessmentLine,
)
from ocop_evaluation.domain.records import HistoryEntry
from ocop_evaluation.domain.scoring import SheetEntry
from ocop_platform.errors import Conflict, DomainError, NotFound
from tests.e2e.evaluation_support import FOUR_STAR
from tests.unit.evaluation.evaluation_builders import (
    MEMBERS,
    OFFICE,
    OLD_RULES,
    RULES,
    TODAY,
    a_round,
    at_province,
    entries,
    filed,
    registered,
    scored,
)

CALENDAR = vietnam_calendar()
RETURN = CommuneFindings(decision=CommuneDecision.RETURN, reasons=["Thiếu Mẫu 02"])


def outcome(level: RatingLevel, stars: int | None, **extra: object) -> Outcome:
    return Outcome(
        level=level,
        score=87.0,
        parts={"A": 37.0, "B": 22.0, "C": 28.0},
        spread=0.0,
        member_totals={"chair-1": 87.0},
        decision_ref="1/QĐ",
        decided_on=TODAY,
        stars=stars,
        **extra,
    )


def status(dossier: Dossier) -> DossierStatus:
    """The status now (mypy would keep it narrowed from before a transition)."""
    return dossier.status


def in_central_council() -> Dossier:
    dossier = scored(at_province(), a_round())
    dossier.decided(outcome(RatingLevel.PROVINCE, None, proposed_for_national=True), OFFICE, TODAY)
    dossier.to_central_council(a_round("c1", RatingLevel.CENTRAL), OFFICE, TODAY)
    return dossier


def test_a_filed_dossier_is_due_at_the_commune_in_15_working_days() -> None:
    lines = [
        SelfAssessmentLine(criterion_id=e.criterion_id, option_id=e.option_id)
        for e in entries(FOUR_STAR)
    ]
    dossier = Dossier.file(
        "d1",
        registered(),
        None,
        a_round(),
        attempt=AttemptType.FIRST,
        registration=Registration(applicant_name="HTX", representative_name="Võ Thị Mai"),
        lines=lines,
        calendar=CALENDAR,
        submitted=HistoryEntry.of("submitted", OFFICE, TODAY),
    )
    assert dossier.status is DossierStatus.AT_COMMUNE
    assert CALENDAR.working_days_between(TODAY, dossier.commune_due_on) == 15
    assert (dossier.self_score, dossier.rubric_id) == (87.0, "qd26-food")


def test_an_upgrade_needs_a_certificate() -> None:
    with pytest.raises(DomainError, match="an upgrade needs a certificate") as refused:
        Dossier.file(
            "d1",
            registered(),
            None,
            a_round(),
            attempt=AttemptType.UPGRADE,
            registration=Registration(applicant_name="HTX", representative_name="Mai"),
            lines=[],
            calendar=CALENDAR,
            submitted=HistoryEntry.of("submitted", OFFICE, TODAY),
        )
    assert refused.value.field == "attempt_type"


def test_the_commune_forwards_once() -> None:
    dossier = at_province()
    assert dossier.status is DossierStatus.AT_PROVINCE
    with pytest.raises(IllegalMove, match="dossier is at_province, not at the commune") as again:
        dossier.check_at_commune(RETURN, OFFICE, TODAY, CALENDAR)
    assert again.value.field == "decision" and again.value.status_code == 409


def test_a_return_needs_reasons_and_a_resubmission_brings_it_back_to_the_commune() -> None:
    dossier = filed()
    with pytest.raises(DomainError, match="say why"):
        dossier.check_at_commune(
            CommuneFindings(decision=CommuneDecision.RETURN), OFFICE, TODAY, CALENDAR
        )
    dossier.check_at_commune(RETURN, OFFICE, TODAY, CALENDAR)
    assert dossier.status is DossierStatus.RETURNED
    assert dossier.history[-1].note == "Thiếu Mẫu 02"

    later = date(2027, 2, 1)
    dossier.resubmit([], OFFICE, later, CALENDAR)

    assert (dossier.status, dossier.submitted_on) == (DossierStatus.AT_COMMUNE, later)
    with pytest.raises(IllegalMove, match="dossier is at_commune, not returned"):
        dossier.resubmit([], OFFICE, later, CALENDAR)


def test_evidence_requests_hold_the_dossier_until_all_are_answered() -> None:
    dossier = at_province()
    dossier.request_evidence("C1.4", "Bổ sung", OFFICE, TODAY)
    dossier.request_evidence(None, "Thêm ảnh", OFFICE, TODAY)
    assert (dossier.status, dossier.resume_status) == (
        DossierStatus.AWAITING_EVIDENCE,
        DossierStatus.AT_PROVINCE,
    )

    dossier.answer_evidence("1", ["doc://a.pdf"], "xong", OFFICE, TODAY)
    assert dossier.status is DossierStatus.AWAITING_EVIDENCE
    with pytest.raises(Conflict, match="evidence request 1 is answered"):
        dossier.answer_evidence("1", ["doc://a.pdf"], None, OFFICE, TODAY)
    with pytest.raises(NotFound):
        dossier.answer_evidence("9", ["doc://a.pdf"], None, OFFICE, TODAY)
    dossier.answer_evidence("2", ["doc://b.pdf"], None, OFFICE, TODAY)

    assert status(dossier) is DossierStatus.AT_PROVINCE


def test_evidence_names_a_criterion_of_the_rubric() -> None:
    with pytest.raises(DomainError, match="no criterion Z9"):
        at_province().request_evidence("Z9", "x", OFFICE, TODAY)


def test_the_first_sheet_puts_the_dossier_before_the_council() -> None:
    dossier = filed()
    with pytest.raises(IllegalMove, match="dossier is at_commune: not before a council"):
        dossier.submit_sheet(MEMBERS[0], entries(), RULES, OFFICE, TODAY)

    dossier = at_province(dossier)
    sheet = dossier.submit_sheet(MEMBERS[0], entries(FOUR_STAR), RULES, OFFICE, TODAY)

    assert (dossier.status, sheet.total, sheet.role) == (DossierStatus.IN_COUNCIL, 87.0, "chair")
    assert set(dossier.sheets.province) == {"chair-1"}


def test_a_sheet_without_a_rubric_or_leaving_criteria_unscored_is_refused() -> None:
    dossier = at_province()
    with pytest.raises(DomainError, match="ships no criterion rubric"):
        dossier.submit_sheet(MEMBERS[0], entries(), OLD_RULES, OFFICE, TODAY)
    with pytest.raises(DomainError, match="unscored"):
        dossier.submit_sheet(MEMBERS[0], [SheetEntry("A1.1", "ge75")], RULES, OFFICE, TODAY)
    assert dossier.status is DossierStatus.AT_PROVINCE


@pytest.mark.parametrize(
    "status",
    [
        s
        for s in DossierStatus
        if s not in (DossierStatus.IN_COUNCIL, DossierStatus.IN_CENTRAL_COUNCIL)
    ],
)
def test_only_a_dossier_before_a_council_can_be_decided(status: DossierStatus) -> None:
    dossier = filed().model_copy(update={"status": status})
    with pytest.raises(IllegalMove, match=f"dossier is {status.value}: nothing to decide"):
        dossier.decided(outcome(RatingLevel.PROVINCE, 4), OFFICE, TODAY)


def test_a_province_decision_is_final_or_a_proposal_for_five_stars() -> None:
    decided = scored(at_province(), a_round())
    decided.decided(outcome(RatingLevel.PROVINCE, 4, certificate_id="C-1"), OFFICE, TODAY)
    assert decided.status is DossierStatus.DECIDED
    assert decided.result is not None and decided.result.certificate_id == "C-1"

    proposed = in_central_council()
    assert (proposed.status, proposed.central_round_id) == (DossierStatus.IN_CENTRAL_COUNCIL, "c1")


def test_only_a_proposed_dossier_goes_to_a_central_round() -> None:
    with pytest.raises(IllegalMove, match="dossier is in_council, not proposed"):
        scored(at_province(), a_round()).to_central_council(
            a_round("c1", RatingLevel.CENTRAL), OFFICE, TODAY
        )


def test_a_central_four_stars_waits_for_the_province_s_certificate() -> None:
    dossier = in_central_council()
    dossier.decided(outcome(RatingLevel.CENTRAL, 4), OFFICE, TODAY)
    assert dossier.status is DossierStatus.AWAITING_PROVINCE_CERTIFICATION

    dossier.certified("C-7", "5/QĐ-UBND", OFFICE, TODAY)

    assert status(dossier) is DossierStatus.DECIDED
    assert dossier.result is not None
    assert (dossier.result.level, dossier.result.certificate_id, dossier.result.decision_ref) == (
        RatingLevel.CENTRAL,
        "C-7",
        "5/QĐ-UBND",
    )
    with pytest.raises(IllegalMove, match="dossier is decided: nothing to certify"):
        dossier.certified("C-8", "6/QĐ-UBND", OFFICE, TODAY)


def test_a_central_five_stars_is_decided_at_once() -> None:
    dossier = in_central_council()
    dossier.decided(outcome(RatingLevel.CENTRAL, 5, certificate_id="C-5"), OFFICE, TODAY)
    assert dossier.status is DossierStatus.DECIDED


def test_the_shown_form_leaves_out_what_has_not_happened_yet() -> None:
    shown = filed().model_dump(mode="json")
    assert not {"commune_check", "resume_status", "central_round_id", "result"} & set(shown)
    assert "note" not in shown["history"][0]
    assert at_province().model_dump(mode="json")["commune_check"]["decision"] == "forward"
