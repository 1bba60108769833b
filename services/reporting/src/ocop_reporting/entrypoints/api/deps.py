"""Request dependencies (the service, who is calling) and the query parameters reports share."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import Depends, Query, Request

from ocop_platform.auth import Principal, require_roles
from ocop_reporting.domain.knowledge import View
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
EditionName = Literal["2008", "2025"]
EditionQuery = Annotated[
    EditionName | None,
    Query(
        description="Which units province_code means: 2008 (63 provinces, before 1 July 2025) or "
        "2025 (34). Default: the edition that knows the code, else 2008 for years before 2025."
    ),
]
ViewQuery = Annotated[
    View,
    Query(
        description="With as_of: as_known (default) counts what the platform knew on that day — "
        "a fact recorded later (a late rating, a correction) is left out; as_corrected counts "
        "every fact dated up to as_of, whenever it arrived. Without as_of both are today's."
    ),
]
