"""A product's evaluation state as evaluation's events move it. Pure: no I/O.

Evaluation emits all of a product's events under one aggregate (the product) with one version
sequence, so the registry applies an event only when its version is newer than the last applied
one; a repeat or a late older event changes nothing.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date
from typing import TypeAlias

from ocop_contracts.events.evaluation import (
    CertificateExpired,
    CertificateIssued,
    CertificateRenewalDue,
    CertificateRevoked,
    ProductProposedForNational,
    ProductRated,
)
from ocop_registry.domain.model import ProductStatus, status_for

EvaluationEvent: TypeAlias = (
    ProductRated
    | ProductProposedForNational
    | CertificateIssued
    | CertificateRenewalDue
    | CertificateExpired
    | CertificateRevoked
)
CERTIFICATE_MONTHS = 36  # QĐ 26/2026 Art. 4.3


@dataclass(frozen=True)
class Certificate:
    certificate_id: str
    stars: int
    issued_on: date
    valid_until: date
    decision_ref: str = ""
    revoked_on: date | None = None
    expired_on: date | None = None


@dataclass(frozen=True)
class EvaluationState:
    status: ProductStatus = ProductStatus.REGISTERED
    stars: int = 0
    score: float | None = None
    rated_on: date | None = None
    certificate: Certificate | None = None


def _status(state: EvaluationState, new: ProductStatus) -> ProductStatus:
    """A withdrawn (or draft) product keeps that status; evaluation facts are still recorded."""
    if state.status in (ProductStatus.WITHDRAWN, ProductStatus.DRAFT):
        return state.status
    return new


def _is_current(state: EvaluationState, certificate_id: str) -> bool:
    cert = state.certificate
    return cert is None or cert.certificate_id == certificate_id


def apply_evaluation(state: EvaluationState, event: EvaluationEvent) -> EvaluationState:
    """The state after `event` (which the caller has checked is newer than the last applied)."""
    if isinstance(event, ProductRated):
        return replace(
            state,
            status=_status(state, status_for(event.stars)),
            stars=event.stars,
            score=event.score,
            rated_on=event.rated_on,
        )
    if isinstance(event, ProductProposedForNational):
        return replace(state, status=_status(state, ProductStatus.IN_EVALUATION))
    if isinstance(event, CertificateIssued):
        cert = Certificate(
            certificate_id=event.certificate_id,
            stars=event.stars,
            issued_on=event.issued_on,
            valid_until=event.valid_until,
            decision_ref=event.decision_ref,
        )
        status = _status(state, ProductStatus.CERTIFIED)
        return replace(state, status=status, stars=event.stars, certificate=cert)
    # The remaining events concern one certificate; one superseded by a newer certificate is moot.
    if not _is_current(state, event.certificate_id):
        return state
    cert = state.certificate or Certificate(
        certificate_id=event.certificate_id,
        stars=event.stars,
        issued_on=event.valid_until if isinstance(event, CertificateRenewalDue) else date.min,
        valid_until=_valid_until_of(event),
    )
    if isinstance(event, CertificateRenewalDue):
        cert = replace(cert, valid_until=event.valid_until)
        return replace(state, status=_status(state, ProductStatus.RENEWAL_DUE), certificate=cert)
    if isinstance(event, CertificateExpired):
        cert = replace(cert, expired_on=event.expired_on)
        return replace(state, status=_status(state, ProductStatus.EXPIRED), certificate=cert)
    cert = replace(cert, revoked_on=event.revoked_on)
    return replace(state, status=_status(state, ProductStatus.REVOKED), certificate=cert)


def _valid_until_of(event: CertificateRenewalDue | CertificateExpired | CertificateRevoked) -> date:
    if isinstance(event, CertificateRenewalDue):
        valid_until: date = event.valid_until
        return valid_until
    if isinstance(event, CertificateExpired):
        return date.fromordinal(event.expired_on.toordinal() - 1)
    revoked_on: date = event.revoked_on
    return revoked_on


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def certificate_end(issued_on: date) -> date:
    """The last day of a certificate issued on ``issued_on`` (it runs 36 months)."""
    return date.fromordinal(add_months(issued_on, CERTIFICATE_MONTHS).toordinal() - 1)


@dataclass(frozen=True)
class Validity:
    valid: bool
    valid_until: date | None
    basis: str  # "certificate", "rating" (no certificate event yet) or "none"
    reason: str


def validity_on(state: EvaluationState, today: date) -> Validity:
    """Whether the product's OCOP stars are valid on `today`, and why (for the public lookup)."""
    if state.status is ProductStatus.WITHDRAWN:
        return Validity(False, None, "none", "the product was withdrawn from OCOP")
    cert = state.certificate
    if cert is not None:
        if cert.revoked_on is not None and cert.revoked_on <= today:
            return Validity(False, cert.valid_until, "certificate", "the certificate was revoked")
        if state.status is ProductStatus.EXPIRED or cert.valid_until < today:
            return Validity(False, cert.valid_until, "certificate", "the certificate has expired")
        return Validity(True, cert.valid_until, "certificate", "certificate valid")
    if state.stars >= 3 and state.rated_on is not None:
        # Rated but no CertificateIssued yet: a certificate runs 36 months from the decision.
        until = certificate_end(state.rated_on)
        if until < today:
            return Validity(False, until, "rating", "the rating is older than 36 months")
        return Validity(True, until, "rating", "rated ≥3★; certificate not yet recorded")
    if state.stars:
        return Validity(False, None, "none", "rated below 3★: no certificate")
    return Validity(False, None, "none", "not rated yet")
