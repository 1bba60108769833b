"""Dossiers and their council's result."""

from __future__ import annotations

from pydantic import BaseModel

from ocop_evaluation.domain.dossiers import Dossier, DossierRecord, DossierStatus, Sheet, Stage
from ocop_evaluation.service_layer.dossiers import Standing


class _DossierId(BaseModel):
    dossier_id: str


class DossierView(DossierRecord, _DossierId):
    """A dossier: its id, then its state (what has not happened yet is left out)."""

    @classmethod
    def of(cls, dossier: Dossier) -> DossierView:
        return cls(dossier_id=dossier.id, **dossier.model_dump(exclude={"id", "version"}))


class CouncilResultView(BaseModel):
    dossier_id: str
    round_id: str
    stage: Stage
    status: DossierStatus
    average: float
    spread: float
    members_total: int
    members_scored: int
    quorum_met: bool
    chair_scored: bool
    needs_rescoring: bool
    problems: list[str]
    criterion_average: dict[str, float]
    sheets: list[Sheet]

    @classmethod
    def of(cls, standing: Standing) -> CouncilResultView:
        dossier, result = standing.dossier, standing.result
        stage = Stage.CENTRAL if dossier.central_round_id else Stage.PROVINCE
        return cls(
            dossier_id=dossier.id,
            round_id=standing.round.id,
            stage=stage,
            status=dossier.status,
            average=result.average,
            spread=result.spread,
            members_total=result.members_total,
            members_scored=result.members_scored,
            quorum_met=result.quorum_met,
            chair_scored=result.chair_scored,
            needs_rescoring=result.needs_rescoring,
            problems=result.problems,
            criterion_average=result.criterion_average,
            sheets=list(dossier.sheets.of(stage).values()),
        )
