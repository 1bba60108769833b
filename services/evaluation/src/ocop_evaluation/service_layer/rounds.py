"""Council rules and rounds: open a round, set its council, close it, list a province's rounds."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

from ocop_contracts import RatingLevel
from ocop_evaluation.domain.records import HistoryEntry
from ocop_evaluation.domain.rounds import Round, round_dates
from ocop_evaluation.domain.scoring import CouncilRules
from ocop_evaluation.service_layer.access import EVALUATORS, ensure_may_run, ensure_national
from ocop_evaluation.service_layer.base import UseCases, retried
from ocop_evaluation.service_layer.commands import CouncilRulesBody, CreateRound, SetCouncil
from ocop_platform.errors import DomainError
from ocop_platform.identity import Principal, Scope, ensure_may_write


class Rounds(UseCases):
    async def council_rules(self, province_code: str) -> CouncilRules:
        """A province's quorum and allowed spread (the defaults until it sets its own)."""
        return await self.stores.council_rules.get(province_code) or CouncilRules()

    async def set_council_rules(
        self, province_code: str, body: CouncilRulesBody, who: Principal
    ) -> CouncilRules:
        ensure_may_write(who, Scope(province_code), EVALUATORS)
        rules = CouncilRules(body.quorum_ratio, body.chair_required, body.max_spread)
        await self.stores.council_rules.put(province_code, rules)
        return rules

    async def create_round(self, cmd: CreateRound, who: Principal) -> Round:
        if cmd.level is RatingLevel.PROVINCE:
            if cmd.province_code is None:
                raise DomainError("a province round needs province_code", field="province_code")
            ensure_may_write(who, Scope(cmd.province_code), EVALUATORS)
        else:
            ensure_national(who, "central rounds are run by the Ministry", "level")
        dates = round_dates(cmd.level, cmd.year, cmd.kind, cmd.proposals_due, cmd.results_due)
        province = cmd.province_code if cmd.level is RatingLevel.PROVINCE else None
        opened = Round.open(
            uuid.uuid4().hex,
            level=cmd.level,
            province_code=province,
            year=cmd.year,
            kind=cmd.kind,
            dates=dates,
            name=cmd.name,
            council_rules=await self.council_rules(province) if province else CouncilRules(),
            opened=HistoryEntry.of("opened", who, await self.today()),
        )
        await self.stores.rounds.add(opened)
        return opened

    async def rounds(self, province_code: str | None, year: int | None) -> list[Round]:
        """A province's rounds (None: the central ones), latest proposals deadline first."""
        where: dict[str, object] = {"province_code": province_code}
        if year is not None:
            where["year"] = year
        return await self.stores.rounds.find(where, sort=[("proposals_due", -1)])

    async def set_council(self, round_id: str, body: SetCouncil, who: Principal) -> Round:
        return await self._run(
            round_id, who, lambda rnd, today: rnd.set_council(body.members, who, today)
        )

    async def close_round(self, round_id: str, who: Principal) -> Round:
        """No more sheets or decisions (closing a closed round changes nothing)."""
        return await self._run(round_id, who, lambda rnd, today: rnd.close(who, today))

    async def _run(
        self, round_id: str, who: Principal, move: Callable[[Round, date], None]
    ) -> Round:
        """Load → check ``who`` runs the round → ``move`` → save, again if it changed meanwhile."""

        async def attempt() -> Round:
            rnd = await self.round(round_id)
            ensure_may_run(who, rnd)
            move(rnd, await self.today())
            await self.stores.rounds.save(rnd)
            return rnd

        return await retried(attempt)
