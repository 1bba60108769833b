"""Bearer-token (JWT, HS256) authentication with roles and a province scope.

A token says who the caller is (``sub``), what they may do (``roles``) and where (``provinces``:
2-digit codes; ``["*"]`` for national roles). ``ocop-token`` mints development tokens.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from datetime import timedelta
from enum import StrEnum
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, ValidationError

from ocop_contracts import utc_now

ALGORITHM = "HS256"
ISSUER = "ocop-platform"
ALL_PROVINCES = "*"


class Role(StrEnum):
    PRODUCER = "producer"
    COMMUNE_OFFICER = "commune_officer"
    PROVINCE_OFFICE = "province_office"
    COUNCIL_MEMBER = "council_member"
    MINISTRY = "ministry"
    PROMOTION_TEAM = "promotion_team"
    PROVINCE_SYSTEM = "province_system"
    ADMIN = "admin"


class Principal(BaseModel):
    model_config = ConfigDict(frozen=True)

    subject: str
    roles: frozenset[Role]
    provinces: frozenset[str]
    entity_id: str | None = None

    def may_act_in(self, province_code: str) -> bool:
        return ALL_PROVINCES in self.provinces or province_code in self.provinces

    def has_any(self, roles: Iterable[Role]) -> bool:
        return bool(self.roles.intersection(roles))


def mint_token(
    secret: str,
    subject: str,
    roles: Iterable[Role],
    provinces: Iterable[str],
    *,
    entity_id: str | None = None,
    ttl: timedelta = timedelta(hours=12),
) -> str:
    now = utc_now()
    claims = {
        "iss": ISSUER,
        "sub": subject,
        "roles": sorted(Role(r).value for r in roles),
        "provinces": sorted(provinces),
        "iat": now,
        "exp": now + ttl,
    }
    if entity_id:
        claims["entity_id"] = entity_id
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(token: str, secret: str) -> Principal:
    claims = jwt.decode(
        token, secret, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": ["exp", "sub"]}
    )
    return Principal(
        subject=claims["sub"],
        roles=frozenset(claims.get("roles", [])),
        provinces=frozenset(claims.get("provinces", [])),
        entity_id=claims.get("entity_id"),
    )


_bearer = HTTPBearer(auto_error=False, description="JWT minted by ocop-token (development)")


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise _unauthorized("missing bearer token")
    secret: str = request.app.state.settings.jwt_secret.get_secret_value()
    try:
        return decode_token(credentials.credentials, secret)
    except (jwt.PyJWTError, ValidationError, ValueError) as exc:
        raise _unauthorized(f"invalid token: {exc}") from exc


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[..., Principal]:
    """Dependency: the caller must hold one of ``roles`` (admin always passes)."""

    def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has_any((*roles, Role.ADMIN)):
            wanted = ", ".join(r.value for r in roles)
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"requires one of: {wanted}")
        return principal

    return check


def ensure_province(principal: Principal, province_code: str) -> None:
    if not principal.may_act_in(province_code):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=f"your token does not cover province {province_code}",
        )


def mint_token_cli(argv: list[str] | None = None) -> int:
    """Print a development token: ocop-token --role province_office --province 82."""
    from ocop_platform.settings import ServiceSettings

    parser = argparse.ArgumentParser(prog="ocop-token", description=mint_token_cli.__doc__)
    parser.add_argument("--sub", default="dev-user")
    parser.add_argument("--role", action="append", choices=[r.value for r in Role], required=True)
    parser.add_argument("--province", action="append", default=[], help="2-digit code or *")
    parser.add_argument("--entity", default=None, help="producer entity id (role producer)")
    parser.add_argument("--hours", type=float, default=12.0)
    args = parser.parse_args(argv)
    settings = ServiceSettings()
    token = mint_token(
        settings.jwt_secret.get_secret_value(),
        args.sub,
        [Role(r) for r in args.role],
        args.province or [ALL_PROVINCES],
        entity_id=args.entity,
        ttl=timedelta(hours=args.hours),
    )
    sys.stdout.write(token + "\n")
    return 0
