"""Which products may be promoted: only those holding a valid ≥3★ certificate. Pure.

Promotion learns certificates from evaluation's CertificateIssued / CertificateExpired /
CertificateRevoked events (all keyed by product). A ProductRated of ≥3★ alone does not make a
product placeable: the certificate is what the law (QĐ 26/2026 Art. 4.3) makes valid for 36
months, and what expiry and revocation act on. Until its CertificateIssued arrives a rated product
is "awaiting its certificate" and placing it is refused with that reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from ocop_platform.errors import DomainError


class CertificateStatus(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class Certification:
    """Promotion's copy of a product's current certificate."""

    product_id: str
    certificate_id: str | None = None
    stars: int | None = None
    valid_until: date | None = None
    status: CertificateStatus | None = None
    rated_stars: int | None = None  # the latest rating, to explain a refusal
    province_code: str | None = None  # as evaluation stated it with the certificate

    def valid_on(self, day: date) -> bool:
        return (
            self.status is CertificateStatus.VALID
            and self.stars is not None
            and self.stars >= 3
            and self.valid_until is not None
            and day <= self.valid_until
        )


def ensure_placeable(
    certification: Certification | None, today: date, *, until: date | None = None
) -> Certification:
    """Raise a DomainError (field ``product_id``) saying why the product may not be placed."""
    field = "product_id"
    if certification is None:
        raise DomainError(
            "product has no OCOP rating or certificate known to promotion", field=field
        )
    if certification.status is None:
        rated = certification.rated_stars
        if rated is not None and rated < 3:
            raise DomainError(
                f"product is rated {rated}★; only products with a valid ≥3★ certificate can be "
                "placed",
                field=field,
            )
        raise DomainError(
            f"product is rated {rated}★ but its certificate has not been issued yet",
            field=field,
        )
    if certification.status is CertificateStatus.REVOKED:
        raise DomainError(f"certificate {certification.certificate_id} was revoked", field=field)
    if not certification.valid_on(today):
        raise DomainError(
            f"certificate {certification.certificate_id} expired on {certification.valid_until}",
            field=field,
        )
    if (
        until is not None
        and certification.valid_until is not None
        and until > certification.valid_until
    ):
        raise DomainError(
            f"certificate {certification.certificate_id} is valid only until "
            f"{certification.valid_until}, before the venue's date {until}",
            field=field,
        )
    return certification


def ensure_took_part(certification: Certification | None) -> Certification:
    """A product recorded in a past fair holds or held a ≥3★ certificate promotion knows.
    Promotion keeps only the current certificate, so its status today (expired, revoked) says
    nothing of the fair's days and is not held against it."""
    if certification is None or certification.certificate_id is None:
        rated = certification.rated_stars if certification is not None else None
        known = f"rated {rated}★, " if rated is not None else ""
        raise DomainError(
            f"product {known}has no OCOP certificate known to promotion; only certified "
            "products are recorded in fairs",
            field="product_id",
        )
    if certification.stars is None or certification.stars < 3:
        raise DomainError(
            f"certificate {certification.certificate_id} is for {certification.stars}★, not ≥3★",
            field="product_id",
        )
    return certification


def lapse_applies(current_certificate_id: str | None, lapsed_certificate_id: str) -> bool:
    """An expiry or revocation acts on the product only if it concerns the certificate in force
    (the old certificate of an upgraded product expiring changes nothing)."""
    return current_certificate_id is None or current_certificate_id == lapsed_certificate_id
