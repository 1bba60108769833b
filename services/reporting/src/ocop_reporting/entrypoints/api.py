"""HTTP API of reporting: targets and activity reports in; progress, overview, national figures,
exports (CSV/XLSX), OpenMetrics and the dashboard out."""

from __future__ import annotations

import html
import json
from datetime import date
from importlib import resources
from typing import Annotated, Any, Literal
from uuid import uuid4

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from ocop_contracts import TargetMetric, TargetUnit
from ocop_contracts.reference import current_provinces, legacy_provinces
from ocop_platform.auth import Principal, require_roles
from ocop_platform.errors import DomainError
from ocop_reporting.adapters.exports import to_csv, to_xlsx
from ocop_reporting.domain.commands import ReportActivity, SetTarget
from ocop_reporting.domain.progress import REACHED, Progress, Standing
from ocop_reporting.domain.units import Unit, merged_from, report_edition, unit
from ocop_reporting.service_layer.access import PLANNERS
from ocop_reporting.service_layer.services import ReportingService


def _service(request: Request) -> ReportingService:
    service: ReportingService = request.app.state.reporting
    return service


ServiceDep = Annotated[ReportingService, Depends(_service)]
Planner = Annotated[Principal, Depends(require_roles(*PLANNERS))]
ProvinceQuery = Annotated[str, Query(pattern=r"^\d{2}$", examples=["82"])]
YearQuery = Annotated[int, Query(ge=2018, le=2100, examples=[2026])]
AsOfQuery = Annotated[
    date | None, Query(description="Report as it stood at the end of this day (default: now).")
]
EditionQuery = Annotated[
    Literal["2008", "2025"] | None,
    Query(
        description="Which units province_code means: 2008 (63 provinces, before 1 July 2025) or "
        "2025 (34). Default: the edition that knows the code, else 2008 for years before 2025."
    ),
]


class TargetCreate(BaseModel):
    target_id: str | None = Field(default=None, max_length=128, description="Omit to create one.")
    province_code: str = Field(pattern=r"^\d{2}$")
    province_edition: Literal["2008", "2025"] | None = Field(
        default=None, description="Edition of province_code; default inferred from the period."
    )
    plan_ref: str = Field(max_length=200, examples=["122/KH-UBND"])
    label: str = Field(min_length=1, max_length=500)
    metric: TargetMetric
    unit: TargetUnit = TargetUnit.COUNT
    year_from: int = Field(ge=2018, le=2100)
    year_to: int = Field(ge=2018, le=2100)
    minimum: float | None = Field(default=None, ge=0)
    maximum: float | None = Field(default=None, ge=0)
    base: float | None = Field(default=None, gt=0)
    min_stars: int | None = Field(default=None, ge=3, le=5)
    commune_code: str | None = Field(default=None, pattern=r"^\d{5}$")
    period_start: date | None = None
    period_end: date | None = None
    district_name: str | None = Field(default=None, max_length=200)
    commune_codes: tuple[Annotated[str, Field(pattern=r"^\d{5}$")], ...] = Field(
        default=(), max_length=500, description="Count only these communes (a former district)."
    )


class TargetPublic(BaseModel):
    target_id: str
    version: int


class ActivityCreate(BaseModel):
    report_id: str | None = Field(default=None, max_length=128, description="Omit to create one.")
    province_code: str = Field(pattern=r"^\d{2}$")
    province_edition: Literal["2008", "2025"] | None = None
    metric: TargetMetric = Field(description="A metric no other event derives, e.g. people_trained")
    quantity: float = Field(ge=0)
    occurred_on: date
    evidence: str = Field(min_length=1, max_length=2000, examples=["Quyết định 12/QĐ-SNN"])
    commune_code: str | None = Field(default=None, pattern=r"^\d{5}$")
    note: str = Field(default="", max_length=2000)


class ActivityPublic(BaseModel):
    report_id: str
    version: int


