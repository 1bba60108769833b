"""Headline figures for Prometheus, in the OpenMetrics text format."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from ocop_reporting.domain.figures import Metrics
from ocop_reporting.entrypoints.api.deps import ServiceDep

router = APIRouter(tags=["operations"])

OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"description": "OpenMetrics text.", "content": {OPENMETRICS: {}}}},
)
async def metrics(service: ServiceDep) -> Response:
    """Headline figures in the OpenMetrics text format (for Prometheus)."""
    return Response(openmetrics(await service.metrics()), media_type=OPENMETRICS)


def openmetrics(figures: Metrics) -> str:
    lines = [
        "# TYPE ocop_rated_products_total counter",
        "# HELP ocop_rated_products_total Ratings at 3-5 stars received, by current province.",
    ]
    for (province, stars), n in sorted(figures.rated_products.items()):
        lines.append(f'ocop_rated_products_total{{province="{province}",stars="{stars}"}} {n}')
    lines += [
        "# TYPE ocop_targets gauge",
        "# HELP ocop_targets Targets held, by current province.",
    ]
    lines += [f'ocop_targets{{province="{p}"}} {n}' for p, n in sorted(figures.targets.items())]
    lines += [
        "# TYPE ocop_facts_old_unit_unknown gauge",
        "# HELP ocop_facts_old_unit_unknown Facts before 1 July 2025 without their old unit, "
        "counted in today's province only, by current province.",
    ]
    for province, n in sorted(figures.old_unit_unknown.items()):
        lines.append(f'ocop_facts_old_unit_unknown{{province="{province}"}} {n}')
    lines += ["# TYPE ocop_read_model_documents gauge"]
    for name, n in figures.read_model_documents.items():
        lines.append(f'ocop_read_model_documents{{collection="{name}"}} {n}')
    lines.append("# EOF")
    return "\n".join(lines) + "\n"
