"""Which products may be promoted: only those holding a valid ≥3★ certificate. Pure.

Promotion learns certificates from evaluation's CertificateIssued / CertificateExpired /
CertificateRevoked events (all keyed by product). A ProductRated of ≥3★ alone does not make a
product placeable: the certificate is what the law (QĐ 26/2026 Art. 4.3) makes valid for 36
months, and what expiry and revocation act on. Until its CertificateIssued arrives a rated product
is "awaiting its certificate" and placing it is refused with that reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from ocop_contracts.vocabulary import DelistReason
from ocop_platform.errors import DomainError


class CertificateStatus(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class CertificatePeriod:
    """One certificate a product held, as evaluation stated it: valid from the day it was
    issued through its last valid day, or until the day before it was revoked."""

    certificate_id: str
    stars: int
    issued_on: date
    valid_until: date
    revoked_on: date | None = None

    @property
    def last_day(self) -> date:
        if self.revoked_on is not None and self.revoked_on <= self.valid_until:
            return self.revoked_on - timedelta(days=1)
        return self.valid_until

    def describe(self) -> str:
        end = (
            f"revoked on {self.revoked_on.isoformat()}"
            if self.revoked_on is not None and self.revoked_on <= self.valid_until
            else f"valid until {self.valid_until.isoformat()}"
        )
        return (
            f"{self.certificate_id} ({self.stars}★) issued on {self.issued_on.isoformat()}, {end}"
        )


@dataclass(frozen=True)
class Certification:
    """Promotion's copy of a product's current certificate, and every certificate it held."""

    product_id: str
    certificate_id: str | None = None
    stars: int | None = None
    valid_until: date | None = None
    status: CertificateStatus | None = None
    rated_stars: int | None = None  # the latest rating, to explain a refusal
    province_code: str | None = None  # as evaluation stated it with the certificate
    issued_on: date | None = None
    # Every certificate the product held (CertificateIssued, with CertificateRevoked's day), so
    # a placement entered as history is checked against the certificate of its own days.
    periods: tuple[CertificatePeriod, ...] = ()

    def held(self) -> list[CertificatePeriod]:
        """The certificates the product held, oldest first: the recorded periods and the
        certificate in force (a copy written before periods were recorded has only that one;
        its revocation day, if revoked then, is unknown and not held against it)."""
        periods = list(self.periods)
        known = {period.certificate_id for period in periods}
        if (
            self.certificate_id is not None
            and self.certificate_id not in known
            and self.stars is not None
            and self.issued_on is not None
            and self.valid_until is not None
        ):
            current = CertificatePeriod(
                self.certificate_id, self.stars, self.issued_on, self.valid_until
            )
            periods.append(current)
        return sorted(periods, key=lambda p: (p.issued_on, p.certificate_id))

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


def first_day_without_certificate(
    periods: Iterable[CertificatePeriod], first_day: date, last_day: date
) -> date | None:
    """The first day from `first_day` through `last_day` on which none of the certificates was
    valid (None: every day was covered, by one certificate or by a renewal after another)."""
    day = first_day
    for period in sorted(periods, key=lambda p: p.issued_on):
        if period.stars < 3 or period.last_day < day:
            continue
        if period.issued_on > day:
            break
        day = period.last_day + timedelta(days=1)
        if day > last_day:
            return None
    return day


def ensure_certified_through(
    certification: Certification | None, first_day: date, last_day: date, *, field: str
) -> Certification:
    """A placement entered as history (a past fair's days, a showroom's first day) is of a
    product that held a valid ≥3★ certificate on each of its days: a product certified in 2022
    was not an OCOP product in a 2021 showroom. DomainError naming `field` otherwise."""
    certification = ensure_took_part(certification)
    periods = certification.held()
    missing = first_day_without_certificate(periods, first_day, last_day)
    if missing is None:
        return certification
    held = "; ".join(period.describe() for period in periods) or "none known"
    raise DomainError(
        f"product {certification.product_id} held no valid OCOP certificate on "
        f"{missing.isoformat()} (its certificates: {held})",
        field=field,
    )


@dataclass(frozen=True)
class CoverageEnd:
    """Where a product's continuous certificate coverage from some day stopped: the first day
    it held no valid ≥3★ certificate (the day the live path takes a product down: evaluation's
    CertificateExpired fires on the day after the last valid day, a revocation acts on its own
    day), and the certificate whose end it was."""

    delisted_on: date
    certificate_id: str | None
    revoked: bool

    @property
    def reason(self) -> DelistReason:
        if self.revoked:
            return DelistReason.CERTIFICATE_REVOKED
        return DelistReason.CERTIFICATE_EXPIRED


def coverage_end(certification: Certification, since: date, today: date) -> CoverageEnd | None:
    """When a product valid on `since` stopped holding a valid certificate by `today` (one
    certificate, or renewals without a gap); None: it still holds one today, and the live
    path (CertificateExpired, CertificateRevoked, the sweep) will take it down when that
    ends. A placement entered as history after its product's certificate lapsed is ended
    with it: the lapse was handled before the placement existed, and nothing else would."""
    periods = certification.held()
    missing = first_day_without_certificate(periods, since, today)
    if missing is None:
        if certification.status in (CertificateStatus.EXPIRED, CertificateStatus.REVOKED):
            # The certificate in force lapsed and its day is unknown (a copy older than the
            # revocations kept): it ends today, as the live path would have ended it.
            revoked = certification.status is CertificateStatus.REVOKED
            return CoverageEnd(today, certification.certificate_id, revoked)
        return None
    last_day = missing - timedelta(days=1)
    ended = [p for p in periods if p.stars >= 3 and p.last_day == last_day]
    if not ended:  # not reached: `since` was checked to be covered, so a period ended then
        return CoverageEnd(missing, None, revoked=False)
    period = ended[-1]
    revoked = period.revoked_on is not None and period.revoked_on <= period.valid_until
    return CoverageEnd(missing, period.certificate_id, revoked)


def lapse_applies(current_certificate_id: str | None, lapsed_certificate_id: str) -> bool:
    """An expiry or revocation acts on the product only if it concerns the certificate in force
    (the old certificate of an upgraded product expiring changes nothing)."""
    return current_certificate_id is None or current_certificate_id == lapsed_certificate_id
