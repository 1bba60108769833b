"""Request dependencies: the service, who is calling, and a creating request's
Idempotency-Key."""

from __future__ import annotations

from typing import Annotated, Any

import jwt
from fastapi import Depends, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError

from ocop_platform.auth import CurrentPrincipal, Principal, decode_token, require_roles
from ocop_registry.domain.idempotency import HEADER, KEY_PATTERN, MAX_KEY_LENGTH, KeyReused
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


def _idempotency_key(answered: str, repeat: str) -> Any:
    """The header's parameter, described for one endpoint (``answered``: its first answer,
    ``repeat``: what a repeat creates nothing more of and is answered with)."""
    description = (
        'Makes the request safe to retry (the convention of Stripe and the IETF draft "The '
        'Idempotency-Key HTTP Header Field"): an opaque string of your choice, unique per '
        f"request, e.g. a UUID (visible ASCII, at most {MAX_KEY_LENGTH} characters). The first "
        f"request with a key is handled as usual and answered {answered}; a repeat of it (the "
        "same caller, key and body), also while the first is still in flight or after it was "
        f"cut short, {repeat}. The same key with another body: 422 naming this header. Without "
        "it, each request is handled as new (a retry creates again)."
    )
    return Header(
        alias=HEADER,
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        pattern=KEY_PATTERN,
        description=description,
        examples=["3f1c2b9e-6d4a-4e8b-9a51-2c7d0e5f8a10"],
    )


IdempotencyKey = Annotated[
    str | None,
    _idempotency_key(
        "201",
        "creates nothing more and is answered 200 with the record it created (as it is now)",
    ),
]
ImportIdempotencyKey = Annotated[
    str | None,
    _idempotency_key(
        "202 with a new job",
        "starts no second job and is answered 200 with the first one's job (its progress as "
        "it is now); the body is the form's fields and the file's bytes",
    ),
]
REPEATED: dict[int | str, dict[str, Any]] = {
    200: {"description": "A repeat of a request with the same Idempotency-Key and body"}
}


def key_reused(error: KeyReused) -> RequestValidationError:
    """The 422 of a reused key, located in the header (not the body) as FastAPI locates them."""
    return RequestValidationError(
        [{"type": "idempotency_key_reused", "loc": ("header", HEADER), "msg": error.message}]
    )
