"""A certificate: its stars and dates, its state (valid, replaced, revoked, expired) and the
scheduler's flags. Issued, replaced, revoked and expired by the Product aggregate."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum

from ocop_contracts import RatingLevel
from ocop_contracts.vocabulary import CertificateOrigin, RevocationGround
from ocop_evaluation.domain.records import Value, absent_until_set


class CertificateStatus(StrEnum):
    VALID = "valid"
    REPLACED = "replaced"  # by a later certificate (upgrade, re-evaluation, renewal)
    REVOKED = "revoked"
    EXPIRED = "expired"


class Revocation(Value):
    ground: RevocationGround
    decision_ref: str
    revoked_on: date
    details: str = ""


class Certificate(Value):
    """A certificate with its dates and the scheduler's state (``next_due_on``: the day the
    scheduler looks at it again; ``renewal_due_sent``: the renewal window was announced)."""

    certificate_id: str
    stars: int
    level: RatingLevel
    decision_ref: str
    issued_on: date
    valid_until: date
    expires_on: date
    renewal_opens_on: date
    renewal_closes_on: date
    rule_set_id: str
    replaces_certificate_id: str | None = None
    # council (issued here) or imported (issued before the platform, from a register).
    origin: CertificateOrigin = CertificateOrigin.COUNCIL
    status: CertificateStatus = CertificateStatus.VALID
    renewal_due_sent: bool = False
    next_due_on: date
    revocation: Revocation | None = absent_until_set()

    @property
    def is_valid(self) -> bool:
        return self.status is CertificateStatus.VALID


def new_certificate_number(province_code: str, issued_on: date) -> str:
    return f"OCOP-{province_code}-{issued_on.year}-{uuid.uuid4().hex[:8].upper()}"
