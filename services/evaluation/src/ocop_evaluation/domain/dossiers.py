"""A dossier's life, from the commune's intake to the decision.

- ``at_commune`` → forward → ``at_province`` → first sheet → ``in_council`` → decide →
  ``decided``; return → ``returned`` → resubmit → ``at_commune``.
- An evidence request (commune or province) → ``awaiting_evidence`` until every request is
  answered, then back to where it was.
- ≥90 points at the province → ``proposed_national`` → into a central round →
  ``in_central_council`` → decide → ``decided`` (5★) or, a central 3–4★,
  ``awaiting_province_certification`` → the province certifies → ``decided``.

Every transition is a method that refuses a move the status does not allow (:class:`IllegalMove`,
a 409). Who may make a move is an identity question (``service_layer/access.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ocop_contracts import RatingLevel
from ocop_evaluation.domain.calendar import HolidayCalendar
from ocop_evaluation.domain.certificates import Certificate, CertificateStatus
from ocop_evaluation.domain.decisions import Outcome
from ocop_evaluation.domain.forms import (
    AttemptType,
    CommuneDecision,
    CommuneFindings,
    Registration,
    SelfAssessmentLine,
    assess,
)
from ocop_evaluation.domain.products import RegisteredProduct
from ocop_evaluation.domain.records import (
    CriterionPoints,
    HistoryEntry,
    Value,
    absent_until_set,
    points_of,
    points_rows,
)
from ocop_evaluation.domain.rounds import CouncilMember, Round
from ocop_evaluation.domain.rules import Part, Rubric, RuleSet, rule_set
from ocop_evaluation.domain.scoring import SheetEntry, part_totals, score_sheet
from ocop_platform.aggregates import Aggregate
from ocop_platform.errors import Conflict, DomainError, NotFound
from ocop_platform.identity import Principal

COMMUNE_DAYS = 15  # QĐ 26 Art. 7.2: the commune checks within 15 working days


class DossierStatus(StrEnum):
    AT_COMMUNE = "at_commune"
    RETURNED = "returned"
    AT_PROVINCE = "at_province"
    AWAITING_EVIDENCE = "awaiting_evidence"
    IN_COUNCIL = "in_council"
    PROPOSED_NATIONAL = "proposed_national"
    IN_CENTRAL_COUNCIL = "in_central_council"
    AWAITING_PROVINCE_CERTIFICATION = "awaiting_province_certification"
    DECIDED = "decided"


BEFORE_A_COUNCIL = (
    DossierStatus.AT_PROVINCE,
    DossierStatus.IN_COUNCIL,
    DossierStatus.IN_CENTRAL_COUNCIL,
)
EVIDENCE_MAY_BE_ASKED = (
    DossierStatus.AT_COMMUNE,
    DossierStatus.AT_PROVINCE,
    DossierStatus.IN_COUNCIL,
    DossierStatus.AWAITING_EVIDENCE,
)


class Stage(StrEnum):
    PROVINCE = "province"
    CENTRAL = "central"


class IllegalMove(Conflict):
    """A transition the dossier's status does not allow."""

    def __init__(self, status: DossierStatus, why: str = "", *, field: str = "dossier_id") -> None:
        super().__init__(f"dossier is {status.value}{why}", field=field)
        self.status = status


class CommuneCheckRecord(CommuneFindings):
    """The commune's check as recorded: the findings, by whom, when, and whether in time."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    by: str
    on: date
    working_days_used: int
    late: bool


class EvidenceAnswer(Value):
    evidence: list[str]
    note: str | None = None
    by: str
    on: date


class EvidenceRequestRecord(Value):
    request_id: str
    criterion_id: str | None = None
    message: str
    requested_by: str
    requested_on: date
    status: Literal["open", "answered"] = "open"
    response: EvidenceAnswer | None = absent_until_set()

    @property
    def is_open(self) -> bool:
        return self.status == "open"


class Sheet(Value):
    """A council member's score sheet."""

    member_id: str
    role: str
    points: list[CriterionPoints]
    parts: dict[Part, float]
    total: float
    submitted_on: date
    entered_by: str


