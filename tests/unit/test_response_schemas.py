"""Every service's OpenAPI shows what each route answers: a 2xx JSON response names a schema.

A route without a response model documents its answer as `{}`, which tells a client nothing.
Files (CSV, XLSX) and pages declare their own media types instead of JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI

from ocop_evaluation.main import create_app as evaluation_app
from ocop_promotion.main import create_app as promotion_app
from ocop_registry.main import create_app as registry_app
from ocop_reporting.main import create_app as reporting_app

JSON = "application/json"


def _described(schema: dict[str, Any]) -> bool:
    if schema.get("$ref") or schema.get("properties"):
        return True
    if schema.get("type") == "array":
        return _described(schema.get("items", {}))
    return any(_described(s) for s in schema.get("anyOf", []))


def untyped_json_answers(app: FastAPI) -> list[str]:
    found = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                schema = response.get("content", {}).get(JSON, {}).get("schema")
                if status.startswith("2") and schema is not None and not _described(schema):
                    found.append(f"{method.upper()} {path} {status}")
    return found


@pytest.mark.parametrize("create_app", [registry_app, evaluation_app, promotion_app, reporting_app])
def test_every_json_answer_of_every_service_names_its_schema(
    create_app: Callable[[], FastAPI],
) -> None:
    assert untyped_json_answers(create_app()) == []


def test_the_check_finds_an_answer_without_a_model() -> None:
    app = FastAPI()

    @app.get("/loose")
    async def loose() -> dict[str, Any]:
        return {}

    assert untyped_json_answers(app) == ["GET /loose 200"]
