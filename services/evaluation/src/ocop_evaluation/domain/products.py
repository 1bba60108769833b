"""A product as evaluation sees it: its latest rating and the council sheet behind it, its current
and past certificates, and the decisions already applied to it.

Every event evaluation publishes concerns one product and carries the product's next version: one
sequence per product across ratings, proposals and certificate events (contract: the product is
the aggregate of ``ocop.evaluation.v1``). What the registry says of the product (province,
commune, producer, scoring set, name) is a :class:`RegisteredProduct`, kept by the projection of
ProductRegistered/ProductUpdated and given to the methods that need it.

A decision or an ingest message is applied once: its key is remembered in ``applied``, so a retry
after a crash between the product's write and the dossier's finds it done.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import ConfigDict, Field

from ocop_contracts import ProductRated, RatingLevel
from ocop_contracts.events.evaluation import (
    CertificateExpired,
    CertificateIssued,
    CertificateRenewalDue,
    CertificateRevoked,
    ProductProposedForNational,
)
from ocop_contracts.events.registry import PriorCertificateDeclared
from ocop_contracts.legacy import LegacyUnit
from ocop_contracts.reference import MERGER_DAY
from ocop_contracts.vocabulary import CertificateOrigin, RevocationGround
from ocop_evaluation.domain.calendar import certificate_dates
from ocop_evaluation.domain.certificates import (
    Certificate,
    CertificateStatus,
    Revocation,
)
from ocop_evaluation.domain.decisions import CouncilDecision, CouncilSheet
from ocop_evaluation.domain.records import Value
from ocop_evaluation.domain.rules import RuleSet, rule_set_in_force, rules_in_force
from ocop_platform.aggregates import Aggregate
from ocop_platform.errors import Conflict, DomainError, NotFound
from ocop_platform.logging import trace_fields

SERVICE = "evaluation"
Due = Literal["renewal_due", "expired"]


class RegisteredProduct(Value):
    """What the registry told evaluation about a product (newest registry version wins)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    product_id: str = Field(alias="_id")
    province_code: str
    scoring_set_code: str
    commune_code: str | None = None
    entity_id: str | None = None
    name: str | None = None
    product_code: str | None = None
    legacy_unit: LegacyUnit | None = None  # its unit before 1 July 2025, from the registry

    def ensure_rated_in_its_province(self, rating: ProductRated) -> None:
        """A province system names the product's province by its 2025 code, or, for a rating
        dated before the merger, by the 2008 code of the unit the registry recorded for it."""
        if rating.province_code == self.province_code:
            return
        before = rating.rated_on < MERGER_DAY
        old = self.legacy_unit.province_code if self.legacy_unit else None
        if before and rating.province_code == old:
            return
        if not before:
            why = ""
        elif old is None:
            why = "; its unit before 1 July 2025 is not recorded in the registry"
        else:
            why = f" (province {old} before 1 July 2025)"
        raise DomainError(
            f"product {self.product_id} belongs to province {self.province_code}{why}, "
            f"not {rating.province_code}",
            field="province_code",
        )


