"""Reporting's OpenAPI shows a real schema for every JSON response of its own routes: an object
with its properties, or a reference to a named schema. Files and text are named as exceptions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI

from ocop_reporting.entrypoints.api import routers
from ocop_reporting.main import ReportingSettings, create_app

# Reporting's routes that do not answer JSON, and what they answer instead.
NOT_JSON = {
    ("GET", "/exports/{report}.{fmt}"): "a CSV or XLSX file",
    ("GET", "/metrics"): "OpenMetrics text",
}


def operations(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}


def own_operations() -> set[tuple[str, str]]:
    """(method, path) of reporting's own routes (not the platform's health, pipeline metrics and
    AsyncAPI routes, which every service shares)."""
    app = FastAPI()
    for router in routers:
        app.include_router(router)
    return operations(app.openapi())


def undocumented(spec: dict[str, Any], operations: set[tuple[str, str]]) -> list[str]:
    """Each 2xx JSON response of `operations` whose schema has neither properties nor a $ref."""
    found = []
    for method, path in sorted(operations):
        responses = spec["paths"][path][method.lower()]["responses"]
        for code, response in responses.items():
            if not code.startswith("2"):
                continue
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            if (method, path) in NOT_JSON:
                if schema is not None:
                    found.append(f"{method} {path} {code}: JSON, not {NOT_JSON[(method, path)]}")
            elif schema is None or not ("$ref" in schema or "properties" in schema):
                found.append(f"{method} {path} {code}: {schema}")
    return found


def test_every_json_response_of_reporting_has_a_schema() -> None:
    own = own_operations()

    assert undocumented(create_app(ReportingSettings()).openapi(), own) == []
    # The walk saw every resource: targets and activities in, reports out, files excepted.
    assert {
        ("POST", "/targets"),
        ("POST", "/activities"),
        ("GET", "/reports/progress"),
        ("GET", "/reports/overview"),
        ("GET", "/reports/national"),
        *NOT_JSON,
    } == own


def test_the_walk_finds_a_route_without_a_response_model() -> None:
    router = APIRouter()

    @router.get("/loose")
    async def loose() -> dict[str, int]:
        return {"n": 1}

    app = FastAPI()
    app.include_router(router)

    spec = app.openapi()
    (found,) = undocumented(spec, operations(spec))
    assert found.startswith("GET /loose 200: ")
