"""Evaluation use cases: products it knows, ratings, ingest, certificates and their scheduler.

Every event evaluation emits concerns one product and is written into that product's document
together with the state change (outbox); the write is guarded by the product's ``rating_version``
so two writers never both succeed, and by a decision key so a retried decision applies once.
Rounds, dossiers and councils are in service_layer/dossiers.py.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any

from ocop_contracts import Event, ProductRated, ProductRegistered, RatingLevel
from ocop_contracts.events.evaluation import (
    CertificateExpired,
    CertificateIssued,
    CertificateRenewalDue,
    CertificateRevoked,
    ProductProposedForNational,
)
from ocop_contracts.events.registry import ProductUpdated
from ocop_evaluation.adapters.repository import MongoEvaluationRepository
from ocop_evaluation.domain.calendar import certificate_dates
from ocop_evaluation.domain.resends import Resend, SourceRating, classify, conflict_reason
from ocop_evaluation.domain.rules import PARTS, RuleSet, rule_set, rule_set_in_force
from ocop_evaluation.domain.scoring import NextStar, next_star
from ocop_evaluation.service_layer.access import EVALUATORS, product_scope
from ocop_evaluation.service_layer.commands import ImportCertificate, RecordRating, Revoke
from ocop_platform.consumer import Outcome
from ocop_platform.errors import Conflict, DomainError, NotFound
from ocop_platform.identity import Principal, Role, ensure_may_write
from ocop_platform.logging import trace_fields
from ocop_platform.mongo import Document

SERVICE = "evaluation"
TodayFn = Callable[[], Awaitable[date]]
log = logging.getLogger(__name__)


def not_yet_known(product_id: str) -> DomainError:
    return DomainError(
        f"product {product_id} is not registered (or not yet known here)", field="product_id"
    )


class EvaluationService:
    def __init__(
        self,
        repository: MongoEvaluationRepository,
        events_written: Callable[[], None],
        today: TodayFn,
    ) -> None:
        self.repo = repository
        self.events_written = events_written
        self.today = today

    # --- products --------------------------------------------------------------------------

    async def on_product_registered(self, event: ProductRegistered | ProductUpdated) -> None:
        """Registered or updated (same fields): keep what evaluation needs, newest wins."""
        await self.repo.remember_product(event)
        if await self.repo.any_parked():
            for parked in await self.repo.parked_for(event.product_id):
                await self._release_parked(parked)

    async def product(self, product_id: str) -> Document:
        product = await self.repo.get_product(product_id)
        if product is None:
            raise not_yet_known(product_id)
        return product

    def envelope(self, product: Document, version: int) -> dict[str, Any]:
        return {
            "producer": SERVICE,
            **trace_fields(),
            "aggregate_id": product["_id"],
            "aggregate_version": version,
            "province_code": product["province_code"],
        }

    def rated(
        self,
        product: Document,
        version: int,
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
    ) -> ProductRated:
        return ProductRated(
            **self.envelope(product, version),
            product_id=product["_id"],
            score=score,
            stars=stars,
            previous_stars=product.get("stars", 0),
            level=level,
            rule_set_id=rules.rule_set_id,
            round_id=round_id,
            rated_on=rated_on,
            scoring_set_code=product["scoring_set_code"],
            commune_code=product.get("commune_code"),
            parts=parts,
            dossier_id=dossier_id,
            source_rating_id=source_rating_id,
        )

    @staticmethod
    def rating_fields(event: ProductRated) -> Document:
        return {
            "stars": event.stars,
            "score": event.score,
            "level": event.level.value,
            "rule_set_id": event.rule_set_id,
            "rated_on": event.rated_on.isoformat(),
        }

    async def commit(
        self,
        product: Document,
        events: Sequence[Event],
        fields: Document,
        *,
        applied_key: str | None = None,
        extra: Document | None = None,
    ) -> bool:
        written = await self.repo.write_product(
            product, events, fields, applied_key=applied_key, extra=extra
        )
        if written and events:
            self.events_written()
        return written

    # --- ratings recorded directly -----------------------------------------------------------

    async def record_rating(self, cmd: RecordRating, principal: Principal) -> ProductRated:
        product = await self.product(cmd.product_id)
        ensure_may_write(principal, product_scope(product), EVALUATORS)
        if cmd.level is RatingLevel.CENTRAL and not principal.has_any((Role.MINISTRY, Role.ADMIN)):
            raise DomainError("only the Ministry records central results", field="level")
        try:
            rules = rule_set_in_force(cmd.rated_on)
        except ValueError as exc:
            raise DomainError(str(exc), field="rated_on") from exc
        event = self.rated(
            product,
            product.get("rating_version", 0) + 1,
            score=cmd.score,
            stars=rules.stars_at_level(cmd.score, cmd.level),
            level=cmd.level,
            rules=rules,
            rated_on=cmd.rated_on,
            round_id=cmd.round_id,
        )
        events: list[Event] = [event]
        if cmd.level is RatingLevel.PROVINCE and rules.stars_for(cmd.score) == 5:
            events.append(self.proposal(product, event.aggregate_version + 1, event, cmd.rated_on))
        if not await self.commit(product, events, self.rating_fields(event)):
            raise Conflict("the product was rated concurrently; retry", field="product_id")
        return event

    def proposal(
        self, product: Document, version: int, rating: ProductRated, on: date
    ) -> ProductProposedForNational:
        return ProductProposedForNational(
            **self.envelope(product, version),
            product_id=product["_id"],
            score=rating.score,
            rule_set_id=rating.rule_set_id,
            round_id=rating.round_id,
            proposed_on=on,
        )

    # --- ingest from province systems ----------------------------------------------------

    async def on_ingested_rating(self, event: ProductRated) -> Outcome | None:
        """Check a province system's rating against the rules; re-emit it canonically, hold it
        until its product is known, acknowledge a re-send of a rating already received, or raise
        DomainError (→ dead letter with the reason)."""
        self.check_ingested(event)
        product = await self.repo.get_product(event.product_id)
        if product is not None:
            self.check_province(product, event)
        source = SourceRating.of(event)
        if source is not None and await self._is_resend(source, event):
            return Outcome.DUPLICATE
        try:
            if product is None:
                await self._hold(event)
            else:
                await self._apply_ingested(product, event)
        except DomainError:
            if source is not None:  # rejected: it never became the source rating's rating
                await self.repo.forget_source_rating(source)
            raise
        return None

    async def _is_resend(self, source: SourceRating, event: ProductRated) -> bool:
        """Record the first message of a source rating; True for a duplicate of it, DomainError
        for a conflicting one (docs: domain/resends.py)."""
        for _ in range(3):  # the first message's record may be forgotten meanwhile (rejected)
            if await self.repo.record_source_rating(source):
                return False
            first = await self.repo.get_source_rating(source.key)
            if first is None:
                continue
            verdict = classify(first, source)
            if verdict is Resend.CONFLICT:
                raise DomainError(conflict_reason(first, source), field="source_rating_id")
            if verdict is Resend.DUPLICATE:
                log.info(
                    "duplicate ingest rating acknowledged",
                    extra={
                        "source_rating_id": source.source_rating_id,
                        "source_system": event.producer,
                        "event_id": source.event_id,
                        "first_event_id": first.event_id,
                        "product_id": event.product_id,
                    },
                )
                return True
            return False  # the same message redelivered: handled as the first time
        raise RuntimeError(f"could not record source rating {source.key}")

    async def _hold(self, event: ProductRated) -> None:
        parked = {
            "_id": str(event.event_id),
            "product_id": event.product_id,
            "status": "held",
            "value": event.model_dump_json(),
            "received_at": (await self.today()).isoformat(),
        }
        if await self.repo.park(parked):
            log.info("held ingest rating until its product is known", extra=parked)
        # The product may have arrived while this was parked: release it now if so.
        if await self.repo.get_product(event.product_id) is not None:
            for held in await self.repo.parked_for(event.product_id):
                await self._release_parked(held)

    @staticmethod
    def check_ingested(event: ProductRated) -> None:
        if event.level is not RatingLevel.PROVINCE or event.stars == 5:
            raise DomainError(
                "a province may not award 5★ or publish central results; 5★ is decided by the "
                "central council",
                field="stars" if event.stars == 5 else "level",
            )
        try:
            rules = rule_set_in_force(event.rated_on)
        except ValueError as exc:
            raise DomainError(str(exc), field="rated_on") from exc
        band = rules.stars_at_level(event.score, RatingLevel.PROVINCE)
        if event.stars > band:
            raise DomainError(
                f"{event.stars}★ is above the band of {event.score:g} points under "
                f"{rules.rule_set_id} ({band}★)",
                field="stars",
            )
        if event.parts is not None:
            unknown = sorted(set(event.parts) - set(PARTS))
            if unknown:
                raise DomainError(f"unknown parts {unknown}; parts are A, B, C", field="parts")
            for part, points in event.parts.items():
                maximum = rules.parts[part]  # type: ignore[index]
                if not 0 <= points <= maximum:
                    raise DomainError(
                        f"part {part} has {points:g} points; {rules.rule_set_id} allows 0–"
                        f"{maximum:g}",
                        field=f"parts.{part}",
                    )
            total = round(sum(event.parts.values()), 2)
            if abs(total - event.score) > 0.01:
                raise DomainError(
                    f"parts add up to {total:g}, not to the score {event.score:g}", field="parts"
                )

    @staticmethod
    def check_province(product: Document, event: ProductRated) -> None:
        if event.province_code != product["province_code"]:
            raise DomainError(
                f"product {event.product_id} belongs to province {product['province_code']}, "
                f"not {event.province_code}",
                field="province_code",
            )

    async def _apply_ingested(self, product: Document, event: ProductRated) -> None:
        self.check_province(product, event)
        key = f"ingest:{event.event_id}"
        for _ in range(5):
            if key in product.get("applied", []):
                return  # redelivered: already re-emitted
            rules = rule_set_in_force(event.rated_on)
            canonical = self.rated(
                product,
                product.get("rating_version", 0) + 1,
                score=event.score,
                stars=event.stars,
                level=RatingLevel.PROVINCE,
                rules=rules,
                rated_on=event.rated_on,
                round_id=event.round_id,
                parts=event.parts,
                source_rating_id=event.source_rating_id,
            )
            fields = self.rating_fields(canonical)
            if await self.commit(product, [canonical], fields, applied_key=key):
                return
            product = await self.product(event.product_id)
        raise RuntimeError(f"could not apply ingest rating {event.event_id}: busy product")

    async def _release_parked(self, parked: Document) -> None:
        event = ProductRated.model_validate_json(parked["value"])
        product = await self.product(event.product_id)
        try:
            await self._apply_ingested(product, event)
        except DomainError as exc:
            await self.repo.reject_parked(parked, exc.message)
            source = SourceRating.of(event)
            if source is not None:  # rejected: it never became the source rating's rating
                await self.repo.forget_source_rating(source)
            log.warning("held ingest rating rejected", extra={"reason": exc.message})
            return
        await self.repo.delete("parked_ratings", parked["_id"])

    # --- certificates ----------------------------------------------------------------------

    def issue(
        self,
        product: Document,
        version: int,
        *,
        stars: int,
        level: RatingLevel,
        decision_ref: str,
        issued_on: date,
        rules: RuleSet,
        certificate_id: str | None = None,
    ) -> tuple[CertificateIssued, Document]:
        """The CertificateIssued event and the certificate state stored on the product."""
        number = certificate_id or (
            f"OCOP-{product['province_code']}-{issued_on.year}-{uuid.uuid4().hex[:8].upper()}"
        )
        expiry_rules = rule_set_in_force(issued_on)
        dates = certificate_dates(
            issued_on, rules.certificate_validity_months, expiry_rules.renewal_window_days
        )
        current = product.get("certificate") or {}
        replaces = current.get("certificate_id") if current.get("status") == "valid" else None
        event = CertificateIssued(
            **self.envelope(product, version),
            certificate_id=number,
            product_id=product["_id"],
            stars=stars,
            level=level,
            decision_ref=decision_ref,
            issued_on=issued_on,
            valid_until=dates.valid_until,
            rule_set_id=rules.rule_set_id,
            replaces_certificate_id=replaces,
        )
        state = {
            "certificate_id": number,
            "stars": stars,
            "level": level.value,
            "decision_ref": decision_ref,
            "issued_on": issued_on.isoformat(),
            "valid_until": dates.valid_until.isoformat(),
            "expires_on": dates.expires_on.isoformat(),
            "renewal_opens_on": dates.renewal_opens_on.isoformat(),
            "renewal_closes_on": dates.renewal_closes_on.isoformat(),
            "rule_set_id": rules.rule_set_id,
            "replaces_certificate_id": replaces,
            "status": "valid",
            "renewal_due_sent": False,
            "next_due_on": dates.renewal_opens_on.isoformat(),
        }
        return event, state

    @staticmethod
    def retire(product: Document, status: str) -> Document:
        """The ``$push`` of the current certificate into the history, when it is replaced."""
        current = product.get("certificate")
        if not current:
            return {}
        return {"$push": {"past_certificates": {**current, "status": status}}}

    async def import_certificate(self, cmd: ImportCertificate, principal: Principal) -> Document:
        product = await self.product(cmd.product_id)
        ensure_may_write(principal, product_scope(product), EVALUATORS)
        level = RatingLevel.CENTRAL if cmd.stars == 5 else RatingLevel.PROVINCE
        if level is RatingLevel.CENTRAL and not principal.has_any((Role.MINISTRY, Role.ADMIN)):
            raise DomainError("5★ certificates are the Ministry's", field="stars")
        try:
            rules = rule_set_in_force(cmd.issued_on)
        except ValueError as exc:
            raise DomainError(str(exc), field="issued_on") from exc
        if not await self.repo.index_certificate(cmd.certificate_id, product["_id"]):
            raise Conflict(f"certificate {cmd.certificate_id} exists", field="certificate_id")
        event, state = self.issue(
            product,
            product.get("rating_version", 0) + 1,
            stars=cmd.stars,
            level=level,
            decision_ref=cmd.decision_ref,
            issued_on=cmd.issued_on,
            rules=rules,
            certificate_id=cmd.certificate_id,
        )
        if not await self.commit(
            product, [event], {"certificate": state}, extra=self.retire(product, "replaced")
        ):
            await self.repo.delete("certificate_index", cmd.certificate_id)
            raise Conflict("the product changed meanwhile; retry", field="product_id")
        return state

    async def certificate(self, certificate_id: str) -> tuple[Document, Document]:
        product_id = await self.repo.product_of_certificate(certificate_id)
        product = None if product_id is None else await self.repo.get_product(product_id)
        if product is None:
            raise NotFound(f"no certificate {certificate_id}", field="certificate_id")
        for cert in [product.get("certificate") or {}, *product.get("past_certificates", [])]:
            if cert.get("certificate_id") == certificate_id:
                return product, cert
        raise NotFound(f"no certificate {certificate_id}", field="certificate_id")

    async def revoke(self, certificate_id: str, cmd: Revoke, principal: Principal) -> Document:
        product, cert = await self.certificate(certificate_id)
        ensure_may_write(principal, product_scope(product), EVALUATORS)
        if cert["stars"] == 5 and not principal.has_any((Role.MINISTRY, Role.ADMIN)):
            raise DomainError("5★ certificates are revoked by the Ministry", field="ground")
        if cert["stars"] < 5 and not principal.has_any(
            (Role.PROVINCE_OFFICE, Role.MINISTRY, Role.ADMIN)
        ):
            raise DomainError("3–4★ certificates are revoked by the province", field="ground")
        current = product.get("certificate") or {}
        if current.get("certificate_id") != certificate_id or current.get("status") != "valid":
            raise Conflict(
                f"certificate {certificate_id} is {cert.get('status')}, not valid",
                field="certificate_id",
            )
        revoked_on = cmd.revoked_on or await self.today()
        event = CertificateRevoked(
            **self.envelope(product, product.get("rating_version", 0) + 1),
            certificate_id=certificate_id,
            product_id=product["_id"],
            stars=cert["stars"],
            ground=cmd.ground,
            decision_ref=cmd.decision_ref,
            revoked_on=revoked_on,
            details=cmd.details,
        )
        fields = {
            "certificate.status": "revoked",
            "certificate.revocation": {
                "ground": cmd.ground.value,
                "decision_ref": cmd.decision_ref,
                "revoked_on": revoked_on.isoformat(),
                "details": cmd.details,
            },
        }
        if not await self.commit(product, [event], fields):
            raise Conflict("the certificate changed meanwhile; retry", field="certificate_id")
        return {**cert, "status": "revoked", "revocation": fields["certificate.revocation"]}

    async def run_scheduler(self, today: date, limit: int = 200) -> dict[str, int]:
        """Emit CertificateRenewalDue / CertificateExpired for what is due on ``today``, each
        exactly once: the flag and the event are one guarded single-document write."""
        counts = {"renewal_due": 0, "expired": 0}
        for product in await self.repo.products_due(today, limit):
            cert = product["certificate"]
            version = product.get("rating_version", 0) + 1
            expires_on = date.fromisoformat(cert["expires_on"])
            if today >= expires_on:
                event: Event = CertificateExpired(
                    **self.envelope(product, version),
                    certificate_id=cert["certificate_id"],
                    product_id=product["_id"],
                    stars=cert["stars"],
                    expired_on=expires_on,
                )
                fields: Document = {"certificate.status": "expired"}
                kind = "expired"
            else:
                event = CertificateRenewalDue(
                    **self.envelope(product, version),
                    certificate_id=cert["certificate_id"],
                    product_id=product["_id"],
                    stars=cert["stars"],
                    valid_until=date.fromisoformat(cert["valid_until"]),
                    window_opens_on=date.fromisoformat(cert["renewal_opens_on"]),
                    window_closes_on=date.fromisoformat(cert["renewal_closes_on"]),
                )
                fields = {
                    "certificate.renewal_due_sent": True,
                    "certificate.next_due_on": cert["expires_on"],
                }
                kind = "renewal_due"
            if await self.commit(product, [event], fields):
                counts[kind] += 1
        return counts

    # --- next star -------------------------------------------------------------------------

    async def next_star(self, product_id: str) -> tuple[Document, NextStar]:
        product = await self.repo.get_product(product_id)
        if product is None:
            raise NotFound(f"product {product_id} is not known here", field="product_id")
        sheet = product.get("latest_sheet")
        if not sheet:
            raise NotFound(
                f"product {product_id} has no council score sheet yet: the report needs the "
                "criterion-level result of a council",
                field="product_id",
            )
        rules = rule_set(sheet["rule_set_id"])
        rubric = None if rules is None else rules.rubrics.get(sheet["rubric_id"])
        if rules is None or rubric is None:
            raise NotFound(f"rubric {sheet['rubric_id']} is no longer shipped", field="product_id")
        points = {row["criterion_id"]: row["points"] for row in sheet["criterion_points"]}
        return product, next_star(rules, rubric, points, sheet["score"])
