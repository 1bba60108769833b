"""Evaluation's HTTP edge: every route documents a real response schema, and no route reaches
storage (routes call use cases; stores are the adapters')."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from ocop_evaluation.entrypoints import api

API_PACKAGE = Path(api.__file__).parent
STORAGE = ("ocop_evaluation.adapters.mongo", "ocop_platform.mongo", "pymongo")
Schema = dict[str, Any]


def _json_responses(spec: Schema) -> Iterator[tuple[str, Schema]]:
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                if code.startswith("2"):
                    schema = response.get("content", {}).get("application/json", {}).get("schema")
                    yield f"{method.upper()} {path} {code}", schema or {}


def _described(schema: Schema) -> bool:
    if schema.get("type") == "array":
        return _described(schema.get("items", {}))
    return "$ref" in schema or bool(schema.get("properties"))


def test_every_2xx_json_response_of_evaluation_has_a_schema() -> None:
    app = FastAPI()
    for router in api.routers:
        app.include_router(router)

    responses = dict(_json_responses(app.openapi()))

    routes = [route for router in api.routers for route in router.routes]
    operations = [m for r in routes if isinstance(r, APIRoute) for m in r.methods or ()]
    assert len(responses) == len(operations) == 32
    assert [where for where, schema in responses.items() if not _described(schema)] == []


def test_the_check_can_fail() -> None:
    assert not _described({"type": "object", "additionalProperties": True})
    assert not _described({"type": "array", "items": {}})
    assert _described({"type": "array", "items": {"$ref": "#/components/schemas/DossierView"}})


def _imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def test_no_route_module_imports_storage() -> None:
    modules = sorted(API_PACKAGE.rglob("*.py"))
    reaching = {
        str(path.relative_to(API_PACKAGE)): name
        for path in modules
        for name in _imports(path)
        if name.startswith(STORAGE)
    }
    assert len(modules) > 10 and reaching == {}
