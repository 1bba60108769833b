"""What the API returns. Public views never carry the representative's personal data."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ocop_contracts import LegalForm
from ocop_contracts.reference import current_communes, find_province, scoring_sets
from ocop_registry.domain.commands import Contacts, LegacyAddress, Representative
from ocop_registry.domain.duplicates import NearDuplicate
from ocop_registry.domain.lifecycle import Validity
from ocop_registry.domain.model import Channel
from ocop_registry.domain.producers import Producer
from ocop_registry.domain.products import Product


class _View(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Unit(_View):
    code: str
    name: str


def province_unit(code: str) -> Unit:
    return Unit(code=code, name=find_province(code).name)


def commune_unit(code: str) -> Unit:
    commune = current_communes().get(code)
    return Unit(code=code, name=commune.name if commune else "")


class SourceView(_View):
    """The province system a record came from on the ingest topic, and its id there."""

    system: str
    province_code: str
    id: str
    event_id: str


class EntityPublic(_View):
    entity_id: str
    name: str
    legal_form: LegalForm
    province_code: str
    commune_code: str
    women_led: bool
    ethnic_minority_led: bool
    disability_led: bool
    registered_on: date | None = Field(
        default=None, description="The day it joined the programme, when back-filled."
    )
    source: SourceView | None = None


class EntityFull(EntityPublic):
    """The whole producer record: for offices of its unit, the producer's own accounts and the
    Ministry."""

    tax_code: str | None = None
    registration_number: str | None = None
    legacy_address: LegacyAddress | None = None
    representative: Representative | None = None
    contacts: Contacts | None = None
    accounts: list[str] = []
    version: int
    dossier_gaps: list[str] = Field(
        default=[], description="What a QĐ 26 dossier will ask for that the record lacks."
    )


class CertificateView(_View):
    certificate_id: str
    stars: int
    issued_on: date | None = None
    valid_until: date
    decision_ref: str = ""
    revoked_on: date | None = None
    expired_on: date | None = None


class DeclaredCertificateView(_View):
    """A certificate an imported register records, as declared to evaluation: the stars and
    certificate above are evaluation's once it has adopted it."""

    certificate_id: str
    stars: int
    score: float | None = None
    decision_ref: str | None = None
    certified_on: date | None = None
    level: str | None = None
    valid_until: date | None = None


class ProductView(_View):
    product_id: str
    product_code: str | None
    legacy_product_code: str | None = None
    name: str
    entity_id: str
    entity_name: str
    legal_form: LegalForm
    women_led: bool
    ethnic_minority_led: bool
    province_code: str
    commune_code: str
    legacy_province_code: str | None = None
    scoring_set_code: str
    group_code: str
    sector_code: str
    legacy_classification: str | None = None
    year: int
    status: str
    stars: int
    score: float | None = None
    rated_on: date | None = None
    certificate: CertificateView | None = None
    declared_certificate: DeclaredCertificateView | None = None
    description: str | None = None
    story: str | None = None
    raw_material_origin: str | None = None
    raw_material_local_share: float | None = None
    local_labour: int | None = None
    trademark: str | None = None
    geographical_indication: str | None = None
    traceability: str | None = None
    channels: list[Channel] = []
    withdrawn: dict[str, Any] | None = None
    version: int
    registered_at: datetime | None = None
    registered_on: date | None = Field(
        default=None, description="The day it joined the programme, when back-filled."
    )
    legacy_unit: LegacyAddress | None = Field(
        default=None, description="Its units before 1 July 2025 (legacy code or old address)."
    )
    source: SourceView | None = None


class NearDuplicateView(_View):
    product_id: str
    product_code: str | None
    name: str
    commune_code: str
    similarity: float
    same_commune: bool


class RegisteredProduct(ProductView):
    warnings: list[NearDuplicateView] = Field(
        default=[],
        description="Existing products of the same commune or province with a close name. "
        "Registration goes ahead; the office should check before certifying.",
    )


class ProductPage(_View):
    items: list[ProductView]
    total: int
    page: int
    page_size: int


class LookupResult(_View):
    """One request answers "is this OCOP product's star rating valid today?"."""

    product_code: str | None
    legacy_product_code: str | None
    name: str
    producer: str
    legal_form: LegalForm
    province: Unit
    commune: Unit
    scoring_set: Unit
    status: str
    stars: int
    certificate: CertificateView | None
    valid_today: bool
    valid_until: date | None
    validity_basis: str = Field(description="certificate, rating (no certificate yet) or none")
    validity_note: str
    checked_on: date


def entity_full(producer: Producer) -> EntityFull:
    return EntityFull.model_validate(producer.model_dump())


def entity_public(producer: Producer) -> EntityPublic:
    """No personal data, no registration numbers."""
    return EntityPublic.model_validate(producer.model_dump())


def _product_fields(product: Product) -> dict[str, Any]:
    """A product's fields as the views name them (its details at the top level)."""
    return {**product.model_dump(exclude={"details"}), **product.details.model_dump()}


def product_view(product: Product) -> ProductView:
    return ProductView.model_validate(_product_fields(product))


def registered_product(product: Product, warnings: list[NearDuplicate]) -> RegisteredProduct:
    return RegisteredProduct.model_validate(
        {**_product_fields(product), "warnings": [asdict(w) for w in warnings]}
    )


def lookup_result(product: Product, validity: Validity, today: date) -> LookupResult:
    scoring_set = scoring_sets().get(product.scoring_set_code)
    return LookupResult(
        product_code=product.product_code,
        legacy_product_code=product.legacy_product_code,
        name=product.name,
        producer=product.entity_name,
        legal_form=product.legal_form,
        province=province_unit(product.province_code),
        commune=commune_unit(product.commune_code),
        scoring_set=Unit(
            code=product.scoring_set_code, name=scoring_set.name_vi if scoring_set else ""
        ),
        status=product.status,
        stars=product.stars,
        certificate=None if product.certificate is None else asdict(product.certificate),
        valid_today=validity.valid,
        valid_until=validity.valid_until,
        validity_basis=validity.basis,
        validity_note=validity.reason,
        checked_on=today,
    )
