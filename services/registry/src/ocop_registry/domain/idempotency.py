"""Creating requests safe to retry: the ``Idempotency-Key`` header of ``POST /entities``,
``POST /products`` and ``POST /imports`` (the convention of Stripe and the IETF draft "The
Idempotency-Key HTTP Header Field": a client-chosen opaque string, e.g. a UUID). Pure: no I/O.

The id of what the request creates (an aggregate, an import job) is derived from (the caller's
token subject, the key), so its insert — an aggregate's state and its event in one document, a
job's one document — is itself the guard: a repeat, or a retry of an attempt still in flight or
cut short, lands on the same ``_id`` and can never create a second producer, product or job, nor
a second event. There is no separate idempotency record written in a second step, hence no
crash window between the two. The record carries the request's fingerprint, which a repeat is
compared with: the same → the record (200); another → 422.
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel

from ocop_platform.errors import DomainError

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
KEY_PATTERN = r"^[\x21-\x7e]+$"  # visible ASCII, no spaces: an opaque token such as a UUID
# 24 hex digits (96 bits): never the 12 of a random or an ingested id, and no two keys alike.
_ID_DIGITS = 24


class KeyReused(DomainError):
    """The key of an earlier request, sent with another body (422 naming the header)."""

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(
            f"this {HEADER} was first sent with another body (which created {aggregate_id}); "
            "a retry repeats the same body, a new request takes a new key",
            field=HEADER,
        )
        self.aggregate_id = aggregate_id


class IdempotentRequest:
    """A creating request sent with an ``Idempotency-Key``: the id its record (aggregate or
    job) gets, and the fingerprint of what it asked for."""

    def __init__(self, subject: str, key: str, command: BaseModel) -> None:
        # The caller's subject scopes the key: two callers' keys never meet.
        self._scope = hashlib.sha256(f"{subject}\x00{key}".encode()).hexdigest()
        self.fingerprint = request_fingerprint(command)

    def aggregate_id(self, prefix: str) -> str:
        return f"{prefix}-{self._scope[:_ID_DIGITS]}"

    def check_repeat(self, aggregate_id: str, stored_fingerprint: str | None) -> None:
        """The record found under this request's id was created by the same request, or the
        key was reused with another body (KeyReused)."""
        if stored_fingerprint != self.fingerprint:
            raise KeyReused(aggregate_id)


def request_fingerprint(command: BaseModel) -> str:
    """The digest of a validated command: the same whatever the JSON's key order, spacing or
    Unicode form (commands normalise text), different when any field differs."""
    canonical = f"{type(command).__name__}:{command.model_dump_json()}"
    return hashlib.sha256(canonical.encode()).hexdigest()
