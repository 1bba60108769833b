"""Commands of the evaluation use cases (also the HTTP request bodies)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from ocop_contracts import RatingLevel
from ocop_contracts.reference import normalize_vi
from ocop_contracts.vocabulary import RevocationGround

Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Ref = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RecordRating(_Command):
    """A council's final result recorded directly (historical ratings, the walking skeleton)."""

    product_id: str = Field(min_length=1, max_length=64)
    score: float = Field(ge=0, le=100, description="Council average, 0–100 points.")
    level: RatingLevel = RatingLevel.PROVINCE
    rated_on: date
    round_id: str | None = Field(default=None, max_length=64)


class RoundKind(StrEnum):
    FIRST_HALF = "first_half"  # proposals by 30 Apr, results by 30 Jun (central: 30 Jan / 30 Mar)
    SECOND_HALF = "second_half"  # proposals by 30 Oct, results by 30 Dec (central: 30 Jul / 30 Sep)
    EXTRA = "extra"  # an extra round the council rules allow; give the dates


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


class CouncilRole(StrEnum):
    CHAIR = "chair"
    VICE_CHAIR = "vice_chair"
    MEMBER = "member"
    SECRETARY = "secretary"


class CouncilMember(_Command):
    member_id: str = Field(
        min_length=1,
        max_length=128,
        pattern=r"^[^.$]+$",
        description="The member's user id (the token subject); no '.' or '$'.",
    )
    name: str = Field(min_length=1, max_length=300)
    role: CouncilRole = CouncilRole.MEMBER
    organisation: str | None = Field(default=None, max_length=300)

    @field_validator("name", "organisation")
    @classmethod
    def _nfc(cls, value: str | None) -> str | None:
        return None if value is None else normalize_vi(value)


class SetCouncil(_Command):
    members: list[CouncilMember] = Field(min_length=1, max_length=50)


class CouncilRulesBody(_Command):
    quorum_ratio: float = Field(default=0.75, gt=0, le=1)
    chair_required: bool = True
    max_spread: float = Field(default=10.0, ge=0, le=100)


class AttemptType(StrEnum):
    FIRST = "first"
    UPGRADE = "upgrade"
    RE_EVALUATION = "re_evaluation"


class SelfAssessmentLine(_Command):
    criterion_id: str = Field(min_length=1, max_length=32)
    option_id: str | None = Field(default=None, max_length=64)
    points: float | None = Field(default=None, ge=0)
    evidence: list[Ref] = Field(default_factory=list, max_length=50)


class Registration(_Command):
    """Form 01 (QĐ 26 Appendix III)."""

    applicant_name: str = Field(min_length=1, max_length=300)
    representative_name: str = Field(min_length=1, max_length=300)
    representative_sex: str | None = Field(default=None, max_length=20)
    representative_ethnicity: str | None = Field(default=None, max_length=100)
    samples: int = Field(default=5, ge=0, le=50)
    contact: str | None = Field(default=None, max_length=300)

    @field_validator("applicant_name", "representative_name")
    @classmethod
    def _nfc(cls, value: str) -> str:
        return normalize_vi(value)


class CreateDossier(_Command):
    product_id: str = Field(min_length=1, max_length=64)
    round_id: str = Field(min_length=1, max_length=64)
    attempt_type: AttemptType = AttemptType.FIRST
    registration: Registration
    self_assessment: list[SelfAssessmentLine] = Field(default_factory=list, max_length=200)


class CommuneDecision(StrEnum):
    FORWARD = "forward"
    RETURN = "return"


class CommuneCheck(_Command):
    decision: CommuneDecision
    reasons: list[Text] = Field(default_factory=list, max_length=50)
    local_raw_material: bool | None = None
    local_labour: bool | None = None
    local_idea_origin: bool | None = None
    local_identity: bool | None = None


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