class Sheets(Value):
    """Sheets per stage, by member id (member ids contain no '.' or '$': storable keys)."""

    province: dict[str, Sheet] = Field(default_factory=dict)
    central: dict[str, Sheet] = Field(default_factory=dict)

    def of(self, stage: Stage) -> dict[str, Sheet]:
        return self.province if stage is Stage.PROVINCE else self.central


class DossierRecord(BaseModel):
    """A dossier's state, as stored and as shown."""

    product_id: str
    product_name: str | None = None
    province_code: str
    commune_code: str | None = None
    entity_id: str | None = None
    scoring_set_code: str
    round_id: str
    rule_set_id: str
    rubric_id: str | None = None
    attempt_type: AttemptType
    certificate_at_filing: str | None = None
    registration: Registration
    self_assessment: list[SelfAssessmentLine] = Field(default_factory=list)
    self_score: float | None = None
    status: DossierStatus
    submitted_on: date
    commune_due_on: date
    calendar_verified: bool
    evidence_requests: list[EvidenceRequestRecord] = Field(default_factory=list)
    sheets: Sheets = Field(default_factory=Sheets)
    history: list[HistoryEntry] = Field(default_factory=list)
    commune_check: CommuneCheckRecord | None = absent_until_set()
    resume_status: DossierStatus | None = absent_until_set()
    result: Outcome | None = absent_until_set()
    central_round_id: str | None = absent_until_set()
    central_result: Outcome | None = absent_until_set()


