"""Events owned by the registry service (topic ocop.registry.v1)."""

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from ocop_contracts import topics
from ocop_contracts.envelope import CommuneCode, Event
from ocop_contracts.vocabulary import LegalForm

VietnameseName = Annotated[str, StringConstraints(min_length=1, max_length=300)]
ProductCode = Annotated[str, StringConstraints(pattern=r"^\d{2}-\d{5}-\d{1,5}-\d{4}$")]
ScoringSetCode = Annotated[str, StringConstraints(min_length=1, max_length=16)]


class EntityRegistered(Event):
    """Emitted by registry when a producer (chủ thể) is registered. Aggregate: the entity."""

    type: Literal["EntityRegistered"] = "EntityRegistered"
    entity_id: str
    name: VietnameseName
    legal_form: LegalForm
    commune_code: CommuneCode | None = None
    women_led: bool = False
    ethnic_minority_led: bool = False
    disability_led: bool = False


class ProductRegistered(Event):
    """Emitted by registry when a product is registered for OCOP. Aggregate: the product."""

    type: Literal["ProductRegistered"] = "ProductRegistered"
    product_id: str
    product_code: ProductCode = Field(description="QĐ 26 form: province-commune-sequence-year.")
    name: VietnameseName
    entity_id: str
    legal_form: LegalForm
    scoring_set_code: ScoringSetCode
    commune_code: CommuneCode
    women_led: bool = False
    ethnic_minority_led: bool = False


class EntityUpdated(Event):
    """Emitted by registry when a producer's details change. Carries the entity's whole current
    state (same fields as EntityRegistered), so a consumer needs no earlier event."""

    type: Literal["EntityUpdated"] = "EntityUpdated"
    entity_id: str
    name: VietnameseName
    legal_form: LegalForm
    commune_code: CommuneCode | None = None
    women_led: bool = False
    ethnic_minority_led: bool = False
    disability_led: bool = False


class ProductUpdated(Event):
    """Emitted by registry when a product's details change. Carries the product's whole current
    state (same fields as ProductRegistered)."""

    type: Literal["ProductUpdated"] = "ProductUpdated"
    product_id: str
    product_code: ProductCode
    name: VietnameseName
    entity_id: str
    legal_form: LegalForm
    scoring_set_code: ScoringSetCode
    commune_code: CommuneCode
    women_led: bool = False
    ethnic_minority_led: bool = False


class ProductWithdrawn(Event):
    """Emitted by registry when a producer or the province withdraws a product from OCOP."""

    type: Literal["ProductWithdrawn"] = "ProductWithdrawn"
    product_id: str
    withdrawn_on: date
    reason: str = Field(min_length=1, max_length=1000)


TOPIC = topics.REGISTRY
# Every event this service publishes on TOPIC; the catalog is built from these tuples.
EVENTS: tuple[type[Event], ...] = (
    EntityRegistered,
    EntityUpdated,
    ProductRegistered,
    ProductUpdated,
    ProductWithdrawn,
)
