"""Reporting use cases: record facts from events, hold targets and activity reports, compute
progress and the other reports."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, Protocol
from uuid import UUID

from pydantic import ValidationError

from ocop_contracts import ProductRated, ProductRegistered, TargetUnit, TargetUpdated
from ocop_contracts.clock import SYSTEM_CLOCK, Clock
from ocop_contracts.events.evaluation import (
    CertificateExpired,
    CertificateIssued,
    CertificateRevoked,
    ProductProposedForNational,
)
from ocop_contracts.events.promotion import (
    FairScheduled,
    ProductShowcased,
    PromotionActivityRecorded,
)
from ocop_contracts.events.registry import (
    EntityRegistered,
    EntityUpdated,
    ProductUpdated,
    ProductWithdrawn,
)
from ocop_contracts.events.reporting import ActivityReported
from ocop_platform.errors import Conflict, DomainError
from ocop_platform.identity import Principal
from ocop_platform.logging import trace_fields
from ocop_reporting.domain.commands import ReportActivity, SetTarget
from ocop_reporting.domain.progress import (
    DERIVED_METRICS,
    REPORTED_METRICS,
    Progress,
    Target,
    progress_of,
)
from ocop_reporting.domain.units import Edition, Unit, target_edition, unit
from ocop_reporting.service_layer.access import ensure_may_plan

SERVICE = "reporting"
_MAX_CONFLICT_RETRIES = 3


class ReportingRepository(Protocol):
    async def record_rating(self, event: ProductRated) -> bool: ...
    async def record_product(self, event: ProductRegistered | ProductUpdated) -> bool: ...
    async def current_target_version(self, target_id: str) -> int: ...
    async def target_unit(self, target_id: str) -> Unit | None: ...
    async def has_ingested(self, target_id: str, source_event_id: str) -> bool: ...
    async def save_target(self, event: TargetUpdated, source_event_id: str | None) -> bool: ...
    async def targets(
        self, where: Unit, year: int | None, as_of: date | None = None
    ) -> list[Target]: ...
    async def derived_actual(self, target: Target, as_of: date | None = None) -> int: ...
    async def rating_count(self, where: Unit, year: int) -> int: ...


class ReportingService:
    def __init__(
        self,
        repository: ReportingRepository,
        events_written: Callable[[], None],
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._repo = repository
        self._events_written = events_written
        self._clock = clock

    def today(self) -> date:
        """Today's business date (Vietnam): the default day of every report."""
        return self._clock.today()

    @property
    def repository(self) -> Any:
        return self._repo

    # --- facts ---------------------------------------------------------------------------------

    async def on_product_rated(self, event: ProductRated) -> None:
        await self._fact(self._repo.record_rating, event)

    async def on_product_registered(self, event: ProductRegistered | ProductUpdated) -> None:
        await self._fact(self._repo.record_product, event)

    async def on_fact(self, event: Any) -> None:
        """Every other consumed event, routed to the read model it feeds."""
        repo: Any = self._repo
        handlers: dict[type[Any], Callable[[Any], Awaitable[bool]]] = {
            EntityRegistered: repo.record_entity,
            EntityUpdated: repo.record_entity,
            ProductWithdrawn: repo.record_withdrawal,
            ProductProposedForNational: repo.record_proposal,
            CertificateIssued: repo.record_certificate,
            CertificateExpired: repo.end_certificate,
            CertificateRevoked: repo.end_certificate,
            FairScheduled: repo.record_fair,
            ProductShowcased: repo.record_showcase,
            PromotionActivityRecorded: repo.record_activity,
        }
        await self._fact(handlers[type(event)], event)

    async def _fact(self, record: Callable[[Any], Awaitable[bool]], event: Any) -> None:
        from ocop_reporting.adapters.repository import UnknownUnit

        try:
            await record(event)
        except UnknownUnit as exc:
            raise DomainError(str(exc), field="province_code") from exc

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
            if (current := await self._repo.target_unit(cmd.target_id)) is not None:
                ensure_may_plan(by, current)
        for _ in range(_MAX_CONFLICT_RETRIES):
            if cmd.source_event_id and await self._repo.has_ingested(
                cmd.target_id, cmd.source_event_id
            ):
                return None
            version = await self._repo.current_target_version(cmd.target_id) + 1
            event = _target_event(cmd, edition, version, correlation_id)
            if await self._repo.save_target(event, cmd.source_event_id):
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
        edition: Edition = stated or ("2025" if cmd.occurred_on >= date(2025, 7, 1) else "2008")
        where = unit(cmd.province_code, edition)
        repo: Any = self._repo
        if by is not None:
            ensure_may_plan(by, where)
            if (current := await repo.report_unit(cmd.report_id)) is not None:
                ensure_may_plan(by, current)
        for _ in range(_MAX_CONFLICT_RETRIES):
            version = await repo.current_report_version(cmd.report_id) + 1
            try:
                event = ActivityReported(
                    producer=SERVICE,
                    aggregate_id=cmd.report_id,
                    aggregate_version=version,
                    **{**vars(cmd), "province_edition": edition},
                    **trace_fields(),
                )
            except ValidationError as exc:
                raise _domain_error(exc) from exc
            if await repo.save_report(event):
                self._events_written()
                return event
        raise Conflict("the report keeps changing concurrently; retry", field="report_id")

    # --- reports -------------------------------------------------------------------------------

    async def ratings_counted(self, where: Unit, year: int) -> int:
        """How many rating events of the unit and year the read model holds."""
        return await self._repo.rating_count(where, year)

    async def progress(
        self, where: Unit, year: int | None, today: date, as_of: date | None = None
    ) -> list[Progress]:
        targets = await self._repo.targets(where, year, as_of)
        actuals = await self._actuals(targets, as_of)
        return [progress_of(t, actuals[t.target_id], as_of or today) for t in targets]

    async def _actuals(self, targets: list[Target], as_of: date | None) -> dict[str, float | None]:
        repo: Any = self._repo
        derived = [t for t in targets if t.metric in DERIVED_METRICS]
        found: dict[str, float | None] = dict(await repo.derived_actuals(derived, as_of))
        for target in targets:
            if target.metric not in DERIVED_METRICS:
                found[target.target_id] = await self._actual(target, as_of)
        return found

    async def national(
        self, year: int, today: date, as_of: date | None
    ) -> dict[str, list[Progress]]:
        """Progress of every target covering `year`, by the current province it rolls up to."""
        repo: Any = self._repo
        by_province: dict[str, list[Progress]] = {}
        targets = await repo.targets_of_year(year, as_of)
        actuals = await self._actuals(targets, as_of)
        for target in targets:
            row = progress_of(target, actuals[target.target_id], as_of or today)
            by_province.setdefault(target.current_code, []).append(row)
        return by_province

    async def _actual(self, target: Target, as_of: date | None) -> float | None:
        if target.metric in DERIVED_METRICS:
            return await self._repo.derived_actual(target, as_of)
        repo: Any = self._repo
        reports = await repo.activity_reports(target, as_of or target.last_day)
        if not reports:
            return None
        return float(sum(r["quantity"] for r in reports))

    async def evidence(self, target: Target, as_of: date | None) -> list[dict[str, Any]]:
        repo: Any = self._repo
        reports = await repo.activity_reports(target, as_of or target.last_day)
        return [
            {k: r.get(k) for k in ("report_id", "quantity", "day", "evidence", "note")}
            for r in reports
        ]

    async def overview(self, where: Unit, year: int, as_of: date) -> dict[str, Any]:
        """Star mix, sectors, communes, producer mix, trend and expiring certificates."""
        repo: Any = self._repo
        latest = await repo.latest_stars(where, as_of)
        certified = [d for d in latest.values() if d["stars"] >= 3]
        stars = Counter(int(d["stars"]) for d in latest.values())
        sectors = Counter(d.get("sector") or "?" for d in certified)
        communes = Counter(d.get("commune_code") or "?" for d in certified)
        years = list(range(year - 4, year + 1))
        expiring = await repo.expiring_certificates(where, as_of)
        names = await repo.product_names(where, [e["product_id"] for e in expiring])
        for entry in expiring:
            entry["product_name"] = names.get(entry["product_id"], "")
        return {
            "star_mix": {str(s): stars.get(s, 0) for s in range(1, 6)},
            "certified_products": len(certified),
            "by_sector": dict(sorted(sectors.items())),
            "by_commune": dict(sorted(communes.items())),
            "trend": [
                {"year": y, "new_certified": n}
                for y, n in (await repo.new_certified_by_year(where, years)).items()
            ],
            "producer_mix": await repo.producer_mix(where, as_of),
            "expiring_certificates": expiring,
        }


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
    if (cmd.minimum is not None and cmd.minimum < 0) or (
        cmd.maximum is not None and cmd.maximum < 0
    ):
        raise DomainError("a target cannot be negative", field="minimum")


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
        source_event_id=str(event.event_id),
    )
