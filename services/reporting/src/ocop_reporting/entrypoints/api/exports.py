"""The reports as files: CSV (UTF-8 with BOM) or XLSX, the same figures as the JSON API."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ocop_platform.errors import DomainError
from ocop_reporting.adapters.exports import Table, to_csv, to_xlsx
from ocop_reporting.domain.knowledge import View
from ocop_reporting.entrypoints.api.deps import (
    AsOfQuery,
    EditionName,
    EditionQuery,
    ServiceDep,
    ViewQuery,
    YearQuery,
)
from ocop_reporting.entrypoints.api.report_schemas import NationalRow
from ocop_reporting.entrypoints.api.reports import (
    national_report,
    overview_report,
    progress_report,
)
from ocop_reporting.service_layer.services import ReportingService

router = APIRouter(prefix="/exports", tags=["exports"])

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ReportName = Literal["progress", "overview", "national"]
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
    "basis",
)


@router.get(
    "/{report}.{fmt}",
    response_class=Response,
    responses={200: {"description": "The report as a file.", "content": {CSV: {}, XLSX: {}}}},
)
async def export(
    service: ServiceDep,
    report: ReportName,
    fmt: Literal["csv", "xlsx"],
    year: YearQuery,
    province_code: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    as_of: AsOfQuery = None,
    edition: EditionQuery = None,
    view: ViewQuery = View.AS_KNOWN,
) -> Response:
    """Any report as CSV (UTF-8 with BOM) or XLSX: the same figures as the JSON API."""
    if report != "national" and province_code is None:
        raise DomainError("province_code is required for this report", field="province_code")
    rows = await _table(service, report, province_code or "", year, (as_of, view), edition)
    name = f"ocop-{report}-{province_code + '-' if province_code else ''}{year}"
    if fmt == "csv":
        body, media = to_csv(rows), CSV
    else:
        body, media = to_xlsx(rows, sheet=report), XLSX
    disposition = f'attachment; filename="{name}.{fmt}"'
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


async def _table(
    service: ReportingService,
    report: ReportName,
    province_code: str,
    year: int,
    when: tuple[date | None, View],
    edition: EditionName | None,
) -> Table:
    as_of, view = when
    if report == "progress":
        prog = await progress_report(service, province_code, year, as_of, edition, view)
        rows = [t.model_dump(mode="json") for t in prog.targets]
        return [list(PROGRESS_COLUMNS), *([r[c] for c in PROGRESS_COLUMNS] for r in rows)]
    if report == "national":
        nat = await national_report(service, year, as_of, view)
        columns = list(NationalRow.model_fields)
        return [columns, *([getattr(r, c) for c in columns] for r in nat.provinces)]
    ov = await overview_report(service, province_code, year, as_of, edition, view)
    table: list[list[Any]] = [["section", "key", "value"]]
    table += [["star_mix", k, v] for k, v in ov.star_mix.items()]
    table += [["by_sector", k, v] for k, v in ov.by_sector.items()]
    table += [["by_commune", k, v] for k, v in ov.by_commune.items()]
    table += [["trend", str(t.year), t.new_certified] for t in ov.trend]
    mix = ov.producer_mix
    table += [["producer_mix", k, v] for k, v in mix.by_legal_form.items()]
    table += [
        ["producer_mix", "total", mix.total],
        ["producer_mix", "women_led", mix.women_led],
        ["producer_mix", "ethnic_minority_led", mix.ethnic_minority_led],
    ]
    table += [
        ["expiring_certificate", c.certificate_id, c.valid_until] for c in ov.expiring_certificates
    ]
    return table
