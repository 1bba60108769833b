"""Reporting use cases: record facts from events, hold targets, compute progress."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Protocol
from uuid import UUID

from pydantic import ValidationError

from ocop_contracts import ProductRated, ProductRegistered, TargetUpdated
from ocop_contracts.reference import is_current_province, is_legacy_province
from ocop_platform.errors import Conflict, DomainError
from ocop_platform.logging import trace_fields
from ocop_reporting.domain.commands import SetTarget
from ocop_reporting.domain.progress import DERIVED_METRICS, Progress, Target, progress_of

SERVICE = "reporting"
_MAX_CONFLICT_RETRIES = 3


class ReportingRepository(Protocol):
    async def record_rating(self, event: ProductRated) -> bool: ...
    async def record_product(self, event: ProductRegistered) -> bool: ...
    async def current_target_version(self, target_id: str) -> int: ...
    async def has_ingested(self, target_id: str, source_event_id: str) -> bool: ...
    async def save_target(self, event: TargetUpdated, source_event_id: str | None) -> bool: ...
    async def targets(self, province_code: str, year: int) -> list[Target]: ...
    async def derived_actual(self, target: Target) -> int: ...
    async def rating_count(self, province_code: str, year: int) -> int: ...


class ReportingService:
    def __init__(self, repository: ReportingRepository, events_written: Callable[[], None]) -> None:
        self._repo = repository
        self._events_written = events_written

    async def on_product_rated(self, event: ProductRated) -> None:
        await self._repo.record_rating(event)

    async def on_product_registered(self, event: ProductRegistered) -> None:
        await self._repo.record_product(event)

    async def on_target_ingested(self, event: TargetUpdated) -> None:
        """A province system's target: validate like an API call, then re-emit canonically."""
        await self.set_target(_as_command(event), correlation_id=event.correlation_id)

    async def set_target(
        self, cmd: SetTarget, correlation_id: UUID | None = None
    ) -> TargetUpdated | None:
        """Returns the canonical event, or None for a province message already applied."""
        if not (is_current_province(cmd.province_code) or is_legacy_province(cmd.province_code)):
            raise DomainError(f"unknown province code {cmd.province_code}", field="province_code")
        for _ in range(_MAX_CONFLICT_RETRIES):
            if cmd.source_event_id and await self._repo.has_ingested(
                cmd.target_id, cmd.source_event_id
            ):
                return None
            version = await self._repo.current_target_version(cmd.target_id) + 1
            event = _target_event(cmd, version, correlation_id)
            if await self._repo.save_target(event, cmd.source_event_id):
                self._events_written()
                return event
        raise Conflict("the target keeps changing concurrently; retry", field="target_id")

    async def ratings_counted(self, province_code: str, year: int) -> int:
        """How many rating events of the province and year the read model holds."""
        return await self._repo.rating_count(province_code, year)

    async def progress(self, province_code: str, year: int, today: date) -> list[Progress]:
        result = []
        for target in await self._repo.targets(province_code, year):
            actual = (
                await self._repo.derived_actual(target)
                if target.metric in DERIVED_METRICS
                else None
            )
            result.append(progress_of(target, actual, today))
        return result


def _target_event(cmd: SetTarget, version: int, correlation_id: UUID | None) -> TargetUpdated:
    fields = {k: v for k, v in vars(cmd).items() if k != "source_event_id"}
    extra: dict[str, Any] = trace_fields()
    if correlation_id:
        extra["correlation_id"] = correlation_id
    try:
        return TargetUpdated(
            producer=SERVICE,
            aggregate_id=cmd.target_id,
            aggregate_version=version,
            **fields,
            **extra,
        )
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in err["loc"]) or None
        raise DomainError(err["msg"], field=field) from exc


def _as_command(event: TargetUpdated) -> SetTarget:
    return SetTarget(
        target_id=event.target_id,
        province_code=event.province_code,
        plan_ref=event.plan_ref,
        label=event.label,
        metric=event.metric,
        year_from=event.year_from,
        year_to=event.year_to,
        unit=event.unit,
        minimum=event.minimum,
        maximum=event.maximum,
        base=event.base,
        min_stars=event.min_stars,
        commune_code=event.commune_code,
        source_event_id=str(event.event_id),
    )
