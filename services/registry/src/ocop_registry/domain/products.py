"""A product as the registry keeps it. Pure: no I/O.

A product is saved as a draft (no code, no event, version 0) or registered: it gets its QĐ 26 code
and ProductRegistered (version 1). Its ``version`` counts its events (ProductRegistered,
ProductUpdated, ProductWithdrawn, and PriorCertificateDeclared for an imported certified one):
the contract's ``aggregate_version``, also shown to clients.
It carries its producer's name, legal form and leadership flags (search filters on them); what
evaluation's events say (stars, certificate, status) and its producer's name change it without an
event of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, computed_field

from ocop_contracts import LegalForm, RatingLevel
from ocop_contracts.clock import business_date
from ocop_contracts.events.registry import (
    PriorCertificateDeclared,
    ProductRegistered,
    ProductUpdated,
    ProductWithdrawn,
)
from ocop_contracts.legacy import LegacyUnit
from ocop_contracts.reference import fold_vi
from ocop_platform.aggregates import EventVersionedAggregate
from ocop_platform.errors import Conflict, DomainError
from ocop_platform.logging import trace_fields
from ocop_registry.domain import rules
from ocop_registry.domain.codes import GivenCode, legacy_unit_of_code
from ocop_registry.domain.commands import (
    LegacyAddress,
    ProductDetails,
    RegisterProduct,
    UpdateProduct,
)
from ocop_registry.domain.duplicates import NearDuplicate
from ocop_registry.domain.ingest import IngestSource
from ocop_registry.domain.lifecycle import (
    Certificate,
    EvaluationEvent,
    EvaluationState,
    apply_evaluation,
    certificate_end,
)
from ocop_registry.domain.model import ProductStatus, status_for
from ocop_registry.domain.producers import SERVICE, Producer, legacy_unit_of

# What a product carries of its producer and publishes in its events.
_CARRIED = ("legal_form", "women_led", "ethnic_minority_led")
_DETAILS = set(ProductDetails.model_fields)


class CodeTaken(Conflict):
    """A product code (or a draft's key) another product has."""

    def __init__(self, code: str) -> None:
        super().__init__(f"product code {code} is taken", field="product_code")
        self.code = code


class Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Withdrawal(Value):
    on: date
    reason: str
    by: str  # the subject of the token that withdrew it


class ImportedRating(Value):
    """The stars (and for 3–5★ the certificate) a register row records for a product rated
    before the platform (checked by ``domain/certified.py``)."""

    stars: int
    score: float | None = None
    certified_on: date | None = None  # the issuing decision's date (the rating's, for 1–2★)
    certificate_id: str | None = None
    decision_ref: str | None = None
    level: RatingLevel | None = None
    valid_until: date | None = None

    @property
    def certifies(self) -> bool:
        return self.stars >= 3


class Product(EventVersionedAggregate):
    kind = "product"

    name: str
    name_fold: str
    year: int
    details: ProductDetails = Field(default_factory=ProductDetails)
    product_code: str | None = None
    code_key: str  # unique: the code once registered, "draft:<id>" before
    legacy_product_code: str | None = None
    given_sequence: int = 0  # a draft's given QĐ 26 code keeps its number when registered
    entity_id: str
    entity_name: str
    legal_form: LegalForm
    women_led: bool
    ethnic_minority_led: bool
    province_code: str
    commune_code: str
    legacy_province_code: str | None = None
    # The unit before 1 July 2025 (from the legacy code, else the producer's old address).
    legacy_unit: LegacyUnit | None = None
    # Its own old address, when neither its legacy code nor its producer's gives the unit.
    legacy_address: LegacyAddress | None = None
    scoring_set_code: str
    group_code: str
    sector_code: str
    legacy_classification: str | None = None
    status: ProductStatus = ProductStatus.DRAFT
    evaluation_version: int = 0  # of the last evaluation event applied
    stars: int = 0
    score: float | None = None
    rated_on: date | None = None
    certificate: Certificate | None = None
    withdrawn: Withdrawal | None = None
    near_duplicates: list[NearDuplicate] = Field(default_factory=list)
    created_at: datetime
    registered_at: datetime | None = None
    # The day it joined the programme when before registered_at's (history back-filled).
    registered_on: date | None = None
    updated_at: datetime | None = None
    imported: bool = False
    source: IngestSource | None = None  # the province system it came from (ingest)
    # The certificate a register declared for evaluation to adopt (stars come from evaluation).
    declared_certificate: ImportedRating | None = None
    # The fingerprint of the request that created it with an Idempotency-Key (its repeats are
    # compared with it: domain/idempotency.py).
    request_fingerprint: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def product_id(self) -> str:
        return self.id

    @property
    def is_draft(self) -> bool:
        return self.status is ProductStatus.DRAFT

    @property
    def evaluation_state(self) -> EvaluationState:
        return EvaluationState(self.status, self.stars, self.score, self.rated_on, self.certificate)

    @classmethod
    def draft(
        cls,
        product_id: str,
        cmd: RegisterProduct,
        producer: Producer,
        classification: rules.Classification,
        now: datetime,
        *,
        given: GivenCode | None = None,
        warnings: Sequence[NearDuplicate] = (),
        source: IngestSource | None = None,
        imported: bool = False,
        request_fingerprint: str | None = None,
    ) -> Self:
        """A product of ``producer``, saved but not registered (see :meth:`register`);
        ``warnings``: the products of its province with a close name when it was saved."""
        given = given or GivenCode()
        rules.check_registered_on(cmd.registered_on, business_date(now))
        if cmd.legacy_address is not None:
            rules.check_legacy_address(cmd.legacy_address, producer.province_code)
        return cls(
            id=product_id,
            name=cmd.name,
            name_fold=fold_vi(cmd.name),
            year=cmd.year,
            details=ProductDetails(**{name: getattr(cmd, name) for name in _DETAILS}),
            code_key=f"draft:{product_id}",
            legacy_product_code=given.legacy_code,
            given_sequence=given.sequence,
            entity_id=producer.id,
            entity_name=producer.name,
            **{name: getattr(producer, name) for name in _CARRIED},
            province_code=producer.province_code,
            commune_code=producer.commune_code,
            legacy_province_code=given.legacy_province_code,
            legacy_unit=_legacy_unit(given.legacy_code, producer, cmd.legacy_address),
            legacy_address=cmd.legacy_address,
            registered_on=cmd.registered_on,
            **_classified(classification),
            near_duplicates=list(warnings),
            created_at=now,
            source=source,
            imported=imported,
            request_fingerprint=request_fingerprint,
        )

    def check_registrable(self) -> None:
        """Only a draft is registered (checked before a code is allocated for it)."""
        if not self.is_draft:
            raise Conflict(f"product {self.id} is already registered", field="product_id")

    def register(self, code: str, now: datetime) -> None:
        """Register a draft under its QĐ 26 code: ProductRegistered (version 1)."""
        self.check_registrable()
        self.product_code = self.code_key = code
        self.status = ProductStatus.REGISTERED
        self.registered_at = now
        self.record(ProductRegistered(**self._event_fields()))

    def update(self, cmd: UpdateProduct, now: datetime) -> None:
        """Change what ``cmd`` gives; ProductUpdated once registered (a draft: no event)."""
        if self.status is ProductStatus.WITHDRAWN:
            raise Conflict("a withdrawn product cannot change", field="product_id")
        given = cmd.model_fields_set
        if "name" in given and cmd.name is None:
            raise DomainError("name cannot be removed", field="name")
        found = rules.scoring_set(cmd.scoring_set_code or self.scoring_set_code)
        rules.check_legal_form_for(self.legal_form, found, "scoring_set_code")
        if "legacy_classification" in given:
            self.legacy_classification = rules.check_legacy_classification(
                cmd.legacy_classification, found, "legacy_classification"
            )
        self.scoring_set_code, self.group_code = found.code, found.group_code
        self.sector_code = found.sector_code
        if cmd.name is not None:
            self.name, self.name_fold = cmd.name, fold_vi(cmd.name)
        changed = {name: getattr(cmd, name) for name in given & _DETAILS}
        if changed.get("channels", ()) is None:  # channels are emptied with [], not null
            del changed["channels"]
        self.details = self.details.model_copy(update=changed)
        self.updated_at = now
        self._changed(published=True)

    def withdraw(self, on: date, reason: str, by: str) -> None:
        """Withdraw from OCOP (final): ProductWithdrawn."""
        if self.status is ProductStatus.WITHDRAWN:
            raise Conflict(f"product {self.id} is already withdrawn", field="product_id")
        if self.is_draft:
            raise Conflict("a draft is not registered: nothing to withdraw", field="product_id")
        self.record(
            ProductWithdrawn(
                **self._envelope(),
                product_id=self.id,
                withdrawn_on=on,
                reason=reason,
                legacy_unit=self._legacy_unit(),
            )
        )
        self.status = ProductStatus.WITHDRAWN
        self.withdrawn = Withdrawal(on=on, reason=reason, by=by)

    def follow(self, producer: Producer) -> bool:
        """Take the producer's current name, legal form and flags; ProductUpdated when a
        published one changed on a registered product. False: nothing to take."""
        legacy = _legacy_unit(self.legacy_product_code, producer, self.legacy_address)
        published = legacy != self.legacy_unit or any(
            getattr(self, name) != getattr(producer, name) for name in _CARRIED
        )
        if not published and self.entity_name == producer.name:
            return False
        for name in _CARRIED:
            setattr(self, name, getattr(producer, name))
        self.legacy_unit = legacy
        if legacy is not None:
            self.legacy_province_code = legacy.province_code
        self.entity_name = producer.name
        self._changed(published=published)
        return True

    def apply_evaluation(self, event: EvaluationEvent) -> bool:
        """Keep stars, certificate and status current with evaluation's events; an event not
        newer than the last one applied (a repeat, a late one) changes nothing: False."""
        if event.aggregate_version <= self.evaluation_version:
            return False
        state = apply_evaluation(self.evaluation_state, event)
        self.status, self.stars, self.score = state.status, state.stars, state.score
        self.rated_on, self.certificate = state.rated_on, state.certificate
        self.evaluation_version = event.aggregate_version
        self.touch()  # evaluation's facts: evaluation published them
        return True

    def take_imported_rating(self, rating: ImportedRating) -> None:
        """A register row's earlier rating. 1–2★ (no certificate): its stars. 3–5★: the
        certificate is declared to evaluation (PriorCertificateDeclared, in this same write),
        whose CertificateIssued then gives the stars and validity, as for any certificate."""
        if rating.certifies:
            self._declare_prior_certificate(rating)
            return
        self.stars, self.rated_on = rating.stars, rating.certified_on
        self.status = status_for(rating.stars)
        self.touch()

    # --- internals -----------------------------------------------------------------------

    def _declare_prior_certificate(self, rating: ImportedRating) -> None:
        if self.is_draft:
            raise Conflict("a draft is not registered: nothing to certify", field="product_id")
        if None in (rating.certified_on, rating.certificate_id, rating.decision_ref, rating.score):
            raise DomainError("a certificate needs its number, decision, date and score")
        assert rating.certified_on is not None  # for mypy: checked just above
        self.record(
            PriorCertificateDeclared(
                **self._envelope(),
                product_id=self.id,
                certificate_id=rating.certificate_id,
                stars=rating.stars,
                score=rating.score,
                level=rating.level or RatingLevel.PROVINCE,
                decision_ref=rating.decision_ref,
                issued_on=rating.certified_on,
                valid_until=rating.valid_until or certificate_end(rating.certified_on),
            )
        )
        self.declared_certificate = rating

    def _changed(self, *, published: bool) -> None:
        if published and not self.is_draft:
            self.record(ProductUpdated(**self._event_fields()))
        else:
            self.touch()

    def _envelope(self) -> dict[str, Any]:
        return {
            "producer": SERVICE,
            **trace_fields(),
            "aggregate_id": self.id,
            "aggregate_version": self.next_version,
            "province_code": self.province_code,
        }

    def _event_fields(self) -> dict[str, Any]:
        return {
            **self._envelope(),
            "product_id": self.id,
            "product_code": self.product_code,
            "name": self.name,
            "entity_id": self.entity_id,
            "legal_form": self.legal_form,
            "scoring_set_code": self.scoring_set_code,
            "commune_code": self.commune_code,
            "women_led": self.women_led,
            "ethnic_minority_led": self.ethnic_minority_led,
            "legacy_unit": self._legacy_unit(),
            "registered_on": self.registered_on,
        }

    def _legacy_unit(self) -> LegacyUnit | None:
        """Its unit before the merger; a product stored before it was kept: its old province."""
        if self.legacy_unit is not None or self.legacy_province_code is None:
            return self.legacy_unit
        return LegacyUnit(province_code=self.legacy_province_code)


def _legacy_unit(
    legacy_code: str | None, producer: Producer, own: LegacyAddress | None = None
) -> LegacyUnit | None:
    """The product's unit before 1 July 2025: named by its legacy code, else its own old address,
    else its producer's; never read from a 2025 code (an old code may name another province
    today)."""
    from_code = legacy_unit_of_code(legacy_code)
    if from_code is not None:
        return from_code
    return legacy_unit_of(own or producer.legacy_address)


def _classified(classification: rules.Classification) -> dict[str, Any]:
    return {
        "scoring_set_code": classification.scoring_set_code,
        "group_code": classification.group_code,
        "sector_code": classification.sector_code,
        "legacy_classification": classification.legacy_classification,
    }
