"""Events owned by the registry service (topic ocop.registry.v1)."""

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from ocop_contracts import topics
from ocop_contracts.envelope import CommuneCode, Event
from ocop_contracts.legacy import LEGACY_UNIT_DESCRIPTION, LegacyUnit
from ocop_contracts.vocabulary import LegalForm, RatingLevel

VietnameseName = Annotated[str, StringConstraints(min_length=1, max_length=300)]
ProductCode = Annotated[str, StringConstraints(pattern=r"^\d{2}-\d{5}-\d{1,5}-\d{4}$")]
ScoringSetCode = Annotated[str, StringConstraints(min_length=1, max_length=16)]

_V2 = (
    "2: province_code is the 2025 province whatever registered_on is; legacy_unit gives the "
    "unit before 1 July 2025. 1 (province systems, older events): province_code is the "
    "province in the edition in force on the registration day (registered_on, else the day of "
    "occurred_at)."
)
_REGISTERED_ON = (
    "The day it was registered in the OCOP programme (Vietnam's date) when that was before the "
    "platform recorded it (an onboarded register, a province system's history, an office's "
    "back-filling); never after occurred_at's day. Absent: the day of occurred_at."
)

_ENTITY_LEGACY_UNIT = (
    "The 2008-edition unit of the producer before 1 July 2025, from its old address (absent "
    "when unknown). A registration dated before the merger is attributed to it."
)


class EntityRegistered(Event):
    """Emitted by registry when a producer (chủ thể) is registered. Aggregate: the entity."""

    type: Literal["EntityRegistered"] = "EntityRegistered"
    schema_version: int = Field(default=2, ge=1, description=_V2)
    entity_id: str
    name: VietnameseName
    legal_form: LegalForm
    commune_code: CommuneCode | None = None
    women_led: bool = False
    ethnic_minority_led: bool = False
    disability_led: bool = False
    registered_on: date | None = Field(default=None, description=_REGISTERED_ON)
    legacy_unit: LegacyUnit | None = Field(default=None, description=_ENTITY_LEGACY_UNIT)


class ProductRegistered(Event):
    """Emitted by registry when a product is registered for OCOP. Aggregate: the product."""

    type: Literal["ProductRegistered"] = "ProductRegistered"
    schema_version: int = Field(default=2, ge=1, description=_V2)
    product_id: str
    product_code: ProductCode = Field(description="QĐ 26 form: province-commune-sequence-year.")
    name: VietnameseName
    entity_id: str
    legal_form: LegalForm
    scoring_set_code: ScoringSetCode
    commune_code: CommuneCode
    women_led: bool = False
    ethnic_minority_led: bool = False
    legacy_unit: LegacyUnit | None = Field(default=None, description=LEGACY_UNIT_DESCRIPTION)
    registered_on: date | None = Field(default=None, description=_REGISTERED_ON)


class EntityUpdated(Event):
    """Emitted by registry when a producer's details change. Carries the entity's whole current
    state (same fields as EntityRegistered), so a consumer needs no earlier event."""

    type: Literal["EntityUpdated"] = "EntityUpdated"
    schema_version: int = Field(default=2, ge=1, description=_V2)
    entity_id: str
    name: VietnameseName
    legal_form: LegalForm
    commune_code: CommuneCode | None = None
    women_led: bool = False
    ethnic_minority_led: bool = False
    disability_led: bool = False
    registered_on: date | None = Field(default=None, description=_REGISTERED_ON)
    legacy_unit: LegacyUnit | None = Field(default=None, description=_ENTITY_LEGACY_UNIT)


class ProductUpdated(Event):
    """Emitted by registry when a product's details change. Carries the product's whole current
    state (same fields as ProductRegistered)."""

    type: Literal["ProductUpdated"] = "ProductUpdated"
    schema_version: int = Field(default=2, ge=1, description=_V2)
    product_id: str
    product_code: ProductCode
    name: VietnameseName
    entity_id: str
    legal_form: LegalForm
    scoring_set_code: ScoringSetCode
    commune_code: CommuneCode
    women_led: bool = False
    ethnic_minority_led: bool = False
    legacy_unit: LegacyUnit | None = Field(default=None, description=LEGACY_UNIT_DESCRIPTION)
    registered_on: date | None = Field(default=None, description=_REGISTERED_ON)


class PriorCertificateDeclared(Event):
    """Emitted by registry, in the same write as a product's ProductRegistered, when a province's
    register imported into the registry records a 3–5★ certificate the product already holds
    (issued before the platform). Aggregate: the product.

    The registry does not take the stars itself: evaluation checks the certificate against the
    rule set in force on ``issued_on`` and adopts it as a historic certificate (CertificateIssued
    and ProductRated with origin ``imported``), or dead-letters this event with the reason (e.g.
    the number is held by another product)."""

    type: Literal["PriorCertificateDeclared"] = "PriorCertificateDeclared"
    product_id: str
    certificate_id: str = Field(min_length=1, max_length=64, description="Certificate number.")
    stars: int = Field(ge=3, le=5)
    score: float = Field(ge=0, le=100, description="The council's total, 0–100 points.")
    level: RatingLevel = Field(description="Who certified: province (3–4★) or central (5★).")
    decision_ref: str = Field(
        min_length=1, max_length=100, description="The issuing decision, e.g. 1234/QĐ-UBND."
    )
    issued_on: date = Field(description="Date of the issuing decision.")
    valid_until: date = Field(description="Last valid day, as the register records it.")
    source: Literal["import"] = Field(
        default="import", description="How the registry learned it: a register import."
    )

    @model_validator(mode="after")
    def _five_stars_are_central(self) -> "PriorCertificateDeclared":
        if (self.stars == 5) != (self.level is RatingLevel.CENTRAL):
            raise ValueError("5★ is certified centrally (level=central), 3–4★ by the province")
        return self


class ProductWithdrawn(Event):
    """Emitted by registry when a producer or the province withdraws a product from OCOP."""

    type: Literal["ProductWithdrawn"] = "ProductWithdrawn"
    schema_version: int = Field(
        default=2,
        ge=1,
        description=(
            "2: province_code is the 2025 province whatever withdrawn_on is; legacy_unit gives "
            "the unit before 1 July 2025. 1: province_code in the edition in force that day."
        ),
    )
    product_id: str
    withdrawn_on: date
    reason: str = Field(min_length=1, max_length=1000)
    legacy_unit: LegacyUnit | None = Field(default=None, description=LEGACY_UNIT_DESCRIPTION)


TOPIC = topics.REGISTRY
# Every event this service publishes on TOPIC; the catalog is built from these tuples.
EVENTS: tuple[type[Event], ...] = (
    EntityRegistered,
    EntityUpdated,
    ProductRegistered,
    ProductUpdated,
    ProductWithdrawn,
    PriorCertificateDeclared,
)
