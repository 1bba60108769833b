"""Promotion's HTTP edge without a store: the OpenAPI names a real schema for every success
response, and a refusal (403) has the error shape of every other service."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from ocop_platform.auth import mint_token
from ocop_platform.identity import Role
from ocop_platform.settings import DEV_JWT_SECRET
from ocop_promotion.domain.venues import FairOutcome
from ocop_promotion.entrypoints.api.schemas.fairs import FairOut
from ocop_promotion.main import create_app

Schema = dict[str, Any]


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app()  # connects to nothing until its lifespan starts; the tests never start it


def has_shape(schema: Schema) -> bool:
    """A schema that says what comes back: a model ($ref), an object with properties, or an
    array of such."""
    if schema.get("type") == "array":
        return has_shape(schema.get("items", {}))
    return "$ref" in schema or bool(schema.get("properties"))


def success_bodies(spec: Schema) -> Iterator[tuple[str, Schema]]:
    """(where, schema) of every 2xx response body; a 204 has none by definition."""
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                if not code.startswith("2") or code == "204":
                    continue
                where = f"{method.upper()} {path} {code}"
                content = response.get("content") or {"(none)": {}}
                for media, body in content.items():
                    # A stream (text/event-stream) describes each of its items.
                    yield f"{where} {media}", body.get("itemSchema") or body.get("schema") or {}


def test_shapeless_schemas_are_told_apart() -> None:
    assert not has_shape({})
    assert not has_shape({"type": "object", "additionalProperties": True})
    assert not has_shape({"type": "array", "items": {"type": "string"}})
    assert has_shape({"type": "array", "items": {"$ref": "#/components/schemas/X"}})
    assert has_shape({"type": "object", "properties": {"a": {"type": "string"}}})


def test_every_success_response_of_every_path_has_a_schema(app: FastAPI) -> None:
    bodies = list(success_bodies(app.openapi()))
    assert len(bodies) > 30
    assert [where for where, schema in bodies if not has_shape(schema)] == []


def test_every_route_with_a_json_body_declares_its_response_model(app: FastAPI) -> None:
    routes = [r for r in app.routes if isinstance(r, APIRoute)]
    undeclared = [
        f"{sorted(r.methods or ())} {r.path}"
        for r in routes
        if r.response_model is None and r.status_code != 204 and r.path != "/feed/stream"
    ]
    assert undeclared == []


def test_the_live_feed_describes_its_events_with_the_feed_entry(app: FastAPI) -> None:
    ok = app.openapi()["paths"]["/feed/stream"]["get"]["responses"]["200"]
    stream = ok["content"]["text/event-stream"]
    assert stream["itemSchema"] == {"$ref": "#/components/schemas/FeedEntryPublic"}


def test_a_fair_outcome_comes_back_as_it_was_stored() -> None:
    stored = {**asdict(FairOutcome(sales_vnd=5, visitors=300)), "recorded_on": "2026-05-02"}
    fair: dict[str, Any] = {
        "_id": "fair-1",
        "name": "Hội chợ OCOP",
        "place": "Sa Đéc",
        "organiser": "",
        "province_code": "82",
        "commune_code": None,
        "starts_on": "2026-05-01",
        "ends_on": "2026-05-05",
        "booths": [],
        "outcome": stored,
    }
    out = FairOut.model_validate({**fair, "fair_id": "fair-1"}).model_dump(mode="json")
    assert out["outcome"] == stored


# --- refusals -----------------------------------------------------------------------------------


def bearer(roles: list[Role], provinces: list[str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(DEV_JWT_SECRET, 'caller', roles, provinces)}"}


def test_a_province_the_token_does_not_cover_is_refused_with_the_error_shape(
    app: FastAPI,
) -> None:
    fair: dict[str, Any] = {
        "name": "Hội chợ OCOP",
        "place": "Sa Đéc",
        "province_code": "82",
        "starts_on": "2026-05-01",
        "ends_on": "2026-05-05",
    }
    response = TestClient(app).post(
        "/fairs", json=fair, headers=bearer([Role.PROMOTION_TEAM], ["01"])
    )
    assert response.status_code == 403
    assert response.json() == {
        "detail": [{"loc": [], "msg": "your token does not cover province 82", "type": "forbidden"}]
    }


def test_a_role_that_may_not_promote_is_refused_with_the_error_shape(app: FastAPI) -> None:
    response = TestClient(app).get("/subscriptions", headers=bearer([Role.PRODUCER], ["82"]))
    assert response.status_code == 403
    [error] = response.json()["detail"]
    assert error["type"] == "forbidden"
    assert error["msg"] == "requires one of: promotion_team, province_office, ministry"
