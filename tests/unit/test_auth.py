"""Bearer tokens: minting, decoding, province scope and role checks on a tiny FastAPI app."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from fastapi import Depends, FastAPI
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
    mint_token_cli,
    require_roles,
)
from ocop_platform.errors import install_error_handlers
from ocop_platform.identity import Forbidden
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
    with pytest.raises(Forbidden, match="does not cover province 01") as caught:
        ensure_province(principal("82"), "01")
    assert caught.value.status_code == 403


# --- require_roles over HTTP --------------------------------------------------------------------


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    app.state.settings = ServiceSettings(jwt_secret=SecretStr(SECRET))
    install_error_handlers(app)

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
    [error] = response.json()["detail"]  # the services' one error shape
    assert error["type"] == "forbidden" and "province_office" in error["msg"]


def test_a_caller_with_the_role_gets_through(client: TestClient) -> None:
    response = client.get("/plans", headers=bearer(Role.PRODUCER, Role.PROVINCE_OFFICE))
    assert response.status_code == 200
    assert response.json() == {"subject": "caller"}


def test_an_admin_gets_through_without_the_role(client: TestClient) -> None:
    assert client.get("/plans", headers=bearer(Role.ADMIN)).status_code == 200


# --- ocop-token ---------------------------------------------------------------------------------


def minted(capsys: pytest.CaptureFixture[str], *argv: str) -> Principal:
    assert mint_token_cli(list(argv)) == 0
    secret = ServiceSettings().jwt_secret.get_secret_value()  # what the CLI signs with
    return decode_token(capsys.readouterr().out.strip(), secret)


def refusal(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exited:
        mint_token_cli(list(argv))
    assert exited.value.code == 2
    return capsys.readouterr().err


def test_ocop_token_mints_a_commune_officer_in_the_province_of_its_communes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    officer = minted(
        capsys, "--role", "commune_officer", "--commune", "29869", "--commune", "28249"
    )
    assert officer.communes == {"29869", "28249"}
    assert officer.provinces == {"82"}


def test_ocop_token_mints_a_producer_of_its_entity(capsys: pytest.CaptureFixture[str]) -> None:
    producer = minted(capsys, "--role", "producer", "--province", "82", "--entity", "ent-1")
    assert (producer.entity_id, producer.roles) == ("ent-1", frozenset({Role.PRODUCER}))


def test_ocop_token_mints_a_province_office_and_the_ministry(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert minted(capsys, "--role", "province_office", "--province", "82").provinces == {"82"}
    assert minted(capsys, "--role", "ministry").provinces == {"*"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--role", "commune_officer", "--province", "82"], "must list its communes"),
        (["--role", "producer", "--province", "82"], "must name its producer"),
        (["--role", "commune_officer", "--commune", "123"], "unknown 2025 commune code"),
        (["--role", "commune_officer", "--commune", "29869", "--province", "01"], "not cover"),
    ],
)
def test_ocop_token_refuses_a_token_missing_its_scope(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert message in refusal(capsys, *argv)
