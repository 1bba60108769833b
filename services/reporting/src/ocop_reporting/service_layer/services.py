"""Reporting use cases: record facts from events, hold targets and activity reports, compute
progress and the other reports."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import date
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from ocop_contracts import Event, TargetMetric, TargetUnit, TargetUpdated
from ocop_contracts.clock import SYSTEM_CLOCK, Clock
from ocop_contracts.events.reporting import ActivityReported
from ocop_platform.errors import Conflict, DomainError
from ocop_platform.identity import Principal
from ocop_platform.logging import trace_fields
from ocop_reporting.domain.commands import ReportActivity, SetTarget
from ocop_reporting.domain.figures import Metrics, Overview, TrendPoint
from ocop_reporting.domain.knowledge import View, knowledge_cut
from ocop_reporting.domain.progress import (
    DERIVED_METRICS,
    PRODUCER_METRICS,
    REPORTED_METRICS,
    NationalProgress,
    Progress,
    Target,
    progress_of,
)
from ocop_reporting.domain.units import Edition, Unit, edition_on, target_edition, unit
from ocop_reporting.service_layer.access import ensure_may_plan
from ocop_reporting.service_layer.ports import Projections, ReportQueries, TargetStore

SERVICE = "reporting"
_MAX_CONFLICT_RETRIES = 3


class ReportingService:
    def __init__(
        self,
        targets: TargetStore,
        projections: Projections,
        queries: ReportQueries,
        events_written: Callable[[], None],
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._targets = targets
        self._projections = projections
        self._queries = queries
        self._events_written = events_written
        self._clock = clock

    def today(self) -> date:
        """Today's business date (Vietnam): the default day of every report."""
        return self._clock.today()

    # --- facts ---------------------------------------------------------------------------------

    @property
    def projected_types(self) -> Sequence[type[Event]]:
        """Every event type a read model is derived from (what the consumers subscribe to)."""
        return self._projections.event_types

    def facts_batch(self, events: Sequence[Event]) -> AbstractAsyncContextManager[None]:
        """Wraps the handling of a consumer batch of facts (its `prefetch` hook): the summary
        writes of its events are written once per document at its end, before its commit."""
        return self._projections.batch()

    async def on_fact(self, event: Event) -> None:
        """An event of another service, written into the read model it feeds. A province
        unknown on the event's day is a DomainError: the consumer dead-letters the event."""
        await self._projections.apply(event)

    # --- targets -------------------------------------------------------------------------------

    async def on_target_ingested(self, event: TargetUpdated) -> None:
        """A province system's target: validate like an API call, then re-emit canonically."""
        await self.set_target(_as_command(event), correlation_id=event.correlation_id)

    async def set_target(
        self,
        cmd: SetTarget,
        correlation_id: UUID | None = None,
        *,
        by: Principal | None = None,
    ) -> TargetUpdated | None:
        """Returns the canonical event, or None for a province message already applied.

        ``by``: the caller of the API, who must cover the target's province and, when the target
        exists, the province it was set for (a province cannot take over another's target)."""
        edition = _edition_of(cmd)
        _check_target(cmd)
        if by is not None:
            ensure_may_plan(by, unit(cmd.province_code, edition))
            if (current := await self._targets.target_unit(cmd.target_id)) is not None:
                ensure_may_plan(by, current)
        for _ in range(_MAX_CONFLICT_RETRIES):
            if cmd.source_event_id and await self._targets.has_ingested(
                cmd.target_id, cmd.source_event_id
            ):
                return None
            version = await self._targets.current_target_version(cmd.target_id) + 1
            event = _target_event(cmd, edition, version, correlation_id)
            if await self._targets.save_target(event, cmd.source_event_id):
                self._events_written()
                return event
        raise Conflict("the target keeps changing concurrently; retry", field="target_id")

    # --- activity reports ----------------------------------------------------------------------

    async def report_activity(
        self, cmd: ReportActivity, *, by: Principal | None = None
    ) -> ActivityReported:
        """``by``: the caller, who must cover the report's province (and the existing report's)."""
        if cmd.metric in DERIVED_METRICS:
            raise DomainError(
                f"{cmd.metric.value} is derived from the events of the other services; "
                f"report one of: {', '.join(sorted(m.value for m in REPORTED_METRICS))}",
                field="metric",
            )
        stated: Edition | None = cmd.province_edition  # type: ignore[assignment]
        edition: Edition = stated or edition_on(cmd.occurred_on)
        where = unit(cmd.province_code, edition)  # DomainError (province_code) for none
        if by is not None:
            ensure_may_plan(by, where)
            if (current := await self._targets.report_unit(cmd.report_id)) is not None:
                ensure_may_plan(by, current)
        for _ in range(_MAX_CONFLICT_RETRIES):
            version = await self._targets.current_report_version(cmd.report_id) + 1
            event = _report_event(cmd, edition, version)
            if await self._targets.save_report(event):
                self._events_written()
                return event
        raise Conflict("the report keeps changing concurrently; retry", field="report_id")

    # --- reports -------------------------------------------------------------------------------

    async def ratings_counted(self, where: Unit, year: int) -> int:
        """How many rating events of the unit and year the read model holds."""
        return await self._queries.rating_count(where, year)

    async def progress(
        self,
        where: Unit,
        year: int | None,
        today: date,
        as_of: date | None = None,
        view: View = View.AS_KNOWN,
    ) -> list[Progress]:
        """Targets as they stood on `as_of` (a plan typed in later shows as first entered: the
        yardstick, not a fact), against the facts of `view` (domain.knowledge)."""
        targets = await self._targets.targets(where, year, as_of)
        actuals = await self._actuals(targets, as_of, knowledge_cut(as_of, view))
        return [progress_of(t, actuals[t.target_id], as_of or today) for t in targets]

    async def _actuals(
        self, targets: list[Target], as_of: date | None, cut: date | None
    ) -> dict[str, float | None]:
        """Derived targets from the read models; the others from the activities reported."""
        derived = [t for t in targets if t.metric in DERIVED_METRICS]
        actuals = await self._queries.derived_actuals(derived, as_of, cut)
        return await self._reported_actuals(targets, as_of, cut, actuals)

    async def _reported_actuals(
        self, targets: list[Target], as_of: date | None, cut: date | None, derived: dict[str, int]
    ) -> dict[str, float | None]:
        """The derived actuals given, with the others from the activities reported."""
        found: dict[str, float | None] = dict(derived)
        for target in targets:
            if target.metric not in DERIVED_METRICS:
                found[target.target_id] = await self._reported(target, as_of, cut)
        return found

    async def _reported(self, target: Target, as_of: date | None, cut: date | None) -> float | None:
        reports = await self._targets.activity_reports(target, as_of or target.last_day, cut)
        if not reports:
            return None
        return sum(r.quantity for r in reports)

    async def national(
        self, year: int, today: date, as_of: date | None, view: View = View.AS_KNOWN
    ) -> NationalProgress:
        """Progress of every target covering `year`, by the current province it rolls up to,
        and the new ≥3★ products of `year` per current province (the summaries read once)."""
        targets = await self._targets.targets_of_year(year, as_of)
        cut = knowledge_cut(as_of, view)
        derived = [t for t in targets if t.metric in DERIVED_METRICS]
        figures = await self._queries.national_figures(year, derived, as_of, cut)
        actuals = await self._reported_actuals(targets, as_of, cut, figures.actuals)
        by_province: dict[str, list[Progress]] = {}
        for target in targets:
            row = progress_of(target, actuals[target.target_id], as_of or today)
            by_province.setdefault(target.current_code, []).append(row)
        return NationalProgress(by_province=by_province, new_certified=figures.new_certified)

    async def national_valid_certified(self, day: date, cut: date | None) -> dict[str, int]:
        """Products holding a certificate valid on `day` as known on `cut`, per province."""
        return await self._queries.national_valid_certified(day, cut)

    async def overview(self, where: Unit, year: int, as_of: date, cut: date | None) -> Overview:
        """Star mix, sectors and communes of the products certified on `as_of` (a certificate
        valid that day) as known on `cut`, producer mix, trend and expiring certificates."""
        certified = list((await self._queries.certified_products(where, as_of, cut)).values())
        stars = Counter(r.stars for r in certified)
        sectors = Counter(r.sector or "?" for r in certified)
        communes = Counter(r.commune_code or "?" for r in certified)
        years = list(range(year - 4, year + 1))
        expiring = await self._queries.expiring_certificates(where, as_of, cut)
        names = await self._queries.product_names(where, [e.product_id for e in expiring])
        trend = await self._queries.new_certified_by_year(where, years)
        return Overview(
            star_mix={str(s): stars.get(s, 0) for s in range(3, 6)},
            certified_products=len(certified),
            by_sector=dict(sorted(sectors.items())),
            by_commune=dict(sorted(communes.items())),
            trend=[TrendPoint(year=y, new_certified=n) for y, n in trend.items()],
            producer_mix=await self._queries.producer_mix(where, as_of),
            expiring_certificates=[
                replace(e, product_name=names.get(e.product_id, "")) for e in expiring
            ],
        )

    async def metrics(self) -> Metrics:
        """Ratings by province and stars, targets by province, documents per read model."""
        return Metrics(
            rated_products=await self._queries.ratings_by_province(self.today().year),
            targets=await self._targets.targets_by_province(),
            read_model_documents=await self._queries.fact_counts(),
            old_unit_unknown=await self._queries.old_unit_unknown_counts(),
        )


