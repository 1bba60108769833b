"""HTTP API of evaluation: rule sets, rounds and councils, dossiers, sheets, decisions,
certificates, the next-star report, and the development clock."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel

from ocop_contracts import RatingLevel
from ocop_evaluation.adapters.clock import StoredClock
from ocop_evaluation.adapters.repository import ROUNDS
from ocop_evaluation.domain.calendar import vietnam_calendar
from ocop_evaluation.domain.dossiers import SelfAssessmentLine
from ocop_evaluation.domain.rules import rule_set, rule_set_in_force, rule_sets
from ocop_evaluation.domain.scoring import NextStar
from ocop_evaluation.service_layer.access import (
    EVALUATORS,
    FILERS,
    INTAKE,
    SCORERS,
    product_scope,
)
from ocop_evaluation.service_layer.commands import (
    CommuneCheck,
    CouncilRulesBody,
    CreateDossier,
    CreateRound,
    Decide,
    EvidenceRequest,
    EvidenceResponse,
    ForwardCentral,
    ImportCertificate,
    RecordRating,
    Revoke,
    SetClock,
    SetCouncil,
    SubmitSheet,
)
from ocop_evaluation.service_layer.dossiers import DossierService
from ocop_evaluation.service_layer.services import EvaluationService
from ocop_platform.auth import CurrentPrincipal, Principal, Role, require_roles
from ocop_platform.errors import NotFound
from ocop_platform.identity import ensure_may_read
from ocop_platform.mongo import Document


def _service(request: Request) -> EvaluationService:
    service: EvaluationService = request.app.state.evaluation
    return service


def _dossiers(request: Request) -> DossierService:
    service: DossierService = request.app.state.dossiers
    return service


def _clock(request: Request) -> StoredClock:
    clock: StoredClock = request.app.state.clock
    return clock


ServiceDep = Annotated[EvaluationService, Depends(_service)]
Dossiers = Annotated[DossierService, Depends(_dossiers)]
ClockDep = Annotated[StoredClock, Depends(_clock)]
# Roles a route accepts; the service then checks the record is within the caller's scope.
Evaluator = Annotated[Principal, Depends(require_roles(*EVALUATORS))]
CommuneOrProvince = Annotated[Principal, Depends(require_roles(*INTAKE))]
Filer = Annotated[Principal, Depends(require_roles(*FILERS))]
Scorer = Annotated[Principal, Depends(require_roles(*SCORERS))]
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]

_INTERNAL = {"outbox", "applied", "version"}


def _public(doc: Document, id_name: str) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if k not in _INTERNAL and k != "_id"}
    return {id_name: doc["_id"], **out}


class RatingPublic(BaseModel):
    event_id: str
    product_id: str
    score: float
    stars: int
    previous_stars: int
    level: RatingLevel
    rule_set_id: str
    rated_on: date


router = APIRouter(tags=["evaluation"])


# --- rule sets --------------------------------------------------------------------------------


@router.get("/rule-sets", summary="Every rule set, oldest first (without rubrics)")
async def list_rule_sets() -> list[dict[str, Any]]:
    return [r.model_dump(mode="json", exclude={"rubrics"}) for r in rule_sets()]


@router.get("/rule-sets/in-force", summary="The rule set in force on a date")
async def in_force(on: date) -> dict[str, Any]:
    try:
        rules = rule_set_in_force(on)
    except ValueError as exc:
        raise NotFound(str(exc), field="on") from exc
    return rules.model_dump(mode="json", exclude={"rubrics"})


@router.get("/rule-sets/{rule_set_id}", summary="A rule set with its criterion rubrics")
async def get_rule_set(rule_set_id: str) -> dict[str, Any]:
    rules = rule_set(rule_set_id)
    if rules is None:
        raise NotFound(f"no rule set {rule_set_id}", field="rule_set_id")
    return rules.model_dump(mode="json")


@router.get("/calendar/working-days", summary="The date N working days after a date")
async def working_days(start: date, days: int = Query(default=15, ge=0, le=365)) -> dict[str, Any]:
    calendar = vietnam_calendar()
    end = calendar.add_working_days(start, days)
    return {
        "start": start,
        "working_days": days,
        "due_on": end,
        "holidays_verified_for_years": calendar.covers(start.year) and calendar.covers(end.year),
    }


# --- ratings (direct) -----------------------------------------------------------------------


@router.post(
    "/ratings",
    status_code=status.HTTP_201_CREATED,
    response_model=RatingPublic,
    summary="Record a council's final result (historical ratings; no dossier)",
)
async def record_rating(body: RecordRating, service: ServiceDep, who: Evaluator) -> RatingPublic:
    event = await service.record_rating(body, who)
    return RatingPublic(event_id=str(event.event_id), **event.model_dump(include=_RATING))


_RATING = {"product_id", "score", "stars", "previous_stars", "level", "rule_set_id", "rated_on"}


# --- council rules and rounds ----------------------------------------------------------------


@router.put("/council-rules/{province_code}", summary="A province's quorum and allowed spread")
async def put_council_rules(
    province_code: str, body: CouncilRulesBody, dossiers: Dossiers, who: Evaluator
) -> dict[str, Any]:
    return await dossiers.set_council_rules(province_code, body, who)


@router.get("/council-rules/{province_code}")
async def get_council_rules(
    province_code: str, dossiers: Dossiers, who: CurrentPrincipal
) -> dict[str, Any]:
    return {
        "province_code": province_code,
        **(await dossiers.council_rules(province_code)).__dict__,
    }


@router.post("/rounds", status_code=status.HTTP_201_CREATED, summary="Open an evaluation round")
async def create_round(body: CreateRound, dossiers: Dossiers, who: Evaluator) -> dict[str, Any]:
    return _public(await dossiers.create_round(body, who), "round_id")


@router.get("/rounds", summary="Rounds of a province (or central ones) and year")
async def list_rounds(
    dossiers: Dossiers,
    who: CurrentPrincipal,
    province_code: str | None = None,
    year: int | None = None,
) -> list[dict[str, Any]]:
    query: Document = {"province_code": province_code}
    if year is not None:
        query["year"] = year
    docs = await dossiers.repo.find(ROUNDS, query, sort="proposals_due")
    return [_public(d, "round_id") for d in docs]


@router.get("/rounds/{round_id}")
async def get_round(round_id: str, dossiers: Dossiers, who: CurrentPrincipal) -> dict[str, Any]:
    return _public(await dossiers.round(round_id), "round_id")


@router.put("/rounds/{round_id}/council", summary="Set the council: members and roles")
async def set_council(
    round_id: str, body: SetCouncil, dossiers: Dossiers, who: Evaluator
) -> dict[str, Any]:
    return _public(await dossiers.set_council(round_id, body, who), "round_id")


@router.post("/rounds/{round_id}/close", summary="Close a round: no more sheets or decisions")
async def close_round(round_id: str, dossiers: Dossiers, who: Evaluator) -> dict[str, Any]:
    return _public(await dossiers.close_round(round_id, who), "round_id")


# --- dossiers -------------------------------------------------------------------------------


@router.post(
    "/dossiers",
    status_code=status.HTTP_201_CREATED,
    summary="File a dossier at the commune (Form 01 + Form 02 self-assessment)",
)
async def create_dossier(body: CreateDossier, dossiers: Dossiers, who: Filer) -> dict[str, Any]:
    return _public(await dossiers.create_dossier(body, who), "dossier_id")


@router.get(
    "/dossiers",
    summary="Dossiers of a round or of a product (those the caller may read: a producer its own, "
    "a commune officer its communes', an office its province's, the Ministry all)",
)
async def list_dossiers(
    dossiers: Dossiers,
    who: CurrentPrincipal,
    round_id: str | None = None,
    product_id: str | None = None,
    status_is: Annotated[str | None, Query(alias="status")] = None,
) -> list[dict[str, Any]]:
    query: Document = {}
    if round_id:
        query["round_id"] = round_id
    if product_id:
        query["product_id"] = product_id
    if status_is:
        query["status"] = status_is
    if not query:
        raise NotFound("give round_id or product_id", field="round_id")
    docs = await dossiers.readable_dossiers(query, who)
    return [_public(d, "dossier_id") for d in docs]


@router.get("/dossiers/{dossier_id}", summary="A dossier (403 outside the caller's scope)")
async def get_dossier(dossier_id: str, dossiers: Dossiers, who: CurrentPrincipal) -> dict[str, Any]:
    return _public(await dossiers.readable(dossier_id, who), "dossier_id")


@router.post("/dossiers/{dossier_id}/commune-check", summary="Commune: forward or return")
async def commune_check(
    dossier_id: str, body: CommuneCheck, dossiers: Dossiers, who: CommuneOrProvince
) -> dict[str, Any]:
    return _public(await dossiers.commune_check(dossier_id, body, who), "dossier_id")


@router.put("/dossiers/{dossier_id}/self-assessment", summary="Resubmit a returned dossier")
async def resubmit(
    dossier_id: str,
    body: Annotated[list[SelfAssessmentLine], Body(max_length=200)],
    dossiers: Dossiers,
    who: Filer,
) -> dict[str, Any]:
    return _public(await dossiers.resubmit(dossier_id, body, who), "dossier_id")


@router.post(
    "/dossiers/{dossier_id}/evidence-requests",
    status_code=status.HTTP_201_CREATED,
    summary="Ask the producer to update evidence (province or commune)",
)
async def request_evidence(
    dossier_id: str, body: EvidenceRequest, dossiers: Dossiers, who: CommuneOrProvince
) -> dict[str, Any]:
    return _public(await dossiers.request_evidence(dossier_id, body, who), "dossier_id")


@router.post(
    "/dossiers/{dossier_id}/evidence-requests/{request_id}/response",
    summary="Answer an evidence request with new evidence references",
)
async def answer_evidence(
    dossier_id: str, request_id: str, body: EvidenceResponse, dossiers: Dossiers, who: Filer
) -> dict[str, Any]:
    return _public(await dossiers.answer_evidence(dossier_id, request_id, body, who), "dossier_id")


@router.put(
    "/dossiers/{dossier_id}/sheets/{member_id}",
    summary="A council member's score sheet (by the member, or entered by the secretary)",
)
async def submit_sheet(
    dossier_id: str, member_id: str, body: SubmitSheet, dossiers: Dossiers, who: Scorer
) -> dict[str, Any]:
    return await dossiers.submit_sheet(dossier_id, member_id, body, who)


@router.get(
    "/dossiers/{dossier_id}/result",
    summary="The council's result so far: average, spread, quorum, per-member drill-down",
)
async def council_result(
    dossier_id: str, dossiers: Dossiers, who: CurrentPrincipal
) -> dict[str, Any]:
    await dossiers.readable(dossier_id, who)
    doc, rnd, result = await dossiers.result(dossier_id)
    stage = "central" if doc.get("central_round_id") else "province"
    return {
        "dossier_id": doc["_id"],
        "round_id": rnd["_id"],
        "stage": stage,
        "status": doc["status"],
        "average": result.average,
        "spread": result.spread,
        "members_total": result.members_total,
        "members_scored": result.members_scored,
        "quorum_met": result.quorum_met,
        "chair_scored": result.chair_scored,
        "needs_rescoring": result.needs_rescoring,
        "problems": result.problems,
        "criterion_average": result.criterion_average,
        "sheets": list(doc["sheets"][stage].values()),
    }


@router.post("/dossiers/{dossier_id}/decision", summary="Decide the council's result")
async def decide(
    dossier_id: str, body: Decide, dossiers: Dossiers, who: Evaluator
) -> dict[str, Any]:
    return _public(await dossiers.decide(dossier_id, body, who), "dossier_id")


@router.post("/dossiers/{dossier_id}/central-round", summary="Ministry: put a proposal in a round")
async def forward_central(
    dossier_id: str, body: ForwardCentral, dossiers: Dossiers, who: Evaluator
) -> dict[str, Any]:
    return _public(await dossiers.forward_central(dossier_id, body, who), "dossier_id")


# --- products and certificates ----------------------------------------------------------------


def _next_star_body(product: Document, gap: NextStar) -> dict[str, Any]:
    return {
        "product_id": product["_id"],
        "product_name": product.get("name"),
        "score": gap.score,
        "current_stars": gap.current_stars,
        "next_stars": gap.next_stars,
        "points_needed": gap.points_needed,
        "decided_by": gap.decided_by,
        "unmet_minima": [u.__dict__ for u in gap.unmet_minima],
        "lifts": [lift.__dict__ for lift in gap.lifts],
        "rule_set_id": product["latest_sheet"]["rule_set_id"],
    }


@router.get(
    "/products/{product_id}/next-star",
    summary="What stands between a product and its next star (from its latest council sheet)",
)
async def next_star(product_id: str, service: ServiceDep, who: CurrentPrincipal) -> dict[str, Any]:
    known = await service.repo.get_product(product_id)
    if known is not None:  # criterion-level results: the producer's, its units' and the Ministry's
        ensure_may_read(who, product_scope(known))
    product, gap = await service.next_star(product_id)
    return _next_star_body(product, gap)


@router.get("/products/{product_id}/evaluation", summary="Stars, rating and certificates")
async def product_evaluation(
    product_id: str, service: ServiceDep, who: CurrentPrincipal
) -> dict[str, Any]:
    product = await service.repo.get_product(product_id)
    if product is None:
        raise NotFound(f"product {product_id} is not known here", field="product_id")
    keep = ("name", "province_code", "scoring_set_code", "stars", "score", "level")
    return {
        "product_id": product["_id"],
        **{k: product.get(k) for k in keep},
        "rule_set_id": product.get("rule_set_id"),
        "rated_on": product.get("rated_on"),
        "certificate": product.get("certificate"),
        "past_certificates": product.get("past_certificates", []),
    }


@router.post(
    "/certificates",
    status_code=status.HTTP_201_CREATED,
    summary="Record a certificate issued before the platform, so renewal and expiry run here",
)
async def import_certificate(
    body: ImportCertificate, service: ServiceDep, who: Evaluator
) -> dict[str, Any]:
    return {"product_id": body.product_id, **await service.import_certificate(body, who)}


@router.get("/certificates/{certificate_id}", summary="Public look-up: is the certificate valid?")
async def get_certificate(certificate_id: str, service: ServiceDep) -> dict[str, Any]:
    product, cert = await service.certificate(certificate_id)
    return {"product_id": product["_id"], "product_name": product.get("name"), **cert}


@router.post(
    "/certificates/{certificate_id}/revocation",
    summary="Revoke a certificate on a QĐ 26 Art. 8 ground",
)
async def revoke(
    certificate_id: str, body: Revoke, service: ServiceDep, who: Evaluator
) -> dict[str, Any]:
    return await service.revoke(certificate_id, body, who)


# --- development clock and scheduler ---------------------------------------------------------


admin = APIRouter(prefix="/admin", tags=["admin"])


def _controllable(clock: StoredClock) -> None:
    if not clock.controlled:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="the clock is real in production")


@admin.get("/clock", summary="Today as evaluation sees it")
async def get_clock(clock: ClockDep, who: CurrentPrincipal) -> dict[str, Any]:
    return {"today": await clock.today(), "controllable": clock.controlled}


@admin.put("/clock", summary="Move the clock (development and test only; refused in production)")
async def set_clock(body: SetClock, clock: ClockDep, who: Admin) -> dict[str, Any]:
    _controllable(clock)
    return {"today": await clock.set(body.today), "controllable": True}


@admin.delete("/clock", summary="Back to the real date (or OCOP_CLOCK)")
async def reset_clock(clock: ClockDep, who: Admin) -> dict[str, Any]:
    _controllable(clock)
    return {"today": await clock.set(None), "controllable": True}


@admin.post("/scheduler/run", summary="Run the certificate scheduler now for today's date")
async def run_scheduler(service: ServiceDep, clock: ClockDep, who: Admin) -> dict[str, Any]:
    today = await clock.today()
    return {"today": today, **await service.run_scheduler(today)}
