"""The development clock and the certificate scheduler (administrators)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from ocop_evaluation.adapters.clock import StoredClock
from ocop_evaluation.entrypoints.api.deps import Admin, CertificatesDep, ClockDep
from ocop_evaluation.entrypoints.api.schemas.admin import ClockView, SchedulerRun
from ocop_evaluation.service_layer.commands import SetClock
from ocop_evaluation.service_layer.scheduler import BATCH
from ocop_platform.auth import CurrentPrincipal

router = APIRouter(prefix="/admin", tags=["admin"])


def _controllable(clock: StoredClock) -> None:
    if not clock.controlled:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="the clock is real in production")


@router.get("/clock", response_model=ClockView, summary="Today as evaluation sees it")
async def get_clock(clock: ClockDep, who: CurrentPrincipal) -> ClockView:
    return ClockView(today=await clock.today(), controllable=clock.controlled)


@router.put(
    "/clock",
    response_model=ClockView,
    summary="Move the clock (development and test only; refused in production)",
)
async def set_clock(body: SetClock, clock: ClockDep, who: Admin) -> ClockView:
    _controllable(clock)
    return ClockView(today=await clock.set(body.today), controllable=True)


@router.delete("/clock", response_model=ClockView, summary="Back to the real date (or OCOP_CLOCK)")
async def reset_clock(clock: ClockDep, who: Admin) -> ClockView:
    _controllable(clock)
    return ClockView(today=await clock.set(None), controllable=True)


@router.post(
    "/scheduler/run",
    response_model=SchedulerRun,
    summary="Run the certificate scheduler now for today's date, one batch",
)
async def run_scheduler(
    certificates: CertificatesDep,
    clock: ClockDep,
    who: Admin,
    limit: Annotated[int, Query(ge=1, le=500)] = BATCH,
) -> SchedulerRun:
    """Announces what is due today for up to `limit` certificates, oldest due day first, so the
    answer comes within the request deadline; `more` says products due today are left: call
    again (the background scheduler also takes them on its next run)."""
    today = await clock.today()
    batch = await certificates.scheduler_batch(today, limit)
    return SchedulerRun(today=today, looked_at=batch.looked_at, more=batch.more, **batch.counts())
