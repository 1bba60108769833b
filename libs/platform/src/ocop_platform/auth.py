"""Bearer-token (JWT, HS256) authentication: the HTTP edge of ``ocop_platform.identity``.

A token says who the caller is (``sub``), what they may do (``roles``) and where: ``provinces``
(2-digit codes; ``["*"]`` for national roles), ``communes`` (5-digit codes, commune officers) and
``entity_id`` (the producer a producer account acts for). Which records each role reaches is
decided in ``identity`` (no FastAPI there); this module decodes tokens into a ``Principal`` for
FastAPI routes. ``ocop-token`` mints development tokens.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError

from ocop_contracts import utc_now
from ocop_platform.identity import (
    ALL_PROVINCES,
    Forbidden,
    Principal,
    Role,
    principal_from_claims,
    provinces_of_communes,
    scope_claims,
    token_scope_problems,
)

__all__ = [
    "ALGORITHM",
    "ALL_PROVINCES",
    "ISSUER",
    "CurrentPrincipal",
    "Principal",
    "Role",
    "current_principal",
    "decode_token",
    "ensure_province",
    "mint_token",
    "mint_token_cli",
    "require_roles",
]

ALGORITHM = "HS256"
ISSUER = "ocop-platform"


def mint_token(
    secret: str,
    subject: str,
    roles: Iterable[Role],
    provinces: Iterable[str],
    *,
    entity_id: str | None = None,
    communes: Iterable[str] = (),
    ttl: timedelta = timedelta(hours=12),
) -> str:
    """Sign a token as given; ``token_scope_problems`` says whether the scopes make sense."""
    now = utc_now()
    claims = {
        "iss": ISSUER,
        "sub": subject,
        **scope_claims(roles, provinces, entity_id=entity_id, communes=communes),
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(token: str, secret: str) -> Principal:
    claims = jwt.decode(
        token, secret, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": ["exp", "sub"]}
    )
    return principal_from_claims(claims)


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
            raise Forbidden(f"requires one of: {', '.join(r.value for r in roles)}")
        return principal

    return check


def ensure_province(principal: Principal, province_code: str) -> None:
    """Forbidden (403, the services' one error shape) outside the token's provinces."""
    if not principal.may_act_in(province_code):
        raise Forbidden(f"your token does not cover province {province_code}")


def mint_token_cli(argv: list[str] | None = None) -> int:
    """Print a development token, e.g. ocop-token --role province_office --province 82."""
    from ocop_platform.settings import ServiceSettings

    parser = argparse.ArgumentParser(
        prog="ocop-token",
        description=mint_token_cli.__doc__,
        epilog=(
            "examples: --role producer --province 82 --entity ent-1a2b3c4d5e6f | "
            "--role commune_officer --commune 29869 | --role province_office --province 82 | "
            "--role ministry"
        ),
    )
    parser.add_argument("--sub", default="dev-user", help="the caller (token subject)")
    parser.add_argument("--role", action="append", choices=[r.value for r in Role], required=True)
    parser.add_argument(
        "--province",
        action="append",
        default=[],
        help="2-digit 2025 code, repeatable; * for national roles (default: * , or the "
        "provinces of the --commune codes)",
    )
    parser.add_argument(
        "--commune",
        action="append",
        default=[],
        help="5-digit 2025 commune code, repeatable (required for commune_officer)",
    )
    parser.add_argument(
        "--entity", default=None, help="the producer's entity_id (required for producer)"
    )
    parser.add_argument("--hours", type=float, default=12.0)
    args = parser.parse_args(argv)
    roles = [Role(r) for r in args.role]
    # A commune officer's provinces follow from its communes; otherwise the default is national.
    provinces = args.province or provinces_of_communes(args.commune) or [ALL_PROVINCES]
    problems = token_scope_problems(roles, provinces, entity_id=args.entity, communes=args.commune)
    if problems:
        parser.error("; ".join(problems))
    settings = ServiceSettings()
    token = mint_token(
        settings.jwt_secret.get_secret_value(),
        args.sub,
        roles,
        provinces,
        entity_id=args.entity,
        communes=args.commune,
        ttl=timedelta(hours=args.hours),
    )
    sys.stdout.write(token + "\n")
    return 0