class ProgressPublic(BaseModel):
    target_id: str
    plan_ref: str
    label: str
    metric: TargetMetric
    unit: TargetUnit
    province_code: str = Field(description="The unit that issued the plan.")
    province_edition: str
    province_name: str
    commune_code: str | None
    district_name: str | None
    year_from: int
    year_to: int
    minimum: float | None
    maximum: float | None
    base: float | None
    actual: int | float | None = Field(description="Count; percent of base; or items per month.")
    count: int | float | None = Field(description="What was counted, before a percent or rate.")
    percent: float | None = Field(description="Of the goal (the minimum, else the maximum).")
    expected_by_now: float | None
    standing: str = Field(
        description="attained (goal reached), exceeded (above the maximum: beyond the range), "
        "on_track, behind, not_met (the period is over, the goal not reached), not_derived "
        "(no figure yet)."
    )
    derived: bool = Field(description="From events (true) or from reported activities (false).")


class UnitPublic(BaseModel):
    code: str
    edition: str
    name: str
    current_code: str
    merged_from: list[str] = Field(description="Old units (2008 codes) rolled up into it.")


class ProgressReport(BaseModel):
    province_code: str
    year: int
    as_of: str
    unit: UnitPublic
    ratings_counted: int = Field(description="Rating events of this unit and year received.")
    targets: list[ProgressPublic]


class OverviewReport(BaseModel):
    province_code: str
    year: int
    as_of: str
    unit: UnitPublic
    star_mix: dict[str, int] = Field(description="Products by their latest stars (1–5).")
    certified_products: int
    by_sector: dict[str, int]
    by_commune: dict[str, int]
    trend: list[dict[str, int]]
    producer_mix: dict[str, Any]
    expiring_certificates: list[dict[str, Any]]


class NationalRow(BaseModel):
    province_code: str
    name: str
    new_certified: int
    targets: int
    attained: int = Field(description="Goal reached, including above the range (exceeded).")
    behind: int
    not_met: int = Field(description="Period over, goal not reached.")


class NationalReport(BaseModel):
    year: int
    as_of: str
    provinces: list[NationalRow]


router = APIRouter(tags=["reporting"])


@router.post("/targets", status_code=status.HTTP_201_CREATED, response_model=TargetPublic)
async def set_target(body: TargetCreate, service: ServiceDep, who: Planner) -> TargetPublic:
    """Set or change a target (same target_id: the next version). 422 names the field; 403 when
    the token does not cover the target's province (or, for a change, the province it was set
    for)."""
    fields = body.model_dump()
    fields["target_id"] = body.target_id or f"tgt-{uuid4().hex[:12]}"
    event = await service.set_target(SetTarget(**fields), by=who)
    assert event is not None  # only province messages can be repeats
    return TargetPublic(target_id=event.target_id, version=event.aggregate_version)


@router.post("/activities", status_code=status.HTTP_201_CREATED, response_model=ActivityPublic)
async def report_activity(
    body: ActivityCreate, service: ServiceDep, who: Planner
) -> ActivityPublic:
    """Report an activity no event derives (training, traceability, tourism villages…), with its
    evidence; it counts towards targets of the same metric, unit and period. 403 outside the
    token's province (as for targets)."""
    fields = body.model_dump()
    fields["report_id"] = body.report_id or f"act-{uuid4().hex[:12]}"
    event = await service.report_activity(ReportActivity(**fields), by=who)
    return ActivityPublic(report_id=event.report_id, version=event.aggregate_version)


def _unit(province_code: str, year: int, edition: str | None) -> Unit:
    stated: Any = edition
    return unit(province_code, report_edition(province_code, year, stated))


def _unit_public(where: Unit) -> UnitPublic:
    olds = [u.code for u in merged_from(where.code)] if where.edition == "2025" else []
    return UnitPublic(
        code=where.code,
        edition=where.edition,
        name=where.name,
        current_code=where.current_code,
        merged_from=olds,
    )


async def progress_report(
    service: ReportingService, province_code: str, year: int, as_of: date | None, edition: Any
) -> ProgressReport:
    where = _unit(province_code, year, edition)
    today = service.today()
    rows = await service.progress(where, year, today, as_of)
    return ProgressReport(
        province_code=province_code,
        year=year,
        as_of=(as_of or today).isoformat(),
        unit=_unit_public(where),
        ratings_counted=await service.ratings_counted(where, year),
        targets=[_public(p) for p in rows],
    )


@router.get("/reports/progress", response_model=ProgressReport)
async def progress(
    service: ServiceDep,
    province_code: ProvinceQuery,
    year: YearQuery,
    as_of: AsOfQuery = None,
    edition: EditionQuery = None,
) -> ProgressReport:
    """Every target of the unit covering `year`: actual, % of goal, standing. For a 2025 province
    the plans of the old provinces merged into it are listed too, each counted in its own unit."""
    return await progress_report(service, province_code, year, as_of, edition)


