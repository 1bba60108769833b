"""Commands of the evaluation use cases (also the HTTP request bodies). The values a dossier or
a round keeps (Form 01 and 02 lines, council members, the commune's findings) are the domain's."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from ocop_contracts import RatingLevel
from ocop_contracts.vocabulary import RevocationGround
from ocop_evaluation.domain.forms import (
    AttemptType,
    CommuneFindings,
    Ref,
    Registration,
    SelfAssessmentLine,
    Text,
)
from ocop_evaluation.domain.rounds import CouncilMember, RoundKind


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RecordRating(_Command):
    """A council's final result recorded directly (historical ratings, the walking skeleton)."""

    product_id: str = Field(min_length=1, max_length=64)
    score: float = Field(ge=0, le=100, description="Council average, 0–100 points.")
    level: RatingLevel = RatingLevel.PROVINCE
    rated_on: date
    round_id: str | None = Field(default=None, max_length=64)


class CreateRound(_Command):
    level: RatingLevel = RatingLevel.PROVINCE
    province_code: str | None = Field(
        default=None, pattern=r"^\d{2}$", description="Required for province rounds."
    )
    year: int = Field(ge=2019, le=2100)
    kind: RoundKind = RoundKind.FIRST_HALF
    name: str | None = Field(default=None, max_length=300)
    proposals_due: date | None = None
    results_due: date | None = None


class SetCouncil(_Command):
    members: list[CouncilMember] = Field(min_length=1, max_length=50)


class CouncilRulesBody(_Command):
    quorum_ratio: float = Field(default=0.75, gt=0, le=1)
    chair_required: bool = True
    max_spread: float = Field(default=10.0, ge=0, le=100)


class CreateDossier(_Command):
    product_id: str = Field(min_length=1, max_length=64)
    round_id: str = Field(min_length=1, max_length=64)
    attempt_type: AttemptType = AttemptType.FIRST
    registration: Registration
    self_assessment: list[SelfAssessmentLine] = Field(default_factory=list, max_length=200)


class CommuneCheck(CommuneFindings):
    """The commune's check: forward the dossier to the province, or return it with reasons."""


class EvidenceRequest(_Command):
    criterion_id: str | None = Field(default=None, max_length=32)
    message: Text


class EvidenceResponse(_Command):
    evidence: list[Ref] = Field(min_length=1, max_length=50)
    note: str | None = Field(default=None, max_length=2000)


class SheetLine(_Command):
    criterion_id: str = Field(min_length=1, max_length=32)
    option_id: str | None = Field(default=None, max_length=64)
    points: float | None = Field(default=None, ge=0)


class SubmitSheet(_Command):
    entries: list[SheetLine] = Field(min_length=1, max_length=200)


class Decide(_Command):
    decision_ref: str = Field(min_length=1, max_length=100, description="e.g. 1234/QĐ-UBND")
    decided_on: date | None = Field(default=None, description="Defaults to today.")


class ForwardCentral(_Command):
    round_id: str = Field(min_length=1, max_length=64)


class ImportCertificate(_Command):
    """A certificate issued before the platform (paper), so renewal and expiry run here too."""

    product_id: str = Field(min_length=1, max_length=64)
    certificate_id: str = Field(min_length=1, max_length=64)
    stars: int = Field(ge=3, le=5)
    decision_ref: str = Field(min_length=1, max_length=100)
    issued_on: date


class Revoke(_Command):
    ground: RevocationGround
    decision_ref: str = Field(min_length=1, max_length=100)
    revoked_on: date | None = None
    details: str = Field(default="", max_length=2000)


class SetClock(_Command):
    today: date
