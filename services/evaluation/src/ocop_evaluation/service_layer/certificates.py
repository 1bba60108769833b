"""Certificates: those issued before the platform, the public look-up, revocation, and the
scheduler that announces renewal windows and expiries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ocop_evaluation.domain.certificates import Certificate
from ocop_evaluation.domain.rules import rules_in_force
from ocop_evaluation.service_layer.access import (
    EVALUATORS,
    NATIONAL,
    ensure_national,
    product_scope,
)
from ocop_evaluation.service_layer.base import UseCases
from ocop_evaluation.service_layer.commands import ImportCertificate, Revoke
from ocop_evaluation.service_layer.scheduler import (
    BATCH,
    SchedulerBatch,
    run_scheduler,
    scheduler_batch,
)
from ocop_platform.errors import DomainError, NotFound
from ocop_platform.identity import Principal, Role, ensure_may_write

PROVINCE_REVOKERS = (Role.PROVINCE_OFFICE, *NATIONAL)


@dataclass(frozen=True)
class FoundCertificate:
    product_id: str
    product_name: str | None
    certificate: Certificate


class Certificates(UseCases):
    async def import_certificate(self, cmd: ImportCertificate, who: Principal) -> Certificate:
        """A certificate issued before the platform, so renewal and expiry run here."""
        facts = await self.registered(cmd.product_id)
        ensure_may_write(who, product_scope(facts), EVALUATORS)
        if cmd.stars == 5:
            ensure_national(who, "5★ certificates are the Ministry's", "stars")
        rules_in_force(cmd.issued_on, "issued_on")
        await self.claim_certificate(cmd.certificate_id, facts.product_id)
        try:
            return await self.change_product(
                facts.product_id,
                lambda product: product.import_certificate(
                    facts,
                    number=cmd.certificate_id,
                    stars=cmd.stars,
                    decision_ref=cmd.decision_ref,
                    issued_on=cmd.issued_on,
                ),
            )
        except Exception:
            await self.stores.certificates.release(cmd.certificate_id)
            raise

    async def certificate(self, certificate_id: str) -> FoundCertificate:
        """Public look-up: a certificate by its number, current or past."""
        product_id = await self.stores.certificates.product_of(certificate_id)
        product = None if product_id is None else await self.stores.products.get(product_id)
        if product is None:
            raise NotFound(f"no certificate {certificate_id}", field="certificate_id")
        found = product.find_certificate(certificate_id)
        facts = await self.stores.registered.get(product.id)
        return FoundCertificate(product.id, None if facts is None else facts.name, found)

    async def revoke(self, certificate_id: str, cmd: Revoke, who: Principal) -> Certificate:
        """Revoke on a QĐ 26 Art. 8 ground: 3–4★ by the province, 5★ by the Ministry."""
        found = await self.certificate(certificate_id)
        facts = await self.registered(found.product_id)
        ensure_may_write(who, product_scope(facts), EVALUATORS)
        if found.certificate.stars == 5:
            ensure_national(who, "5★ certificates are revoked by the Ministry", "ground")
        elif not who.has_any(PROVINCE_REVOKERS):
            raise DomainError("3–4★ certificates are revoked by the province", field="ground")
        revoked_on = cmd.revoked_on or await self.today()
        return await self.change_product(
            found.product_id,
            lambda product: product.revoke(
                facts,
                certificate_id,
                ground=cmd.ground,
                decision_ref=cmd.decision_ref,
                revoked_on=revoked_on,
                details=cmd.details,
            ),
        )

    async def run_scheduler(self, today: date, limit: int = BATCH) -> dict[str, int]:
        """A whole pass: CertificateRenewalDue / CertificateExpired for what is due on ``today``,
        each exactly once (the certificate's flag and the event are one guarded write)."""
        return await run_scheduler(self.stores, today, limit)

    async def scheduler_batch(self, today: date, limit: int = BATCH) -> SchedulerBatch:
        """Up to ``limit`` due products, and whether more are due (service_layer/scheduler.py)."""
        return await scheduler_batch(self.stores, today, limit)
