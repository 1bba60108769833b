"""Decisions on a council's result (QĐ 26 Art. 7), and the province's certificate on a central
result (Art. 7.4).

Two aggregates change, one write each (no transactions): the product first (its events, and the
decision's key so that it applies once), then the dossier. A decision retried after a crash
between the two finds the product done and completes the dossier.
"""

from __future__ import annotations

from collections.abc import Callable

from ocop_evaluation.domain.certificates import new_certificate_number
from ocop_evaluation.domain.decisions import CouncilDecision
from ocop_evaluation.domain.dossiers import Dossier, DossierStatus
from ocop_evaluation.domain.rules import rule_set
from ocop_evaluation.service_layer.access import EVALUATORS, ensure_may_run
from ocop_evaluation.service_layer.base import UseCases, retried
from ocop_evaluation.service_layer.commands import Decide
from ocop_platform.errors import DomainError
from ocop_platform.identity import Principal, Scope, ensure_may_write


class Decisions(UseCases):
    async def decide(self, dossier_id: str, cmd: Decide, who: Principal) -> Dossier:
        """The council's decision: a rating (with its certificate) or a proposal for 5★; on a
        dossier waiting for it, the province's certificate on the central result."""
        dossier = await self.dossier(dossier_id)
        stage = dossier.result_stage
        council = await self.round(dossier.round_of(stage))
        result = council.result(dossier.sheet_points(stage))
        if dossier.status is DossierStatus.AWAITING_PROVINCE_CERTIFICATION:
            ensure_may_write(who, Scope(dossier.province_code), EVALUATORS)
            return await self._certify(dossier, cmd, who)
        level = dossier.ensure_decidable()
        ensure_may_run(who, council)
        council.ensure_open()
        if not result.decidable:
            raise DomainError("; ".join(result.problems), field="sheets")
        rubric = council.rules.rubric_for(dossier.scoring_set_code)
        if rubric is None:  # sheets were scored on it
            raise DomainError("the council's rule set ships no rubric", field="sheets")
        today = await self.today()
        decision = CouncilDecision(
            dossier_id=dossier.id,
            round_id=council.id,
            level=level,
            rules=council.rules,
            rubric=rubric,
            result=result,
            decision_ref=cmd.decision_ref,
            decided_on=cmd.decided_on or today,
        )
        certificate_id = await self._apply(dossier.product_id, decision)
        outcome = decision.outcome(certificate_id)
        return await self._record(dossier_id, lambda d: d.decided(outcome, who, today))

    async def _apply(self, product_id: str, decision: CouncilDecision) -> str | None:
        """The decision on the product (once); the number of the certificate it issues."""
        facts = await self.registered(product_id)
        number = new_certificate_number(facts.province_code, decision.decided_on)
        if decision.certifies:
            await self.claim_certificate(number, product_id)
        return await self.change_product(
            product_id, lambda product: product.apply_decision(facts, decision, number)
        )

    async def _certify(self, dossier: Dossier, cmd: Decide, who: Principal) -> Dossier:
        """QĐ 26 Art. 7.4: below 90 centrally, the province certifies 3–4★ on that result."""
        central = dossier.central_result_to_certify()
        facts = await self.registered(dossier.product_id)
        rules = rule_set(dossier.rule_set_id)
        stars = central.stars
        assert rules is not None and stars is not None  # a shipped rule set; a central 3–4★
        today = await self.today()
        issued_on = cmd.decided_on or today
        number = new_certificate_number(facts.province_code, issued_on)
        await self.claim_certificate(number, facts.product_id)
        certificate_id = await self.change_product(
            facts.product_id,
            lambda product: product.certify_central_result(
                facts,
                key=f"{dossier.id}:certify",
                number=number,
                stars=stars,
                decision_ref=cmd.decision_ref,
                issued_on=issued_on,
                rules=rules,
            ),
        )
        return await self._record(
            dossier.id, lambda d: d.certified(certificate_id, cmd.decision_ref, who, today)
        )

    async def _record(self, dossier_id: str, move: Callable[[Dossier], None]) -> Dossier:
        async def attempt() -> Dossier:
            dossier = await self.dossier(dossier_id)
            move(dossier)
            await self.stores.dossiers.save(dossier)
            return dossier

        return await retried(attempt)
