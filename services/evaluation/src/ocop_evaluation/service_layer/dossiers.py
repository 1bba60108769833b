"""Dossiers: filing at the commune, the intake check, the evidence loop, council sheets, the
council's result, and the way to the central council. Decisions: service_layer/decisions.py."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from ocop_evaluation.domain.calendar import vietnam_calendar
from ocop_evaluation.domain.dossiers import Dossier, Sheet
from ocop_evaluation.domain.forms import SelfAssessmentLine
from ocop_evaluation.domain.records import HistoryEntry
from ocop_evaluation.domain.rounds import Round
from ocop_evaluation.domain.scoring import CouncilResult, SheetEntry
from ocop_evaluation.service_layer.access import (
    FILERS,
    INTAKE,
    dossier_scope,
    ensure_may_run,
    product_scope,
)
from ocop_evaluation.service_layer.base import UseCases, retried
from ocop_evaluation.service_layer.commands import (
    CommuneCheck,
    CreateDossier,
    EvidenceRequest,
    EvidenceResponse,
    ForwardCentral,
    SubmitSheet,
)
from ocop_platform.errors import NotFound
from ocop_platform.identity import (
    Principal,
    Role,
    Scope,
    ensure_may_read,
    ensure_may_write,
    may_read,
)

Move = Callable[[Dossier, date], None]


@dataclass(frozen=True)
class Standing:
    """A council's result so far, from the sheets of the council that counts now."""

    dossier: Dossier
    round: Round
    result: CouncilResult


class Dossiers(UseCases):
    async def file(self, cmd: CreateDossier, who: Principal) -> Dossier:
        """File a dossier at the commune (Form 01 and the Form 02 self-assessment)."""
        facts = await self.registered(cmd.product_id)
        ensure_may_write(who, product_scope(facts), FILERS)
        in_round = await self.round(cmd.round_id)
        in_round.ensure_takes_dossier_of(facts.province_code)
        dossier = Dossier.file(
            uuid.uuid4().hex,
            facts,
            (await self.product(facts.product_id)).certificate,
            in_round,
            attempt=cmd.attempt_type,
            registration=cmd.registration,
            lines=cmd.self_assessment,
            calendar=vietnam_calendar(),
            submitted=HistoryEntry.of("submitted", who, await self.today()),
        )
        await self.stores.dossiers.add(dossier)
        return dossier

    async def scope(self, dossier: Dossier) -> Scope:
        if dossier.entity_id:
            return dossier_scope(dossier)
        return dossier_scope(dossier, await self.stores.registered.get(dossier.product_id))

    async def readable(self, dossier_id: str, who: Principal) -> Dossier:
        """The dossier, if ``who`` may read it: its producer, commune, province, the Ministry."""
        dossier = await self.dossier(dossier_id)
        ensure_may_read(who, await self.scope(dossier))
        return dossier

    async def readable_dossiers(
        self,
        who: Principal,
        *,
        round_id: str | None = None,
        product_id: str | None = None,
        status: str | None = None,
    ) -> list[Dossier]:
        """Dossiers of a round or of a product, latest first, those ``who`` may read."""
        given = {"round_id": round_id, "product_id": product_id, "status": status}
        where = {name: value for name, value in given.items() if value}
        if not where:
            raise NotFound("give round_id or product_id", field="round_id")
        found = await self.stores.dossiers.find(where, sort=[("submitted_on", -1)])
        return [d for d in found if may_read(who, await self.scope(d))]

    async def commune_check(self, dossier_id: str, cmd: CommuneCheck, who: Principal) -> Dossier:
        calendar = vietnam_calendar()
        return await self._move(
            dossier_id, who, INTAKE, lambda d, on: d.check_at_commune(cmd, who, on, calendar)
        )

    async def resubmit(
        self, dossier_id: str, lines: list[SelfAssessmentLine], who: Principal
    ) -> Dossier:
        calendar = vietnam_calendar()
        return await self._move(
            dossier_id, who, FILERS, lambda d, on: d.resubmit(lines, who, on, calendar)
        )

    async def request_evidence(
        self, dossier_id: str, cmd: EvidenceRequest, who: Principal
    ) -> Dossier:
        return await self._move(
            dossier_id,
            who,
            INTAKE,
            lambda d, on: d.request_evidence(cmd.criterion_id, cmd.message, who, on),
        )

    async def answer_evidence(
        self, dossier_id: str, request_id: str, cmd: EvidenceResponse, who: Principal
    ) -> Dossier:
        evidence = list(cmd.evidence)
        return await self._move(
            dossier_id,
            who,
            FILERS,
            lambda d, on: d.answer_evidence(request_id, evidence, cmd.note, who, on),
        )

    async def submit_sheet(
        self, dossier_id: str, member_id: str, cmd: SubmitSheet, who: Principal
    ) -> Sheet:
        """A council member's sheet: by the member, or entered by the council's secretary."""
        entries = [SheetEntry(x.criterion_id, x.option_id, x.points) for x in cmd.entries]

        async def attempt() -> Sheet:
            dossier = await self.dossier(dossier_id)
            council = await self.round(dossier.round_of(dossier.stage))
            council.ensure_open(": no more sheets")
            member = council.member(member_id)
            if not (who.subject == member_id and who.has_any((Role.COUNCIL_MEMBER,))):
                ensure_may_run(who, council)  # the secretary (province office / Ministry)
            sheet = dossier.submit_sheet(member, entries, council.rules, who, await self.today())
            await self.stores.dossiers.save(dossier)
            return sheet

        return await retried(attempt)

    async def standing(self, dossier_id: str, who: Principal) -> Standing:
        """The result so far: average, spread, quorum, and what blocks a decision."""
        dossier = await self.readable(dossier_id, who)
        stage = dossier.result_stage
        council = await self.round(dossier.round_of(stage))
        return Standing(dossier, council, council.result(dossier.sheet_points(stage)))

    async def forward_central(
        self, dossier_id: str, cmd: ForwardCentral, who: Principal
    ) -> Dossier:
        """The Ministry puts a dossier proposed for 5★ before a central round's council."""

        async def attempt() -> Dossier:
            dossier = await self.dossier(dossier_id)
            dossier.ensure_proposed()
            central = await self.round(cmd.round_id)
            central.ensure_central()
            ensure_may_run(who, central)
            dossier.to_central_council(central, who, await self.today())
            await self.stores.dossiers.save(dossier)
            return dossier

        return await retried(attempt)

    async def _move(
        self, dossier_id: str, who: Principal, actors: tuple[Role, ...], move: Move
    ) -> Dossier:
        """Load → check ``who`` may act on it as one of ``actors`` → ``move`` → save."""

        async def attempt() -> Dossier:
            dossier = await self.dossier(dossier_id)
            ensure_may_write(who, await self.scope(dossier), actors)
            move(dossier, await self.today())
            await self.stores.dossiers.save(dossier)
            return dossier

        return await retried(attempt)
