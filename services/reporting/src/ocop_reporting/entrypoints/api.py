"""HTTP API of reporting: targets in, progress out (JSON and a first HTML page)."""

from __future__ import annotations

import html
from typing import Annotated
from uuid import uuid4

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from ocop_contracts import TargetMetric, TargetUnit, utc_now
from ocop_platform.auth import Principal, Role, ensure_province, require_roles
from ocop_reporting.domain.commands import SetTarget
from ocop_reporting.domain.progress import Progress
from ocop_reporting.service_layer.services import ReportingService


def _service(request: Request) -> ReportingService:
    service: ReportingService = request.app.state.reporting
    return service


ServiceDep = Annotated[ReportingService, Depends(_service)]
Planner = Annotated[Principal, Depends(require_roles(Role.PROVINCE_OFFICE, Role.MINISTRY))]
ProvinceQuery = Annotated[str, Query(pattern=r"^\d{2}$", examples=["82"])]
YearQuery = Annotated[int, Query(ge=2018, le=2100, examples=[2026])]


class TargetCreate(BaseModel):
    target_id: str | None = Field(default=None, max_length=128, description="Omit to create one.")
    province_code: str = Field(pattern=r"^\d{2}$")
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


class TargetPublic(BaseModel):
    target_id: str
    version: int


class ProgressPublic(BaseModel):
    target_id: str
    plan_ref: str
    label: str
    metric: TargetMetric
    minimum: float | None
    maximum: float | None
    actual: int | None
    percent: float | None
    standing: str


class ProgressReport(BaseModel):
    province_code: str
    year: int
    as_of: str
    ratings_counted: int = Field(description="Rating events of this province and year received.")
    targets: list[ProgressPublic]


router = APIRouter(tags=["reporting"])


@router.post("/targets", status_code=status.HTTP_201_CREATED, response_model=TargetPublic)
async def set_target(body: TargetCreate, service: ServiceDep, who: Planner) -> TargetPublic:
    ensure_province(who, body.province_code)
    fields = body.model_dump()
    fields["target_id"] = body.target_id or f"tgt-{uuid4().hex[:12]}"
    event = await service.set_target(SetTarget(**fields))
    assert event is not None  # only province messages can be repeats
    return TargetPublic(target_id=event.target_id, version=event.aggregate_version)


async def _report(service: ReportingService, province_code: str, year: int) -> ProgressReport:
    today = utc_now().date()
    rows = await service.progress(province_code, year, today)
    return ProgressReport(
        province_code=province_code,
        year=year,
        as_of=today.isoformat(),
        ratings_counted=await service.ratings_counted(province_code, year),
        targets=[_public(p) for p in rows],
    )


@router.get("/reports/progress", response_model=ProgressReport)
async def progress(
    service: ServiceDep, province_code: ProvinceQuery, year: YearQuery
) -> ProgressReport:
    return await _report(service, province_code, year)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def dashboard(
    service: ServiceDep, province_code: ProvinceQuery = "82", year: YearQuery = 2026
) -> str:
    report = await _report(service, province_code, year)
    return _render(report)


def _public(p: Progress) -> ProgressPublic:
    t = p.target
    return ProgressPublic(
        target_id=t.target_id,
        plan_ref=t.plan_ref,
        label=t.label,
        metric=t.metric,
        minimum=t.minimum,
        maximum=t.maximum,
        actual=p.actual,
        percent=p.percent,
        standing=p.standing.value,
    )


def _render(report: ProgressReport) -> str:
    rows = "".join(
        "<tr>"
        f"<td>{html.escape(t.plan_ref)}</td><td>{html.escape(t.label)}</td>"
        f"<td>{_fmt(t.minimum)}–{_fmt(t.maximum)}</td><td>{_fmt(t.actual)}</td>"
        f"<td>{_fmt(t.percent)}%</td><td class='{t.standing}'>{t.standing}</td>"
        "</tr>"
        for t in report.targets
    )
    return (
        "<!doctype html><html lang='vi'><meta charset='utf-8'>"
        f"<title>OCOP — tỉnh {report.province_code}, {report.year}</title>"
        "<style>body{font:15px system-ui;margin:2rem}td,th{padding:.3rem .6rem;"
        "border-bottom:1px solid #ddd}.attained{color:#070}.behind{color:#a00}</style>"
        f"<h1>Tiến độ OCOP — tỉnh {report.province_code}, năm {report.year}</h1>"
        f"<p>Số liệu tính đến {report.as_of}, dẫn xuất từ các sự kiện.</p>"
        "<table><tr><th>Kế hoạch</th><th>Chỉ tiêu</th><th>Mục tiêu</th><th>Đạt</th>"
        f"<th>%</th><th>Tình trạng</th></tr>{rows}</table>"
        "<p><a href='/docs'>API docs</a> · <a href='/asyncapi.json'>AsyncAPI</a></p></html>"
    )


def _fmt(value: float | int | None) -> str:
    if value is None:
        return "—"
    return f"{value:g}"
