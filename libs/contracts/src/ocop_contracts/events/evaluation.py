"""Events owned by the evaluation service (topic ocop.evaluation.v1)."""

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from ocop_contracts import topics
from ocop_contracts.envelope import Event
from ocop_contracts.legacy import LEGACY_UNIT_DESCRIPTION, LegacyUnit
from ocop_contracts.vocabulary import CertificateOrigin, RatingLevel, RevocationGround

_V2 = (
    "2: province_code is the 2025 province whatever the fact's date; legacy_unit gives the "
    "unit before 1 July 2025. 1 (province systems, older events): province_code is the "
    "province in the edition in force on the fact's date."
)


class ProductRated(Event):
    """Emitted by evaluation when a council's result for a product is final.

    Aggregate: the product (its rating history), so a product's ratings stay in order.
    ``previous_stars`` is 0 for a product that was never rated.

    Province systems publish the same shape on ``ocop.ingest.evaluation.v1``; evaluation checks
    it and re-emits it here (producer ``evaluation``), carrying ``source_rating_id`` over.
    """

    type: Literal["ProductRated"] = "ProductRated"
    schema_version: int = Field(default=2, ge=1, description=_V2)
    legacy_unit: LegacyUnit | None = Field(default=None, description=LEGACY_UNIT_DESCRIPTION)
    product_id: str
    score: float = Field(ge=0, le=100, description="Council average, 0–100 points.")
    stars: int = Field(ge=1, le=5)
    previous_stars: int = Field(default=0, ge=0, le=5)
    level: RatingLevel
    rule_set_id: str = Field(description="Rule set the rating used, e.g. qd26-2026.")
    round_id: str | None = None
    rated_on: date
    scoring_set_code: str
    commune_code: str | None = None
    parts: dict[str, float] | None = Field(
        default=None,
        description="Points per part (A, B, C) when known; they add up to score.",
    )
    dossier_id: str | None = Field(default=None, description="Evaluation dossier, if any.")
    source_rating_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description=(
            "The rating's own id in the province system that published it on the ingest topic. "
            "A re-send under a new event_id with the same source_rating_id and the same content "
            "is acknowledged as a duplicate; with different content it is dead-lettered. Absent "
            "on ratings decided in evaluation itself."
        ),
    )
    origin: CertificateOrigin = Field(
        default=CertificateOrigin.COUNCIL,
        description=(
            "council: decided on the platform or by a province system's council (the default, "
            "also for events without the field). imported: the rating behind a certificate "
            "issued before the platform and adopted from a province's register; rated_on is the "
            "issuing decision's date, and it is history, not news of a new star."
        ),
    )

    @model_validator(mode="after")
    def _five_stars_are_central(self) -> "ProductRated":
        if self.stars == 5 and self.level is not RatingLevel.CENTRAL:
            raise ValueError("5★ can only be awarded by the central council (level=central)")
        return self

    @property
    def newly_certified(self) -> bool:
        """Reached ≥3★ now without having held it before (first certification)."""
        return self.stars >= 3 > self.previous_stars

    @property
    def upgraded(self) -> bool:
        return self.stars > self.previous_stars >= 3


class ProductProposedForNational(Event):
    """Emitted by evaluation when a province council's result is ≥90 points: the dossier goes to
    the central council, which alone may award 5★ (QĐ 26/2026 Art. 7.3–7.4)."""

    type: Literal["ProductProposedForNational"] = "ProductProposedForNational"
    schema_version: int = Field(default=2, ge=1, description=_V2)
    legacy_unit: LegacyUnit | None = Field(default=None, description=LEGACY_UNIT_DESCRIPTION)
    product_id: str
    score: float = Field(ge=90, le=100)
    rule_set_id: str
    round_id: str | None = None
    proposed_on: date


class CertificateIssued(Event):
    """Emitted by evaluation when a 3–5★ certificate is issued (first, upgrade or renewal).
    Valid 36 months from the decision (QĐ 26/2026 Art. 4.3)."""

    type: Literal["CertificateIssued"] = "CertificateIssued"
    schema_version: int = Field(default=2, ge=1, description=_V2)
    legacy_unit: LegacyUnit | None = Field(default=None, description=LEGACY_UNIT_DESCRIPTION)
    certificate_id: str = Field(description="Certificate number.")
    product_id: str
    stars: int = Field(ge=3, le=5)
    level: RatingLevel
    decision_ref: str = Field(description="The issuing decision, e.g. 1234/QĐ-UBND.")
    issued_on: date
    valid_until: date
    rule_set_id: str
    replaces_certificate_id: str | None = None
    origin: CertificateOrigin = Field(
        default=CertificateOrigin.COUNCIL,
        description=(
            "council: issued on the platform after a council's decision (the default, also for "
            "events without the field). imported: issued before the platform and adopted from a "
            "province's register (registry's PriorCertificateDeclared), with its real dates and "
            "the rule set in force on issued_on."
        ),
    )


class CertificateRenewalDue(Event):
    """Emitted by evaluation once, when a certificate enters its renewal window (QĐ 26: file
    180 to 120 days before expiry)."""

    type: Literal["CertificateRenewalDue"] = "CertificateRenewalDue"
    certificate_id: str
    product_id: str
    stars: int = Field(ge=3, le=5)
    valid_until: date
    window_opens_on: date
    window_closes_on: date


class CertificateExpired(Event):
    """Emitted by evaluation once, on the day after a certificate's last valid day."""

    type: Literal["CertificateExpired"] = "CertificateExpired"
    schema_version: int = Field(default=2, ge=1, description=_V2)
    legacy_unit: LegacyUnit | None = Field(default=None, description=LEGACY_UNIT_DESCRIPTION)
    certificate_id: str
    product_id: str
    stars: int = Field(ge=3, le=5)
    expired_on: date


class CertificateRevoked(Event):
    """Emitted by evaluation when the authority revokes a certificate (QĐ 26/2026 Art. 8)."""

    type: Literal["CertificateRevoked"] = "CertificateRevoked"
    schema_version: int = Field(default=2, ge=1, description=_V2)
    legacy_unit: LegacyUnit | None = Field(default=None, description=LEGACY_UNIT_DESCRIPTION)
    certificate_id: str
    product_id: str
    stars: int = Field(ge=3, le=5)
    ground: RevocationGround
    decision_ref: str
    revoked_on: date
    details: str = Field(default="", max_length=2000)


TOPIC = topics.EVALUATION
# Every event this service publishes on TOPIC; the catalog is built from these tuples.
# Aggregate of all of them: the product (its evaluation history), so one product's ratings and
# certificate events share one key, one partition and one version sequence.
EVENTS: tuple[type[Event], ...] = (
    ProductRated,
    ProductProposedForNational,
    CertificateIssued,
    CertificateRenewalDue,
    CertificateExpired,
    CertificateRevoked,
)
