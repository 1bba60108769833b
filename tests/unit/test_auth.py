"""Bearer tokens: minting, decoding, province scope and role checks on a tiny FastAPI app."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from fastapi import Depends, FastAPI, HTTPException
from fastapi.testclient import TestClient
from pydantic import SecretStr

from ocop_platform.auth import (
    ALGORITHM,
    ISSUER,
    Principal,
    Role,
    decode_token,
    ensure_province,
    mint_token,
    require_roles,
)
from ocop_platform.settings import ServiceSettings

SECRET = "unit-test-secret-that-is-long-enough-for-hs256"


def principal(*provinces: str, roles: tuple[Role, ...] = (Role.PROVINCE_OFFICE,)) -> Principal:
    return Principal(subject="someone", roles=frozenset(roles), provinces=frozenset(provinces))


# --- tokens -------------------------------------------------------------------------------------


def test_a_minted_token_decodes_to_the_same_principal() -> None:
    token = mint_token(
        SECRET,
        "officer-82",
        [Role.PROVINCE_OFFICE, Role.COUNCIL_MEMBER],
        ["82", "86"],
        entity_id="ent-1",
    )
    assert decode_token(token, SECRET) == Principal(
        subject="officer-82",
        roles=frozenset({Role.PROVINCE_OFFICE, Role.COUNCIL_MEMBER}),
        provinces=frozenset({"82", "86"}),
        entity_id="ent-1",
    )


def test_an_expired_token_is_rejected() -> None:
    token = mint_token(SECRET, "someone", [Role.MINISTRY], ["*"], ttl=timedelta(seconds=-1))
    with pytest.raises(jwt.ExpiredSignatureError):
        decode_token(token, SECRET)


def test_a_token_signed_with_another_secret_is_rejected() -> None:
    token = mint_token("another-secret-also-long-enough-for-hs256", "x", [Role.ADMIN], ["*"])
    with pytest.raises(jwt.InvalidSignatureError):
        decode_token(token, SECRET)


def test_a_token_from_another_issuer_is_rejected() -> None:
    token = jwt.encode(
        {"iss": "someone-else", "sub": "x", "exp": 4_000_000_000}, SECRET, algorithm=ALGORITHM
    )
    with pytest.raises(jwt.InvalidIssuerError):
        decode_token(token, SECRET)


def test_a_token_without_an_expiry_is_rejected() -> None:
    token = jwt.encode({"iss": ISSUER, "sub": "x"}, SECRET, algorithm=ALGORITHM)
    with pytest.raises(jwt.MissingRequiredClaimError):
        decode_token(token, SECRET)


# --- province scope -----------------------------------------------------------------------------


def test_a_national_principal_may_act_in_any_province() -> None:
    assert principal("*").may_act_in("01")
    assert principal("*").may_act_in("96")


def test_a_provincial_principal_may_act_only_in_its_provinces() -> None:
    officer = principal("82", "86")
    assert officer.may_act_in("82")
    assert officer.may_act_in("86")
    assert not officer.may_act_in("01")


def test_ensure_province_refuses_a_province_outside_the_token_with_403() -> None:
    with pytest.raises(HTTPException) as caught:
        ensure_province(principal("82"), "01")
    assert caught.value.status_code == 403


# --- require_roles over HTTP --------------------------------------------------------------------


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    app.state.settings = ServiceSettings(jwt_secret=SecretStr(SECRET))

    @app.get("/plans")
    def plans(who: Principal = Depends(require_roles(Role.PROVINCE_OFFICE))) -> dict[str, str]:
        return {"subject": who.subject}

    return TestClient(app)


def bearer(*roles: Role, secret: str = SECRET) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(secret, 'caller', roles, ['82'])}"}


def test_a_request_without_a_token_gets_401(client: TestClient) -> None:
    response = client.get("/plans")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_request_with_a_token_signed_elsewhere_gets_401(client: TestClient) -> None:
    headers = bearer(Role.PROVINCE_OFFICE, secret="not-the-service-secret-but-long-enough")
    assert client.get("/plans", headers=headers).status_code == 401


def test_a_token_with_a_role_that_does_not_exist_gets_401(client: TestClient) -> None:
    token = jwt.encode(
        {"iss": ISSUER, "sub": "x", "roles": ["wizard"], "exp": 4_000_000_000},
        SECRET,
        algorithm=ALGORITHM,
    )
    response = client.get("/plans", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_a_caller_without_the_role_gets_403(client: TestClient) -> None:
    response = client.get("/plans", headers=bearer(Role.PRODUCER))
    assert response.status_code == 403
    assert "province_office" in response.json()["detail"]


def test_a_caller_with_the_role_gets_through(client: TestClient) -> None:
    response = client.get("/plans", headers=bearer(Role.PRODUCER, Role.PROVINCE_OFFICE))
    assert response.status_code == 200
    assert response.json() == {"subject": "caller"}


def test_an_admin_gets_through_without_the_role(client: TestClient) -> None:
    assert client.get("/plans", headers=bearer(Role.ADMIN)).status_code == 200