def _edition_of(cmd: SetTarget) -> Edition:
    if cmd.province_edition not in (None, "2008", "2025"):
        raise DomainError("province_edition is 2008 or 2025", field="province_edition")
    stated: Edition | None = cmd.province_edition  # type: ignore[assignment]
    edition = target_edition(cmd.province_code, cmd.year_to, stated)
    unit(cmd.province_code, edition)  # DomainError(province_code) for an unknown unit
    return edition


def _check_target(cmd: SetTarget) -> None:
    """Rules beyond the contract's field checks."""
    if cmd.unit is TargetUnit.PER_MONTH and (cmd.period_start is None or cmd.period_end is None):
        raise DomainError(
            "a per_month rate needs a period: give period_start and period_end "
            "(the months it is counted over)",
            field="period_start" if cmd.period_start is None else "period_end",
        )
    if cmd.period_start and cmd.period_end and cmd.period_end < cmd.period_start:
        raise DomainError("period_end is before period_start", field="period_end")
    for name in ("period_start", "period_end"):
        day = getattr(cmd, name)
        if day is not None and not cmd.year_from <= day.year <= cmd.year_to:
            raise DomainError(
                f"{name} {day.isoformat()} is outside the years {cmd.year_from}–{cmd.year_to}",
                field=name,
            )
    _check_narrowing(cmd)
    if (cmd.minimum is not None and cmd.minimum < 0) or (
        cmd.maximum is not None and cmd.maximum < 0
    ):
        raise DomainError("a target cannot be negative", field="minimum")


