"""What producers and communes file: Form 01 (registration), Form 02 (the self-assessment, scored
against the rubric) and the commune's findings. Request bodies and stored values alike."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from ocop_contracts.reference import normalize_vi
from ocop_evaluation.domain.rules import Rubric
from ocop_evaluation.domain.scoring import SheetEntry, score_sheet
from ocop_platform.errors import DomainError

Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Ref = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class AttemptType(StrEnum):
    FIRST = "first"
    UPGRADE = "upgrade"
    RE_EVALUATION = "re_evaluation"


class CommuneDecision(StrEnum):
    FORWARD = "forward"
    RETURN = "return"


class _Form(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Registration(_Form):
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


class SelfAssessmentLine(_Form):
    """A line of Form 02; once assessed, ``points`` are the criterion's points."""

    criterion_id: str = Field(min_length=1, max_length=32)
    option_id: str | None = Field(default=None, max_length=64)
    points: float | None = Field(default=None, ge=0)
    evidence: list[Ref] = Field(default_factory=list, max_length=50)


class CommuneFindings(_Form):
    decision: CommuneDecision
    reasons: list[Text] = Field(default_factory=list, max_length=50)
    local_raw_material: bool | None = None
    local_labour: bool | None = None
    local_idea_origin: bool | None = None
    local_identity: bool | None = None


def assess(
    rubric: Rubric | None, lines: Sequence[SelfAssessmentLine]
) -> tuple[list[SelfAssessmentLine], float | None]:
    """Form 02 scored against the rubric: the lines with their points, and the total."""
    if not lines:
        return [], None
    if rubric is None:
        raise DomainError(
            "no criterion rubric is shipped for this product's scoring set under the "
            "round's rule set; file the dossier without a self-assessment",
            field="self_assessment",
        )
    entries = [SheetEntry(x.criterion_id, x.option_id, x.points) for x in lines]
    points = score_sheet(rubric, entries, field_prefix="self_assessment")
    scored = [x.model_copy(update={"points": points[x.criterion_id]}) for x in lines]
    return scored, round(sum(points.values()), 2)
