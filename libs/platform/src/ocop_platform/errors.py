"""Domain errors and how they reach HTTP callers: the same shape as FastAPI's own 422 body."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # FastAPI only at the HTTP edge: domain code imports the errors without it
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse


class DomainError(Exception):
    """A rule the request broke. ``field`` names the offending input (dotted path)."""

    status_code = 422
    error_type = "domain_rule"
    # False: the same request or message would break the rule again (a consumer dead-letters it
    # at once). True: it may succeed later, e.g. after a concurrent save (retried).
    retryable = False

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    status_code = 404
    error_type = "not_found"


class Conflict(DomainError):
    status_code = 409
    error_type = "conflict"


def _as_response(_: Request, exc: Exception) -> JSONResponse:
    from fastapi.responses import JSONResponse

    assert isinstance(exc, DomainError)
    location = ["body", *exc.field.split(".")] if exc.field else []
    body = {"detail": [{"loc": location, "msg": exc.message, "type": exc.error_type}]}
    return JSONResponse(body, status_code=exc.status_code)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _as_response)