class Product(Aggregate):
    kind = "product"

    stars: int = 0
    score: float | None = None
    level: RatingLevel | None = None
    rule_set_id: str | None = None
    rated_on: date | None = None
    latest_sheet: CouncilSheet | None = None
    certificate: Certificate | None = None
    past_certificates: list[Certificate] = Field(default_factory=list)
    applied: list[str] = Field(default_factory=list)

    # --- ratings ---------------------------------------------------------------------------

    def rate(
        self,
        facts: RegisteredProduct,
        *,
        score: float,
        level: RatingLevel,
        rated_on: date,
        round_id: str | None = None,
    ) -> ProductRated:
        """A council's final total recorded directly: the band of the score under the rule set in
        force that day, capped by the level; ≥90 at the province also proposes it for 5★."""
        rules = rules_in_force(rated_on, "rated_on")
        rating = self._rated(
            facts,
            score=score,
            stars=rules.stars_at_level(score, level),
            level=level,
            rules=rules,
            rated_on=rated_on,
            round_id=round_id,
        )
        if level is RatingLevel.PROVINCE and rules.stars_for(score) == 5:
            self.propose_for_national(facts, rating=rating, rules=rules, proposed_on=rated_on)
        return rating

    def rate_from_province_system(self, facts: RegisteredProduct, rating: ProductRated) -> bool:
        """Re-emit a province system's checked rating as this product's next one, once per
        message (``ingest.check_province_rating`` has checked its rules). False: done before."""
        key = f"ingest:{rating.event_id}"
        if key in self.applied:
            return False
        facts.ensure_rated_in_its_province(rating)
        self._rated(
            facts,
            score=rating.score,
            stars=rating.stars,
            level=RatingLevel.PROVINCE,
            rules=rule_set_in_force(rating.rated_on),
            rated_on=rating.rated_on,
            round_id=rating.round_id,
            parts=rating.parts,
            source_rating_id=rating.source_rating_id,
        )
        self._applied(key)
        return True

    def propose_for_national(
        self, facts: RegisteredProduct, *, rating: ProductRated, rules: RuleSet, proposed_on: date
    ) -> ProductProposedForNational:
        proposal = ProductProposedForNational(
            **self._envelope(facts),
            product_id=self.id,
            score=rating.score,
            rule_set_id=rules.rule_set_id,
            round_id=rating.round_id,
            proposed_on=proposed_on,
        )
        self.record(proposal)
        return proposal

    def apply_decision(
        self, facts: RegisteredProduct, decision: CouncilDecision, certificate_number: str
    ) -> str | None:
        """Apply a council's decision once: the rating (or the 5★ proposal), the certificate it
        issues and the sheet behind it. Returns the decision's certificate number, if any."""
        if decision.key in self.applied:  # an earlier attempt stopped before the dossier's write
            return self._certificate_id() if decision.certifies else None
        self.latest_sheet = decision.sheet()
        rating = self._rating_of(facts, decision)
        issued = None
        if decision.proposes_national:
            self.propose_for_national(
                facts, rating=rating, rules=decision.rules, proposed_on=decision.decided_on
            )
        else:
            self.record(rating)
            self._took(rating)
            if decision.certifies:
                issued = self.issue_certificate(
                    facts,
                    number=certificate_number,
                    stars=decision.stars,
                    level=decision.level,
                    decision_ref=decision.decision_ref,
                    issued_on=decision.decided_on,
                    rules=decision.rules,
                ).certificate_id
        self._applied(decision.key)
        return issued

    # --- certificates ----------------------------------------------------------------------

    def issue_certificate(
        self,
        facts: RegisteredProduct,
        *,
        number: str,
        stars: int,
        level: RatingLevel,
        decision_ref: str,
        issued_on: date,
        rules: RuleSet,
        origin: CertificateOrigin = CertificateOrigin.COUNCIL,
    ) -> Certificate:
        """Issue a 3–5★ certificate. A current certificate goes to the past ones as replaced;
        a valid one is named by the new one (an upgrade, a re-evaluation or a renewal)."""
        dates = certificate_dates(
            issued_on,
            rules.certificate_validity_months,
            rule_set_in_force(issued_on).renewal_window_days,
        )
        current = self.certificate
        replaces = current.certificate_id if current is not None and current.is_valid else None
        self.record(
            CertificateIssued(
                **self._envelope(facts),
                certificate_id=number,
                product_id=self.id,
                stars=stars,
                level=level,
                decision_ref=decision_ref,
                issued_on=issued_on,
                valid_until=dates.valid_until,
                rule_set_id=rules.rule_set_id,
                replaces_certificate_id=replaces,
                origin=origin,
            )
        )
        if current is not None:
            replaced = current.model_copy(update={"status": CertificateStatus.REPLACED})
            self.past_certificates = [*self.past_certificates, replaced]
        self.certificate = Certificate(
            certificate_id=number,
            stars=stars,
            level=level,
            decision_ref=decision_ref,
            issued_on=issued_on,
            valid_until=dates.valid_until,
            expires_on=dates.expires_on,
            renewal_opens_on=dates.renewal_opens_on,
            renewal_closes_on=dates.renewal_closes_on,
            rule_set_id=rules.rule_set_id,
            replaces_certificate_id=replaces,
            next_due_on=dates.renewal_opens_on,
            origin=origin,
        )
        return self.certificate

    def adopt_prior_certificate(
        self, facts: RegisteredProduct, declared: PriorCertificateDeclared
    ) -> Certificate | None:
        """A certificate a province's register records, issued before the platform, adopted as
        historic (origin imported) under the rule set in force on its decision's date: the
        rating it implies (ProductRated dated the decision) and the certificate itself. Once per
        declaration (None: adopted before); a DomainError says why it cannot be."""
        key = f"prior:{declared.event_id}"
        if key in self.applied:
            return None
        if self.certificate is not None:
            raise Conflict(
                f"product {self.id} already holds certificate {self.certificate.certificate_id}",
                field="certificate_id",
            )
        rules = rules_in_force(declared.issued_on, "issued_on")
        _check_declared(declared, rules)
        self._rated(
            facts,
            score=declared.score,
            stars=declared.stars,
            level=declared.level,
            rules=rules,
            rated_on=declared.issued_on,
            origin=CertificateOrigin.IMPORTED,
        )
        adopted = self.issue_certificate(
            facts,
            number=declared.certificate_id,
            stars=declared.stars,
            level=declared.level,
            decision_ref=declared.decision_ref,
            issued_on=declared.issued_on,
            rules=rules,
            origin=CertificateOrigin.IMPORTED,
        )
        self._applied(key)
        return adopted

    def import_certificate(
        self,
        facts: RegisteredProduct,
        *,
        number: str,
        stars: int,
        decision_ref: str,
        issued_on: date,
    ) -> Certificate:
        """A certificate issued before the platform, so that renewal and expiry run here."""
        return self.issue_certificate(
            facts,
            number=number,
            stars=stars,
            level=RatingLevel.CENTRAL if stars == 5 else RatingLevel.PROVINCE,
            decision_ref=decision_ref,
            issued_on=issued_on,
            rules=rules_in_force(issued_on, "issued_on"),
            origin=CertificateOrigin.IMPORTED,
        )

    def certify_central_result(
        self,
        facts: RegisteredProduct,
        *,
        key: str,
        number: str,
        stars: int,
        decision_ref: str,
        issued_on: date,
        rules: RuleSet,
    ) -> str:
        """QĐ 26 Art. 7.4: below 90 centrally, the province certifies 3–4★ on that result (once
        per ``key``). Returns the certificate's number."""
        if key in self.applied:
            return self._certificate_id() or number
        issued = self.issue_certificate(
            facts,
            number=number,
            stars=stars,
            level=RatingLevel.PROVINCE,
            decision_ref=decision_ref,
            issued_on=issued_on,
            rules=rules,
        )
        self._applied(key)
        return issued.certificate_id

    def holds(self, certificate_id: str) -> bool:
        """Whether this number is one of its certificates, current or past."""
        every = [self.certificate, *self.past_certificates]
        return any(c is not None and c.certificate_id == certificate_id for c in every)

    def find_certificate(self, certificate_id: str) -> Certificate:
        for certificate in [self.certificate, *self.past_certificates]:
            if certificate is not None and certificate.certificate_id == certificate_id:
                return certificate
        raise NotFound(f"no certificate {certificate_id}", field="certificate_id")

    def revoke(
        self,
        facts: RegisteredProduct,
        certificate_id: str,
        *,
        ground: RevocationGround,
        decision_ref: str,
        revoked_on: date,
        details: str,
    ) -> Certificate:
        """Revoke the current, valid certificate on a QĐ 26 Art. 8 ground."""
        found = self.find_certificate(certificate_id)
        if found is not self.certificate or not found.is_valid:
            raise Conflict(
                f"certificate {certificate_id} is {found.status.value}, not valid",
                field="certificate_id",
            )
        self.record(
            CertificateRevoked(
                **self._about(facts, found),
                ground=ground,
                decision_ref=decision_ref,
                revoked_on=revoked_on,
                details=details,
            )
        )
        revocation = Revocation(
            ground=ground, decision_ref=decision_ref, revoked_on=revoked_on, details=details
        )
        self.certificate = found.model_copy(
            update={"status": CertificateStatus.REVOKED, "revocation": revocation}
        )
        return self.certificate

    def announce_due(self, facts: RegisteredProduct, today: date) -> Due | None:
        """What the scheduler owes today, once each: the renewal window opening, or expiry."""
        current = self.certificate
        if current is None or not current.is_valid or current.next_due_on > today:
            return None
        if today >= current.expires_on:
            self.expire(facts)
            return "expired"
        self.announce_renewal(facts)
        return "renewal_due"

    def announce_renewal(self, facts: RegisteredProduct) -> None:
        current = self._valid_certificate()
        self.record(
            CertificateRenewalDue(
                **self._about(facts, current),
                valid_until=current.valid_until,
                window_opens_on=current.renewal_opens_on,
                window_closes_on=current.renewal_closes_on,
            )
        )
        self.certificate = current.model_copy(
            update={"renewal_due_sent": True, "next_due_on": current.expires_on}
        )

    def expire(self, facts: RegisteredProduct) -> None:
        current = self._valid_certificate()
        self.record(
            CertificateExpired(
                **self._about(facts, current),
                expired_on=current.expires_on,
            )
        )
        self.certificate = current.model_copy(update={"status": CertificateStatus.EXPIRED})

    # --- internals ---------------------------------------------------------------------------

    def _envelope(self, facts: RegisteredProduct) -> dict[str, Any]:
        return {
            "producer": SERVICE,
            **trace_fields(),
            "aggregate_id": self.id,
            "aggregate_version": self.next_version,
            "province_code": facts.province_code,
            # Version 2 of the dated events: province_code is the 2025 province whatever the
            # date; the unit of a fact before the merger is this one (absent: unknown).
            "legacy_unit": facts.legacy_unit,
        }

    def _about(self, facts: RegisteredProduct, certificate: Certificate) -> dict[str, Any]:
        """What every event about a certificate says: which one, of which product, how many
        stars."""
        return {
            **self._envelope(facts),
            "certificate_id": certificate.certificate_id,
            "product_id": self.id,
            "stars": certificate.stars,
        }

    def _rated(self, facts: RegisteredProduct, **rating: Any) -> ProductRated:
        event = self._rating_event(facts, **rating)
        self.record(event)
        self._took(event)
        return event

    def _rating_of(self, facts: RegisteredProduct, decision: CouncilDecision) -> ProductRated:
        return self._rating_event(
            facts,
            score=decision.score,
            stars=decision.stars,
            level=decision.level,
            rules=decision.rules,
            rated_on=decision.decided_on,
            round_id=decision.round_id,
            parts=decision.parts,
            dossier_id=decision.dossier_id,
        )

    def _rating_event(
        self,
        facts: RegisteredProduct,
        *,
        score: float,
        stars: int,
        level: RatingLevel,
        rules: RuleSet,
        rated_on: date,
        round_id: str | None = None,
        parts: dict[str, float] | None = None,
        dossier_id: str | None = None,
        source_rating_id: str | None = None,
        origin: CertificateOrigin = CertificateOrigin.COUNCIL,
    ) -> ProductRated:
        return ProductRated(
            **self._envelope(facts),
            product_id=self.id,
            score=score,
            stars=stars,
            previous_stars=self.stars,
            level=level,
            rule_set_id=rules.rule_set_id,
            round_id=round_id,
            rated_on=rated_on,
            scoring_set_code=facts.scoring_set_code,
            commune_code=facts.commune_code,
            parts=parts,
            dossier_id=dossier_id,
            source_rating_id=source_rating_id,
            origin=origin,
        )

    def _took(self, rating: ProductRated) -> None:
        self.stars = rating.stars
        self.score = rating.score
        self.level = rating.level
        self.rule_set_id = rating.rule_set_id
        self.rated_on = rating.rated_on

    def _applied(self, key: str) -> None:
        self.applied = [*self.applied, key]

    def _certificate_id(self) -> str | None:
        return None if self.certificate is None else self.certificate.certificate_id

    def _valid_certificate(self) -> Certificate:
        if self.certificate is None or not self.certificate.is_valid:
            raise Conflict(f"product {self.id} has no valid certificate", field="product_id")
        return self.certificate


def _check_declared(declared: PriorCertificateDeclared, rules: RuleSet) -> None:
    """The registry checked the row; these are the rules as evaluation holds them."""
    stars = rules.stars_at_level(declared.score, declared.level)
    if stars != declared.stars:
        raise DomainError(
            f"a score of {declared.score:g} at the {declared.level.value} level is {stars}★ "
            f"under {rules.rule_set_id}, not {declared.stars}★",
            field="stars",
        )
    dates = certificate_dates(
        declared.issued_on, rules.certificate_validity_months, rules.renewal_window_days
    )
    if dates.valid_until != declared.valid_until:
        raise DomainError(
            f"under {rules.rule_set_id} a certificate of {declared.issued_on.isoformat()} is "
            f"valid until {dates.valid_until.isoformat()}, not "
            f"{declared.valid_until.isoformat()}",
            field="valid_until",
        )