class Dossier(DossierRecord, Aggregate):
    kind = "dossier"

    @classmethod
    def file(
        cls,
        dossier_id: str,
        product: RegisteredProduct,
        certificate: Certificate | None,
        in_round: Round,
        *,
        attempt: AttemptType,
        registration: Registration,
        lines: Sequence[SelfAssessmentLine],
        calendar: HolidayCalendar,
        submitted: HistoryEntry,
    ) -> Dossier:
        """A dossier filed at the commune, due there in 15 working days."""
        rubric = in_round.rules.rubric_for(product.scoring_set_code)
        assessed, self_score = assess(rubric, lines)
        held = certificate is not None and certificate.status in (
            CertificateStatus.VALID,
            CertificateStatus.EXPIRED,
        )
        if attempt is not AttemptType.FIRST and not held:
            raise DomainError(
                f"an {attempt.value} needs a certificate; this product has none",
                field="attempt_type",
            )
        return cls(
            id=dossier_id,
            product_id=product.product_id,
            product_name=product.name,
            province_code=product.province_code,
            commune_code=product.commune_code,
            entity_id=product.entity_id,
            scoring_set_code=product.scoring_set_code,
            round_id=in_round.id,
            rule_set_id=in_round.rule_set_id,
            rubric_id=None if rubric is None else rubric.rubric_id,
            attempt_type=attempt,
            certificate_at_filing=None if certificate is None else certificate.certificate_id,
            registration=registration,
            self_assessment=assessed,
            self_score=self_score,
            status=DossierStatus.AT_COMMUNE,
            submitted_on=submitted.on,
            commune_due_on=calendar.add_working_days(submitted.on, COMMUNE_DAYS),
            calendar_verified=calendar.covers(submitted.on.year),
            history=[submitted],
        )

    def filed_rubric(self) -> Rubric | None:
        """The rubric of the product's scoring set under the rule set it was filed under."""
        rules = rule_set(self.rule_set_id)
        return None if rules is None else rules.rubric_for(self.scoring_set_code)

    # --- intake ------------------------------------------------------------------------------

    def check_at_commune(
        self, findings: CommuneFindings, who: Principal, on: date, calendar: HolidayCalendar
    ) -> None:
        """The commune forwards the dossier to the province or returns it (with reasons)."""
        if self.status is not DossierStatus.AT_COMMUNE:
            raise IllegalMove(self.status, ", not at the commune", field="decision")
        if findings.decision is CommuneDecision.RETURN and not findings.reasons:
            raise DomainError("say why the dossier is returned", field="reasons")
        self.commune_check = CommuneCheckRecord(
            **findings.model_dump(),
            by=who.subject,
            on=on,
            working_days_used=calendar.working_days_between(self.submitted_on, on),
            late=on > self.commune_due_on,
        )
        forward = findings.decision is CommuneDecision.FORWARD
        self.status = DossierStatus.AT_PROVINCE if forward else DossierStatus.RETURNED
        note = "; ".join(findings.reasons)
        self._note(HistoryEntry.of(f"commune_{findings.decision.value}", who, on, note))

    def resubmit(
        self,
        lines: Sequence[SelfAssessmentLine],
        who: Principal,
        on: date,
        calendar: HolidayCalendar,
    ) -> None:
        """A returned dossier back at the commune, with a new self-assessment and deadline."""
        if self.status is not DossierStatus.RETURNED:
            raise IllegalMove(self.status, ", not returned")
        self.self_assessment, self.self_score = assess(self.filed_rubric(), lines)
        self.status = DossierStatus.AT_COMMUNE
        self.submitted_on = on
        self.commune_due_on = calendar.add_working_days(on, COMMUNE_DAYS)
        self._note(HistoryEntry.of("resubmitted", who, on))

    def request_evidence(
        self, criterion_id: str | None, message: str, who: Principal, on: date
    ) -> None:
        """Ask the producer for evidence; the dossier waits until every request is answered."""
        if self.status not in EVIDENCE_MAY_BE_ASKED:
            raise IllegalMove(self.status)
        rubric = self.filed_rubric()
        if criterion_id is not None and rubric is not None and criterion_id not in rubric.criteria:
            raise DomainError(f"no criterion {criterion_id}", field="criterion_id")
        request = EvidenceRequestRecord(
            request_id=str(len(self.evidence_requests) + 1),
            criterion_id=criterion_id,
            message=message,
            requested_by=who.subject,
            requested_on=on,
        )
        self.evidence_requests = [*self.evidence_requests, request]
        if self.status is not DossierStatus.AWAITING_EVIDENCE:
            self.resume_status = self.status
            self.status = DossierStatus.AWAITING_EVIDENCE
        self._note(HistoryEntry.of("evidence_requested", who, on, message))

    def answer_evidence(
        self, request_id: str, evidence: list[str], note: str | None, who: Principal, on: date
    ) -> None:
        """New evidence for a request (added to its criterion's line, if it names one)."""
        request = next((r for r in self.evidence_requests if r.request_id == request_id), None)
        if request is None:
            raise NotFound(f"no evidence request {request_id}", field="request_id")
        if not request.is_open:
            raise Conflict(f"evidence request {request_id} is answered", field="request_id")
        response = EvidenceAnswer(evidence=evidence, note=note, by=who.subject, on=on)
        answered = request.model_copy(update={"status": "answered", "response": response})
        self.evidence_requests = [
            answered if r.request_id == request_id else r for r in self.evidence_requests
        ]
        if request.criterion_id:
            self.self_assessment = [
                _with_evidence(x, request.criterion_id, evidence) for x in self.self_assessment
            ]
        if not any(r.is_open for r in self.evidence_requests):
            self.status = self.resume_status or DossierStatus.AT_PROVINCE
        self._note(HistoryEntry.of("evidence_provided", who, on, note))

    # --- councils ------------------------------------------------------------------------------

    @property
    def stage(self) -> Stage:
        """The council that scores the dossier now."""
        if self.status is DossierStatus.IN_CENTRAL_COUNCIL:
            return Stage.CENTRAL
        return Stage.PROVINCE

    def round_of(self, stage: Stage) -> str:
        if stage is Stage.CENTRAL and self.central_round_id is not None:
            return self.central_round_id
        return self.round_id

    @property
    def result_stage(self) -> Stage:
        """The council whose result counts now: the central one's while the province has to
        certify it, else the one that scores the dossier."""
        if self.status is DossierStatus.AWAITING_PROVINCE_CERTIFICATION:
            return Stage.CENTRAL
        return self.stage

    def sheet_points(self, stage: Stage) -> dict[str, dict[str, float]]:
        return {m: points_of(s.points) for m, s in self.sheets.of(stage).items()}

    def submit_sheet(
        self,
        member: CouncilMember,
        entries: Sequence[SheetEntry],
        rules: RuleSet,
        who: Principal,
        on: date,
    ) -> Sheet:
        """A member's sheet for the council scoring the dossier now (again: it replaces theirs),
        on the rubric of the council's rule set ``rules``."""
        if self.status not in BEFORE_A_COUNCIL:
            raise IllegalMove(self.status, ": not before a council")
        rubric = rules.rubric_for(self.scoring_set_code)
        if rubric is None:
            raise DomainError(
                f"{rules.rule_set_id} ships no criterion rubric for scoring set "
                f"{self.scoring_set_code}; record the council's total with POST /ratings",
                field="entries",
            )
        points = score_sheet(rubric, entries)
        sheet = Sheet(
            member_id=member.member_id,
            role=member.role.value,
            points=points_rows(points),
            parts=part_totals(rubric, points),
            total=round(sum(points.values()), 2),
            submitted_on=on,
            entered_by=who.subject,
        )
        stage = self.stage
        by_member = {**self.sheets.of(stage), member.member_id: sheet}
        self.sheets = self.sheets.model_copy(update={stage.value: by_member})
        if self.status is DossierStatus.AT_PROVINCE:
            self.status = DossierStatus.IN_COUNCIL
        self._note(HistoryEntry.of(f"sheet_{stage.value}", who, on, member.member_id))
        return sheet

    def ensure_proposed(self) -> None:
        if self.status is not DossierStatus.PROPOSED_NATIONAL:
            raise IllegalMove(self.status, ", not proposed")

    def to_central_council(self, central_round: Round, who: Principal, on: date) -> None:
        """The Ministry puts a proposed dossier before an open central round's council."""
        self.ensure_proposed()
        central_round.ensure_central()
        central_round.ensure_open()
        self.status = DossierStatus.IN_CENTRAL_COUNCIL
        self.central_round_id = central_round.id
        self._note(HistoryEntry.of("to_central_council", who, on))

    # --- decisions ---------------------------------------------------------------------------

    def ensure_decidable(self) -> RatingLevel:
        """The level of the council that decides now; 409 when there is nothing to decide."""
        if self.status is DossierStatus.IN_COUNCIL:
            return RatingLevel.PROVINCE
        if self.status is DossierStatus.IN_CENTRAL_COUNCIL:
            return RatingLevel.CENTRAL
        raise IllegalMove(self.status, ": nothing to decide")

    def decided(self, outcome: Outcome, who: Principal, on: date) -> None:
        """A council's decision recorded: proposed for 5★, decided, or (a central 3–4★)
        waiting for the province's certificate."""
        level = self.ensure_decidable()
        if level is RatingLevel.PROVINCE:
            self.result = outcome
            proposed = bool(outcome.proposed_for_national)
            self.status = DossierStatus.PROPOSED_NATIONAL if proposed else DossierStatus.DECIDED
        else:
            self.central_result = outcome
            waits = outcome.awaits_province_certificate
            self.status = (
                DossierStatus.AWAITING_PROVINCE_CERTIFICATION if waits else DossierStatus.DECIDED
            )
        self._note(HistoryEntry.of(f"decided_{level.value}", who, on, outcome.decision_ref))

    def central_result_to_certify(self) -> Outcome:
        if self.status is not DossierStatus.AWAITING_PROVINCE_CERTIFICATION:
            raise IllegalMove(self.status, ": nothing to certify")
        assert self.central_result is not None  # set when it started waiting
        return self.central_result

    def certified(self, certificate_id: str, decision_ref: str, who: Principal, on: date) -> None:
        """The province's certificate on the central result (QĐ 26 Art. 7.4)."""
        central = self.central_result_to_certify()
        self.result = central.model_copy(
            update={"certificate_id": certificate_id, "decision_ref": decision_ref}
        )
        self.status = DossierStatus.DECIDED
        self._note(HistoryEntry.of("certified", who, on, decision_ref))

    def _note(self, entry: HistoryEntry) -> None:
        self.history = [*self.history, entry]
        self.touch()


def _with_evidence(
    line: SelfAssessmentLine, criterion_id: str, evidence: list[str]
) -> SelfAssessmentLine:
    if line.criterion_id != criterion_id:
        return line
    return line.model_copy(update={"evidence": [*line.evidence, *evidence]})
