"""Request dependencies: the service and who is calling."""

from __future__ import annotations

from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ocop_platform.auth import CurrentPrincipal, Principal, Role, decode_token, require_roles
from ocop_registry.service_layer.access import Caller
from ocop_registry.service_layer.services import RegistryService


def _service(request: Request) -> RegistryService:
    service: RegistryService = request.app.state.registry
    return service


ServiceDep = Annotated[RegistryService, Depends(_service)]
_optional_bearer = HTTPBearer(auto_error=False)
_writer = require_roles(
    Role.PROVINCE_OFFICE, Role.PROVINCE_SYSTEM, Role.COMMUNE_OFFICER, Role.PRODUCER
)


def _communes(token: str) -> frozenset[str] | None:
    # The signature was checked by current_principal; this only reads one extra claim.
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    communes = claims.get("communes")
    if not isinstance(communes, list):
        return None
    return frozenset(str(c) for c in communes)


def _caller(principal: Principal, credentials: HTTPAuthorizationCredentials | None) -> Caller:
    return Caller(principal, _communes(credentials.credentials) if credentials else None)


def writer(
    principal: Annotated[Principal, Depends(_writer)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer)],
) -> Caller:
    return _caller(principal, credentials)


def reader(
    principal: CurrentPrincipal,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer)],
) -> Caller:
    return _caller(principal, credentials)


def maybe_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer)],
) -> Caller | None:
    """The caller if a valid token came with the request; None for the public."""
    if credentials is None:
        return None
    secret: str = request.app.state.settings.jwt_secret.get_secret_value()
    try:
        principal = decode_token(credentials.credentials, secret)
    except (jwt.PyJWTError, ValueError):
        return None
    return _caller(principal, credentials)


Writer = Annotated[Caller, Depends(writer)]
Reader = Annotated[Caller, Depends(reader)]
MaybeCaller = Annotated[Caller | None, Depends(maybe_caller)]