def _check_narrowing(cmd: SetTarget) -> None:
    """`from_stars` and `legal_forms` narrow only the metrics they are about."""
    if cmd.from_stars is not None:
        if cmd.metric is not TargetMetric.UPGRADED_PRODUCTS:
            raise DomainError("from_stars applies to upgraded_products only", field="from_stars")
        if cmd.from_stars >= (cmd.min_stars or 4):
            raise DomainError("from_stars must be below min_stars (3★→4★)", field="from_stars")
    if cmd.legal_forms and cmd.metric not in PRODUCER_METRICS:
        names = ", ".join(sorted(m.value for m in PRODUCER_METRICS))
        raise DomainError(f"legal_forms applies to {names} only", field="legal_forms")


def _domain_error(exc: ValidationError) -> DomainError:
    err = exc.errors(include_url=False)[0]
    field = ".".join(str(p) for p in err["loc"]) or None
    return DomainError(err["msg"], field=field)


def _target_event(
    cmd: SetTarget, edition: Edition, version: int, correlation_id: UUID | None
) -> TargetUpdated:
    fields = {k: v for k, v in vars(cmd).items() if k != "source_event_id"}
    fields["province_edition"] = edition
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
        raise _domain_error(exc) from exc


def _report_event(cmd: ReportActivity, edition: Edition, version: int) -> ActivityReported:
    try:
        return ActivityReported(
            producer=SERVICE,
            aggregate_id=cmd.report_id,
            aggregate_version=version,
            **{**vars(cmd), "province_edition": edition},
            **trace_fields(),
        )
    except ValidationError as exc:
        raise _domain_error(exc) from exc


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
        province_edition=event.province_edition,
        period_start=event.period_start,
        period_end=event.period_end,
        district_name=event.district_name,
        commune_codes=event.commune_codes,
        from_stars=event.from_stars,
        legal_forms=tuple(f.value for f in event.legal_forms),
        source_event_id=str(event.event_id),
    )
