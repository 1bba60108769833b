"""Council rules and rounds: open a round, set its council, close it."""

from __future__ import annotations

from fastapi import APIRouter, status

from ocop_evaluation.entrypoints.api.deps import Evaluator, RoundsDep
from ocop_evaluation.entrypoints.api.schemas.rounds import CouncilRulesView, RoundView
from ocop_evaluation.service_layer.commands import CouncilRulesBody, CreateRound, SetCouncil
from ocop_platform.auth import CurrentPrincipal

router = APIRouter(tags=["rounds"])


@router.put(
    "/council-rules/{province_code}",
    response_model=CouncilRulesView,
    summary="A province's quorum and allowed spread",
)
async def put_council_rules(
    province_code: str, body: CouncilRulesBody, rounds: RoundsDep, who: Evaluator
) -> CouncilRulesView:
    rules = await rounds.set_council_rules(province_code, body, who)
    return CouncilRulesView.of(province_code, rules)


@router.get("/council-rules/{province_code}", response_model=CouncilRulesView)
async def get_council_rules(
    province_code: str, rounds: RoundsDep, who: CurrentPrincipal
) -> CouncilRulesView:
    return CouncilRulesView.of(province_code, await rounds.council_rules(province_code))


@router.post(
    "/rounds",
    status_code=status.HTTP_201_CREATED,
    response_model=RoundView,
    summary="Open an evaluation round",
)
async def create_round(body: CreateRound, rounds: RoundsDep, who: Evaluator) -> RoundView:
    return RoundView.of(await rounds.create_round(body, who))


@router.get(
    "/rounds",
    response_model=list[RoundView],
    summary="Rounds of a province (or central ones) and year",
)
async def list_rounds(
    rounds: RoundsDep,
    who: CurrentPrincipal,
    province_code: str | None = None,
    year: int | None = None,
) -> list[RoundView]:
    return [RoundView.of(rnd) for rnd in await rounds.rounds(province_code, year)]


@router.get("/rounds/{round_id}", response_model=RoundView)
async def get_round(round_id: str, rounds: RoundsDep, who: CurrentPrincipal) -> RoundView:
    return RoundView.of(await rounds.round(round_id))


@router.put(
    "/rounds/{round_id}/council",
    response_model=RoundView,
    summary="Set the council: members and roles",
)
async def set_council(
    round_id: str, body: SetCouncil, rounds: RoundsDep, who: Evaluator
) -> RoundView:
    return RoundView.of(await rounds.set_council(round_id, body, who))


@router.post(
    "/rounds/{round_id}/close",
    response_model=RoundView,
    summary="Close a round: no more sheets or decisions",
)
async def close_round(round_id: str, rounds: RoundsDep, who: Evaluator) -> RoundView:
    return RoundView.of(await rounds.close_round(round_id, who))