async def overview_report(
    service: ReportingService, province_code: str, year: int, as_of: date | None, edition: Any
) -> OverviewReport:
    where = _unit(province_code, year, edition)
    day = as_of or min(service.today(), date(year, 12, 31))
    figures = await service.overview(where, year, day)
    return OverviewReport(
        province_code=province_code,
        year=year,
        as_of=day.isoformat(),
        unit=_unit_public(where),
        **figures,
    )


@router.get("/reports/overview", response_model=OverviewReport)
async def overview(
    service: ServiceDep,
    province_code: ProvinceQuery,
    year: YearQuery,
    as_of: AsOfQuery = None,
    edition: EditionQuery = None,
) -> OverviewReport:
    """Star mix, sectors, communes, producer mix, a five-year trend and certificates expiring in
    the six months after `as_of` (default: today, or 31 December of a past year)."""
    return await overview_report(service, province_code, year, as_of, edition)


async def national_report(
    service: ReportingService, year: int, as_of: date | None
) -> NationalReport:
    repo: Any = service.repository
    certified = await repo.national_certified(year)
    today = service.today()
    by_province = await service.national(year, today, as_of)
    rows = []
    for code, province in current_provinces().items():
        progress = by_province.get(code, [])
        standings = [p.standing for p in progress]
        rows.append(
            NationalRow(
                province_code=code,
                name=province.name,
                new_certified=certified.get(code, 0),
                targets=len(progress),
                attained=sum(s in REACHED for s in standings),
                behind=standings.count(Standing.BEHIND),
                not_met=standings.count(Standing.NOT_MET),
            )
        )
    return NationalReport(year=year, as_of=(as_of or today).isoformat(), provinces=rows)


@router.get("/reports/national", response_model=NationalReport)
async def national(service: ServiceDep, year: YearQuery, as_of: AsOfQuery = None) -> NationalReport:
    """The Ministry's view: every current province, old units rolled up."""
    return await national_report(service, year, as_of)


ReportName = Literal["progress", "overview", "national"]


@router.get("/exports/{report}.{fmt}", response_class=Response)
async def export(
    service: ServiceDep,
    report: ReportName,
    fmt: Literal["csv", "xlsx"],
    year: YearQuery,
    province_code: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    as_of: AsOfQuery = None,
    edition: EditionQuery = None,
) -> Response:
    """Any report as CSV (UTF-8 with BOM) or XLSX: the same figures as the JSON API."""
    if report != "national" and province_code is None:
        raise DomainError("province_code is required for this report", field="province_code")
    rows = await _table(service, report, province_code or "", year, as_of, edition)
    name = f"ocop-{report}-{province_code + '-' if province_code else ''}{year}"
    if fmt == "csv":
        body, media = to_csv(rows), "text/csv; charset=utf-8"
    else:
        body = to_xlsx(rows, sheet=report)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = f'attachment; filename="{name}.{fmt}"'
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


PROGRESS_COLUMNS = (
    "target_id",
    "plan_ref",
    "province_code",
    "province_edition",
    "province_name",
    "label",
    "metric",
    "unit",
    "year_from",
    "year_to",
    "minimum",
    "maximum",
    "actual",
    "percent",
    "standing",
)


async def _table(
    service: ReportingService,
    report: str,
    province_code: str,
    year: int,
    as_of: date | None,
    edition: Any,
) -> list[list[Any]]:
    if report == "progress":
        prog = await progress_report(service, province_code, year, as_of, edition)
        rows = [t.model_dump(mode="json") for t in prog.targets]
        return [list(PROGRESS_COLUMNS), *([r[c] for c in PROGRESS_COLUMNS] for r in rows)]
    if report == "national":
        nat = await national_report(service, year, as_of)
        columns = list(NationalRow.model_fields)
        return [columns, *([getattr(r, c) for c in columns] for r in nat.provinces)]
    ov = await overview_report(service, province_code, year, as_of, edition)
    table: list[list[Any]] = [["section", "key", "value"]]
    table += [["star_mix", k, v] for k, v in ov.star_mix.items()]
    table += [["by_sector", k, v] for k, v in ov.by_sector.items()]
    table += [["by_commune", k, v] for k, v in ov.by_commune.items()]
    table += [["trend", str(t["year"]), t["new_certified"]] for t in ov.trend]
    mix = ov.producer_mix
    table += [["producer_mix", k, v] for k, v in mix["by_legal_form"].items()]
    table += [["producer_mix", k, mix[k]] for k in ("total", "women_led", "ethnic_minority_led")]
    table += [
        ["expiring_certificate", c["certificate_id"], c["valid_until"]]
        for c in ov.expiring_certificates
    ]
    return table


