"""Reports for dashboards: a unit's progress and overview, and the national view."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from fastapi import APIRouter

from ocop_contracts.reference import current_provinces
from ocop_reporting.domain.knowledge import View, knowledge_cut
from ocop_reporting.domain.progress import REACHED, Progress, Standing
from ocop_reporting.domain.units import Unit, merged_from, report_edition, unit
from ocop_reporting.entrypoints.api.deps import (
    AsOfQuery,
    EditionName,
    EditionQuery,
    ProvinceQuery,
    ServiceDep,
    ViewQuery,
    YearQuery,
)
from ocop_reporting.entrypoints.api.report_schemas import (
    NationalReport,
    NationalRow,
    OverviewReport,
    ProgressPublic,
    ProgressReport,
    UnitPublic,
)
from ocop_reporting.service_layer.services import ReportingService

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/progress", response_model=ProgressReport)
async def progress(
    service: ServiceDep,
    province_code: ProvinceQuery,
    year: YearQuery,
    as_of: AsOfQuery = None,
    edition: EditionQuery = None,
    view: ViewQuery = View.AS_KNOWN,
) -> ProgressReport:
    """Every target of the unit covering `year`: actual, % of goal, standing. For a 2025 province
    the plans of the old provinces merged into it are listed too, each counted in its own unit."""
    return await progress_report(service, province_code, year, as_of, edition, view)


@router.get("/overview", response_model=OverviewReport)
async def overview(
    service: ServiceDep,
    province_code: ProvinceQuery,
    year: YearQuery,
    as_of: AsOfQuery = None,
    edition: EditionQuery = None,
    view: ViewQuery = View.AS_KNOWN,
) -> OverviewReport:
    """Star mix, sectors, communes, producer mix, a five-year trend and certificates expiring in
    the six months after `as_of` (default: today, or 31 December of a past year)."""
    return await overview_report(service, province_code, year, as_of, edition, view)


@router.get("/national", response_model=NationalReport)
async def national(
    service: ServiceDep,
    year: YearQuery,
    as_of: AsOfQuery = None,
    view: ViewQuery = View.AS_KNOWN,
) -> NationalReport:
    """The Ministry's view: every current province, old units rolled up."""
    return await national_report(service, year, as_of, view)


# --- the reports, also exported as tables ------------------------------------------------------


async def progress_report(
    service: ReportingService,
    province_code: str,
    year: int,
    as_of: date | None,
    edition: EditionName | None,
    view: View = View.AS_KNOWN,
) -> ProgressReport:
    where = unit(province_code, report_edition(province_code, year, edition))
    today = service.today()
    rows = await service.progress(where, year, today, as_of, view)
    return ProgressReport(
        province_code=province_code,
        year=year,
        as_of=(as_of or today).isoformat(),
        view=view,
        unit=_unit_public(where),
        ratings_counted=await service.ratings_counted(where, year),
        targets=[_progress_public(p) for p in rows],
    )


async def overview_report(
    service: ReportingService,
    province_code: str,
    year: int,
    as_of: date | None,
    edition: EditionName | None,
    view: View = View.AS_KNOWN,
) -> OverviewReport:
    where = unit(province_code, report_edition(province_code, year, edition))
    day = as_of or min(service.today(), date(year, 12, 31))
    # Without as_of, the day of a past year is its last: as known today, not as then.
    figures = await service.overview(where, year, day, knowledge_cut(as_of, view))
    return OverviewReport(
        province_code=province_code,
        year=year,
        as_of=day.isoformat(),
        view=view,
        unit=_unit_public(where),
        **asdict(figures),
    )


async def national_report(
    service: ReportingService, year: int, as_of: date | None, view: View = View.AS_KNOWN
) -> NationalReport:
    today = service.today()
    cut = knowledge_cut(as_of, view)
    valid = await service.national_valid_certified(as_of or today, cut)
    national = await service.national(year, today, as_of, view)
    rows = []
    for code, province in current_provinces().items():
        progress = national.by_province.get(code, [])
        standings = [p.standing for p in progress]
        rows.append(
            NationalRow(
                province_code=code,
                name=province.name,
                new_certified=national.new_certified.get(code, 0),
                certified=valid.get(code, 0),
                targets=len(progress),
                attained=sum(s in REACHED for s in standings),
                behind=standings.count(Standing.BEHIND),
                not_met=standings.count(Standing.NOT_MET),
            )
        )
    return NationalReport(year=year, as_of=(as_of or today).isoformat(), view=view, provinces=rows)


def _unit_public(where: Unit) -> UnitPublic:
    olds = [u.code for u in merged_from(where.code)] if where.edition == "2025" else []
    return UnitPublic(
        code=where.code,
        edition=where.edition,
        name=where.name,
        current_code=where.current_code,
        merged_from=olds,
    )


def _progress_public(p: Progress) -> ProgressPublic:
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
        basis="facts" if t.derived else "evidence",
        from_stars=t.from_stars,
        legal_forms=list(t.legal_forms),
    )
