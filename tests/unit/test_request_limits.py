"""Every request body a service accepts is bounded: each string has a maximum length (or a
closed set of values, or an anchored pattern without unbounded repetition) and each list a
maximum size, so that no request within the body limit can still make a service build huge
values. Path and query parameters are bounded by the server's request-line limit (h11)."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from typing import Any

import pytest

SERVICES = ("registry", "evaluation", "promotion", "reporting")
Schema = dict[str, Any]


def _bounded_pattern(pattern: str) -> bool:
    outside_classes = re.sub(r"\[[^\]]*\]", "", pattern)
    unbounded = re.search(r"(?<!\\)[+*]|\{\d+,\}", outside_classes)
    return pattern.startswith("^") and pattern.endswith("$") and unbounded is None


def _string_bounded(schema: Schema) -> bool:
    if any(key in schema for key in ("maxLength", "enum", "const", "contentMediaType")):
        return True
    if schema.get("format") in {"date", "date-time", "uuid", "binary"}:
        return True
    return _bounded_pattern(schema.get("pattern", ""))


def _unbounded(
    where: str, schema: Schema, components: Schema, seen: frozenset[str]
) -> Iterator[str]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            yield from _unbounded(f"{where}→{name}", components[name], components, seen | {name})
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            yield from _unbounded(where, option, components, seen)
    kind = schema.get("type")
    if kind == "string" and not _string_bounded(schema):
        yield f"{where}: string without a maximum length"
    if kind == "array":
        if "maxItems" not in schema:
            yield f"{where}: list without a maximum size"
        yield from _unbounded(f"{where}[]", schema.get("items", {}), components, seen)
    for name, field in schema.get("properties", {}).items():
        yield from _unbounded(f"{where}.{name}", field, components, seen)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        if "maxProperties" not in schema:
            yield f"{where}: map without a maximum size"
        yield from _unbounded(f"{where}{{}}", extra, components, seen)


def _request_bodies(spec: Schema) -> Iterator[tuple[str, Schema]]:
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            for media in content.values():
                yield f"{method.upper()} {path}", media.get("schema", {})


@pytest.mark.parametrize("service", SERVICES)
def test_every_request_body_is_bounded(service: str) -> None:
    app = importlib.import_module(f"ocop_{service}.main").create_app()
    spec = app.openapi()
    components = spec.get("components", {}).get("schemas", {})
    bodies = list(_request_bodies(spec))
    problems = [
        problem
        for where, schema in bodies
        for problem in _unbounded(where, schema, components, frozenset())
    ]
    assert problems == []
    assert bodies or service == "none"


@pytest.mark.parametrize(
    ("pattern", "bounded"),
    [
        (r"^\d{2}$", True),
        (r"^[0-9+ ().-]{6,20}$", True),
        (r"^[a-z]+$", False),
        (r"^\d{2,}$", False),
        (r"\d{2}", False),
    ],
)
def test_an_anchored_pattern_without_open_repetition_bounds_a_string(
    pattern: str, bounded: bool
) -> None:
    assert _bounded_pattern(pattern) is bounded
