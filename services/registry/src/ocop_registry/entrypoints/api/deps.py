"""Request dependencies: the service and who is calling."""

from __future__ import annotations

from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError

from ocop_platform.auth import CurrentPrincipal, Principal, decode_token, require_roles
from ocop_registry.service_layer.access import WRITERS, Caller
from ocop_registry.service_layer.services import RegistryService


def _service(request: Request) -> RegistryService:
    service: RegistryService = request.app.state.registry
    return service


ServiceDep = Annotated[RegistryService, Depends(_service)]
_optional_bearer = HTTPBearer(auto_error=False)


def writer(principal: Annotated[Principal, Depends(require_roles(*WRITERS))]) -> Caller:
    return principal


def reader(principal: CurrentPrincipal) -> Caller:
    return principal


def maybe_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer)],
) -> Caller | None:
    """The caller if a valid token came with the request; None for the public."""
    if credentials is None:
        return None
    secret: str = request.app.state.settings.jwt_secret.get_secret_value()
    try:
        return decode_token(credentials.credentials, secret)
    except (jwt.PyJWTError, ValidationError, ValueError):
        return None


Writer = Annotated[Caller, Depends(writer)]
Reader = Annotated[Caller, Depends(reader)]
MaybeCaller = Annotated[Caller | None, Depends(maybe_caller)]
