"""Dossiers: filing, the commune's check, the evidence loop, sheets, result and decisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, status

from ocop_evaluation.domain.dossiers import Sheet
from ocop_evaluation.domain.forms import SelfAssessmentLine
from ocop_evaluation.entrypoints.api.deps import (
    CommuneOrProvince,
    DecisionsDep,
    DossiersDep,
    Evaluator,
    Filer,
    Scorer,
)
from ocop_evaluation.entrypoints.api.schemas.dossiers import CouncilResultView, DossierView
from ocop_evaluation.service_layer.commands import (
    CommuneCheck,
    CreateDossier,
    Decide,
    EvidenceRequest,
    EvidenceResponse,
    ForwardCentral,
    SubmitSheet,
)
from ocop_platform.auth import CurrentPrincipal

router = APIRouter(prefix="/dossiers", tags=["dossiers"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DossierView,
    summary="File a dossier at the commune (Form 01 + Form 02 self-assessment)",
)
async def create_dossier(body: CreateDossier, dossiers: DossiersDep, who: Filer) -> DossierView:
    return DossierView.of(await dossiers.file(body, who))


@router.get(
    "",
    response_model=list[DossierView],
    summary="Dossiers of a round or of a product (those the caller may read: a producer its own, "
    "a commune officer its communes', an office its province's, the Ministry all)",
)
async def list_dossiers(
    dossiers: DossiersDep,
    who: CurrentPrincipal,
    round_id: str | None = None,
    product_id: str | None = None,
    status_is: Annotated[str | None, Query(alias="status")] = None,
) -> list[DossierView]:
    found = await dossiers.readable_dossiers(
        who, round_id=round_id, product_id=product_id, status=status_is
    )
    return [DossierView.of(dossier) for dossier in found]


@router.get(
    "/{dossier_id}",
    response_model=DossierView,
    summary="A dossier (403 outside the caller's scope)",
)
async def get_dossier(dossier_id: str, dossiers: DossiersDep, who: CurrentPrincipal) -> DossierView:
    return DossierView.of(await dossiers.readable(dossier_id, who))


@router.post(
    "/{dossier_id}/commune-check",
    response_model=DossierView,
    summary="Commune: forward or return",
)
async def commune_check(
    dossier_id: str, body: CommuneCheck, dossiers: DossiersDep, who: CommuneOrProvince
) -> DossierView:
    return DossierView.of(await dossiers.commune_check(dossier_id, body, who))


@router.put(
    "/{dossier_id}/self-assessment",
    response_model=DossierView,
    summary="Resubmit a returned dossier",
)
async def resubmit(
    dossier_id: str,
    body: Annotated[list[SelfAssessmentLine], Body(max_length=200)],
    dossiers: DossiersDep,
    who: Filer,
) -> DossierView:
    return DossierView.of(await dossiers.resubmit(dossier_id, body, who))


@router.post(
    "/{dossier_id}/evidence-requests",
    status_code=status.HTTP_201_CREATED,
    response_model=DossierView,
    summary="Ask the producer to update evidence (province or commune)",
)
async def request_evidence(
    dossier_id: str, body: EvidenceRequest, dossiers: DossiersDep, who: CommuneOrProvince
) -> DossierView:
    return DossierView.of(await dossiers.request_evidence(dossier_id, body, who))


@router.post(
    "/{dossier_id}/evidence-requests/{request_id}/response",
    response_model=DossierView,
    summary="Answer an evidence request with new evidence references",
)
async def answer_evidence(
    dossier_id: str, request_id: str, body: EvidenceResponse, dossiers: DossiersDep, who: Filer
) -> DossierView:
    return DossierView.of(await dossiers.answer_evidence(dossier_id, request_id, body, who))


@router.put(
    "/{dossier_id}/sheets/{member_id}",
    response_model=Sheet,
    summary="A council member's score sheet (by the member, or entered by the secretary)",
)
async def submit_sheet(
    dossier_id: str, member_id: str, body: SubmitSheet, dossiers: DossiersDep, who: Scorer
) -> Sheet:
    return await dossiers.submit_sheet(dossier_id, member_id, body, who)


@router.get(
    "/{dossier_id}/result",
    response_model=CouncilResultView,
    summary="The council's result so far: average, spread, quorum, per-member drill-down",
)
async def council_result(
    dossier_id: str, dossiers: DossiersDep, who: CurrentPrincipal
) -> CouncilResultView:
    return CouncilResultView.of(await dossiers.standing(dossier_id, who))


@router.post(
    "/{dossier_id}/decision",
    response_model=DossierView,
    summary="Decide the council's result",
)
async def decide(
    dossier_id: str, body: Decide, decisions: DecisionsDep, who: Evaluator
) -> DossierView:
    return DossierView.of(await decisions.decide(dossier_id, body, who))


@router.post(
    "/{dossier_id}/central-round",
    response_model=DossierView,
    summary="Ministry: put a proposal in a round",
)
async def forward_central(
    dossier_id: str, body: ForwardCentral, dossiers: DossiersDep, who: Evaluator
) -> DossierView:
    return DossierView.of(await dossiers.forward_central(dossier_id, body, who))
