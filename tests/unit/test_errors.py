"""Domain errors reach HTTP callers in the shape of FastAPI's own 422 body."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ocop_platform.errors import Conflict, DomainError, NotFound, install_error_handlers


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/rule")
    def rule() -> None:
        raise DomainError("5★ is awarded centrally", field="rating.stars")

    @app.get("/missing")
    def missing() -> None:
        raise NotFound("no product prd-9", field="product_id")

    @app.get("/busy")
    def busy() -> None:
        raise Conflict("rated concurrently; retry")

    return TestClient(app)


def test_a_domain_error_is_a_422_locating_the_dotted_field_in_the_body(client: TestClient) -> None:
    response = client.get("/rule")
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "loc": ["body", "rating", "stars"],
                "msg": "5★ is awarded centrally",
                "type": "domain_rule",
            }
        ]
    }


def test_not_found_is_a_404_of_type_not_found(client: TestClient) -> None:
    response = client.get("/missing")
    assert response.status_code == 404
    assert response.json()["detail"][0]["type"] == "not_found"


def test_an_error_without_a_field_has_an_empty_location(client: TestClient) -> None:
    response = client.get("/busy")
    assert response.status_code == 409
    assert response.json()["detail"][0]["loc"] == []