@router.get("/metrics", response_class=Response, tags=["operations"])
async def metrics(service: ServiceDep) -> Response:
    """Headline figures in the OpenMetrics text format (for Prometheus)."""
    repo: Any = service.repository
    lines = [
        "# TYPE ocop_rated_products_total counter",
        "# HELP ocop_rated_products_total Ratings at 3-5 stars received, by current province.",
    ]
    for (province, stars), n in sorted((await repo.ratings_by_province()).items()):
        lines.append(f'ocop_rated_products_total{{province="{province}",stars="{stars}"}} {n}')
    targets = await repo.all_targets()
    lines += [
        "# TYPE ocop_targets gauge",
        "# HELP ocop_targets Targets held, by current province.",
    ]
    per_province: dict[str, int] = {}
    for t in targets:
        per_province[t.current_code] = per_province.get(t.current_code, 0) + 1
    lines += [f'ocop_targets{{province="{p}"}} {n}' for p, n in sorted(per_province.items())]
    lines += ["# TYPE ocop_read_model_documents gauge"]
    for name, n in (await repo.fact_counts()).items():
        lines.append(f'ocop_read_model_documents{{collection="{name}"}} {n}')
    lines.append("# EOF")
    return Response(
        "\n".join(lines) + "\n",
        media_type="application/openmetrics-text; version=1.0.0; charset=utf-8",
    )


def _public(p: Progress) -> ProgressPublic:
    t = p.target
    return ProgressPublic(
        target_id=t.target_id,
        plan_ref=t.plan_ref,
        label=t.label,
        metric=t.metric,
        unit=t.unit,
        province_code=t.province_code,
        province_edition=t.province_edition,
        province_name=t.province_name,
        commune_code=t.commune_code,
        district_name=t.district_name,
        year_from=t.year_from,
        year_to=t.year_to,
        minimum=t.minimum,
        maximum=t.maximum,
        base=t.base,
        actual=p.actual,
        count=p.count,
        percent=p.percent,
        expected_by_now=p.expected_by_now,
        standing=p.standing.value,
        derived=t.derived,
    )


# --- dashboard ---------------------------------------------------------------------------------


def _asset(name: str) -> str:
    return resources.files("ocop_reporting").joinpath("static", name).read_text(encoding="utf-8")


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def dashboard(
    service: ServiceDep,
    province_code: ProvinceQuery = "82",
    year: Annotated[int | None, Query(ge=2018, le=2100)] = None,
    lang: Literal["vi", "en"] = "vi",
    edition: EditionQuery = None,
) -> str:
    """The dashboard page: the picker and the charts are drawn by the bundled script from the
    JSON API (no CDN). The year defaults to the current one in Vietnam."""
    today = service.today()
    year = year or today.year
    provinces = [
        {"code": c, "name": p.name, "edition": "2025"} for c, p in current_provinces().items()
    ] + [{"code": c, "name": p.name, "edition": "2008"} for c, p in legacy_provinces().items()]
    config = {
        "province_code": province_code,
        "year": year,
        "today": today.isoformat(),
        "lang": lang,
        "edition": edition,
        "provinces": provinces,
    }
    data = html.escape(json.dumps(config, ensure_ascii=False), quote=True)
    return (
        "<!doctype html>"
        f'<html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>OCOP — Tiến độ / Progress</title>"
        '<link rel="stylesheet" href="/static/dashboard.css"></head>'
        f'<body><div id="app" data-config="{data}"></div>'
        '<script src="/static/dashboard.js"></script></body></html>'
    )


@router.get("/static/{name}", include_in_schema=False)
async def static(name: Literal["dashboard.js", "dashboard.css"]) -> Response:
    media = "text/javascript" if name.endswith(".js") else "text/css"
    return Response(
        _asset(name), media_type=f"{media}; charset=utf-8", headers={"Cache-Control": "no-cache"}
    )
