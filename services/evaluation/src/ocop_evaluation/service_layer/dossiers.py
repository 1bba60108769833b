"""Rounds, councils, dossiers (commune intake, evidence loop), score sheets and decisions.

Dossier statuses (README has the diagram):
- ``at_commune`` → forward → ``at_province`` → first sheet → ``in_council`` → decide →
  ``decided``; return → ``returned`` → resubmit → ``at_commune``.
- An evidence request from the commune or the province → ``awaiting_evidence`` until answered,
  then back to where it was.
- ≥90 points at the province → ``proposed_national`` → the Ministry puts it in a central round →
  ``in_central_council`` → decide → ``decided`` (5★) or, below 90,
  ``awaiting_province_certification`` → the province certifies 3–4★ → ``decided``.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from ocop_contracts import Event, RatingLevel
from ocop_evaluation.adapters.repository import COUNCIL_RULES, DOSSIERS, ROUNDS
from ocop_evaluation.domain.calendar import regular_round_dates, vietnam_calendar
from ocop_evaluation.domain.dossiers import CommuneDecision, SelfAssessmentLine
from ocop_evaluation.domain.rounds import RoundKind
from ocop_evaluation.domain.rules import Rubric, RuleSet, rule_set, rule_set_in_force
from ocop_evaluation.domain.scoring import (
    CouncilResult,
    CouncilRules,
    SheetEntry,
    council_result,
    part_totals,
    score_sheet,
    stars_with_minima,
)
from ocop_evaluation.service_layer.access import (
    EVALUATORS,
    FILERS,
    INTAKE,
    dossier_scope,
    product_scope,
)
from ocop_evaluation.service_layer.commands import (
    CommuneCheck,
    CouncilRulesBody,
    CreateDossier,
    CreateRound,
    Decide,
    EvidenceRequest,
    EvidenceResponse,
    ForwardCentral,
    SetCouncil,
    SubmitSheet,
)
from ocop_evaluation.service_layer.services import EvaluationService
from ocop_platform.errors import Conflict, DomainError, NotFound
from ocop_platform.identity import (
    Principal,
    Role,
    Scope,
    ensure_may_read,
    ensure_may_write,
    may_read,
)
from ocop_platform.mongo import Document

COMMUNE_DAYS = 15  # QĐ 26 Art. 7.2: the commune checks within 15 working days
SHEET_STATUSES = ("at_province", "in_council", "in_central_council")
EVIDENCE_STATUSES = ("at_commune", "at_province", "in_council")


def points_rows(points: dict[str, float]) -> list[Document]:
    """Criterion ids contain dots, which stored keys may not: keep points as rows."""
    return [{"criterion_id": c, "points": p} for c, p in points.items()]


def points_of(rows: list[Document]) -> dict[str, float]:
    return {row["criterion_id"]: row["points"] for row in rows}


def _history(action: str, who: Principal, on: date, note: str | None = None) -> Document:
    entry = {"action": action, "by": who.subject, "on": on.isoformat()}
    return {**entry, "note": note} if note else entry


class DossierService:
    def __init__(self, evaluation: EvaluationService) -> None:
        self.ev = evaluation
        self.repo = evaluation.repo

    # --- council rules and rounds --------------------------------------------------------

    async def council_rules(self, province_code: str) -> CouncilRules:
        doc = await self.repo.get(COUNCIL_RULES, province_code)
        if doc is None:
            return CouncilRules()
        return CouncilRules(doc["quorum_ratio"], doc["chair_required"], doc["max_spread"])

    async def set_council_rules(
        self, province_code: str, body: CouncilRulesBody, who: Principal
    ) -> Document:
        ensure_may_write(who, Scope(province_code), EVALUATORS)
        await self.repo.put(COUNCIL_RULES, province_code, body.model_dump())
        return {"province_code": province_code, **body.model_dump()}

    async def create_round(self, cmd: CreateRound, who: Principal) -> Document:
        if cmd.level is RatingLevel.PROVINCE:
            if cmd.province_code is None:
                raise DomainError("a province round needs province_code", field="province_code")
            ensure_may_write(who, Scope(cmd.province_code), EVALUATORS)
        elif not who.has_any((Role.MINISTRY, Role.ADMIN)):
            raise DomainError("central rounds are run by the Ministry", field="level")
        if cmd.kind is RoundKind.EXTRA:
            if cmd.proposals_due is None or cmd.results_due is None:
                raise DomainError("an extra round needs its dates", field="proposals_due")
            proposals_due, results_due = cmd.proposals_due, cmd.results_due
        else:
            half = 1 if cmd.kind is RoundKind.FIRST_HALF else 2
            dates = regular_round_dates(cmd.level.value, cmd.year, half)
            proposals_due = cmd.proposals_due or dates.proposals_due
            results_due = cmd.results_due or dates.results_due
        if results_due < proposals_due:
            raise DomainError("results are due before proposals", field="results_due")
        try:
            rules = rule_set_in_force(proposals_due)
        except ValueError as exc:
            raise DomainError(str(exc), field="proposals_due") from exc
        province = cmd.province_code if cmd.level is RatingLevel.PROVINCE else None
        council = await self.council_rules(province) if province else CouncilRules()
        round_id = uuid.uuid4().hex
        doc = {
            "_id": round_id,
            "level": cmd.level.value,
            "province_code": province,
            "year": cmd.year,
            "kind": cmd.kind.value,
            "name": cmd.name or f"{cmd.level.value} round {cmd.kind.value} {cmd.year}",
            "proposals_due": proposals_due.isoformat(),
            "results_due": results_due.isoformat(),
            "rule_set_id": rules.rule_set_id,
            "status": "open",
            "council": {"members": [], "rules": council.__dict__},
            "version": 0,
            "history": [_history("opened", who, await self.ev.today())],
        }
        await self.repo.insert(ROUNDS, doc)
        return doc

    async def round(self, round_id: str) -> Document:
        doc = await self.repo.get(ROUNDS, round_id)
        if doc is None:
            raise NotFound(f"no round {round_id}", field="round_id")
        return doc

    def _may_run(self, who: Principal, rnd: Document) -> None:
        if rnd["level"] == RatingLevel.CENTRAL.value:
            if not who.has_any((Role.MINISTRY, Role.ADMIN)):
                raise DomainError("central rounds are run by the Ministry", field="round_id")
        else:
            ensure_may_write(who, Scope(rnd["province_code"]), EVALUATORS)

    async def set_council(self, round_id: str, body: SetCouncil, who: Principal) -> Document:
        rnd = await self.round(round_id)
        self._may_run(who, rnd)
        ids = [m.member_id for m in body.members]
        if len(set(ids)) != len(ids):
            raise DomainError("a member is listed twice", field="members")
        if sum(m.role == "chair" for m in body.members) != 1:
            raise DomainError("a council has exactly one chair", field="members")
        members = [m.model_dump(mode="json") for m in body.members]
        update = {"$set": {"council.members": members}}
        today = await self.ev.today()
        if not await self.repo.update_versioned(
            ROUNDS, rnd, update, _history("council_set", who, today)
        ):
            raise Conflict("the round changed meanwhile; retry", field="round_id")
        return await self.round(round_id)

    async def close_round(self, round_id: str, who: Principal) -> Document:
        rnd = await self.round(round_id)
        self._may_run(who, rnd)
        if rnd["status"] == "closed":
            return rnd
        today = await self.ev.today()
        update = {"$set": {"status": "closed", "closed_on": today.isoformat()}}
        if not await self.repo.update_versioned(
            ROUNDS, rnd, update, _history("closed", who, today)
        ):
            raise Conflict("the round changed meanwhile; retry", field="round_id")
        return await self.round(round_id)

    # --- dossiers --------------------------------------------------------------------------

    async def dossier(self, dossier_id: str) -> Document:
        doc = await self.repo.get(DOSSIERS, dossier_id)
        if doc is None:
            raise NotFound(f"no dossier {dossier_id}", field="dossier_id")
        return doc

    async def _scope(self, doc: Document) -> Scope:
        if doc.get("entity_id"):
            return dossier_scope(doc)
        return dossier_scope(doc, await self.repo.get_product(doc["product_id"]))

    async def _writable(
        self, dossier_id: str, who: Principal, actors: tuple[Role, ...]
    ) -> Document:
        """The dossier, if ``who`` may act on it as one of ``actors``; else Forbidden (403)."""
        doc = await self.dossier(dossier_id)
        ensure_may_write(who, await self._scope(doc), actors)
        return doc

    async def readable(self, dossier_id: str, who: Principal) -> Document:
        """The dossier, if ``who`` may read it: its producer, commune, province, the Ministry."""
        doc = await self.dossier(dossier_id)
        ensure_may_read(who, await self._scope(doc))
        return doc

    async def readable_dossiers(self, query: Document, who: Principal) -> list[Document]:
        docs = await self.repo.find(DOSSIERS, query, sort="submitted_on")
        return [d for d in docs if may_read(who, await self._scope(d))]

    def _rubric(self, rules: RuleSet, scoring_set_code: str) -> Rubric | None:
        return rules.rubric_for(scoring_set_code)

    def _self_assessment(
        self, rubric: Rubric | None, lines: list[SelfAssessmentLine]
    ) -> tuple[list[Document], float | None]:
        if not lines:
            return [], None
        if rubric is None:
            raise DomainError(
                "no criterion rubric is shipped for this product's scoring set under the "
                "round's rule set; file the dossier without a self-assessment",
                field="self_assessment",
            )
        entries = [SheetEntry(x.criterion_id, x.option_id, x.points) for x in lines]
        points = score_sheet(rubric, entries, field_prefix="self_assessment")
        docs = [{**x.model_dump(mode="json"), "points": points[x.criterion_id]} for x in lines]
        return docs, round(sum(points.values()), 2)

    async def create_dossier(self, cmd: CreateDossier, who: Principal) -> Document:
        product = await self.ev.product(cmd.product_id)
        ensure_may_write(who, product_scope(product), FILERS)
        rnd = await self.round(cmd.round_id)
        if rnd["level"] != RatingLevel.PROVINCE.value:
            raise DomainError("dossiers are filed in a province round", field="round_id")
        if rnd["province_code"] != product["province_code"]:
            raise DomainError(
                f"round {cmd.round_id} is province {rnd['province_code']}'s, the product is "
                f"province {product['province_code']}'s",
                field="round_id",
            )
        if rnd["status"] != "open":
            raise Conflict(f"round {cmd.round_id} is closed", field="round_id")
        rules = rule_set(rnd["rule_set_id"])
        assert rules is not None
        rubric = self._rubric(rules, product["scoring_set_code"])
        lines, self_score = self._self_assessment(rubric, cmd.self_assessment)
        cert = product.get("certificate") or {}
        if cmd.attempt_type != "first" and cert.get("status") not in ("valid", "expired"):
            raise DomainError(
                f"an {cmd.attempt_type.value} needs a certificate; this product has none",
                field="attempt_type",
            )
        today = await self.ev.today()
        calendar = vietnam_calendar()
        doc = {
            "_id": uuid.uuid4().hex,
            "product_id": product["_id"],
            "product_name": product.get("name"),
            "province_code": product["province_code"],
            "commune_code": product.get("commune_code"),
            "entity_id": product.get("entity_id"),
            "scoring_set_code": product["scoring_set_code"],
            "round_id": rnd["_id"],
            "rule_set_id": rules.rule_set_id,
            "rubric_id": None if rubric is None else rubric.rubric_id,
            "attempt_type": cmd.attempt_type.value,
            "certificate_at_filing": cert.get("certificate_id"),
            "registration": cmd.registration.model_dump(mode="json"),
            "self_assessment": lines,
            "self_score": self_score,
            "status": "at_commune",
            "submitted_on": today.isoformat(),
            "commune_due_on": calendar.add_working_days(today, COMMUNE_DAYS).isoformat(),
            "calendar_verified": calendar.covers(today.year),
            "evidence_requests": [],
            "sheets": {"province": {}, "central": {}},
            "version": 0,
            "history": [_history("submitted", who, today)],
        }
        await self.repo.insert(DOSSIERS, doc)
        return doc

    async def commune_check(self, dossier_id: str, cmd: CommuneCheck, who: Principal) -> Document:
        doc = await self._writable(dossier_id, who, INTAKE)
        if doc["status"] != "at_commune":
            raise Conflict(f"dossier is {doc['status']}, not at the commune", field="decision")
        if cmd.decision is CommuneDecision.RETURN and not cmd.reasons:
            raise DomainError("say why the dossier is returned", field="reasons")
        today = await self.ev.today()
        check = {
            **cmd.model_dump(mode="json"),
            "by": who.subject,
            "on": today.isoformat(),
            "working_days_used": vietnam_calendar().working_days_between(
                date.fromisoformat(doc["submitted_on"]), today
            ),
            "late": today > date.fromisoformat(doc["commune_due_on"]),
        }
        status = "at_province" if cmd.decision is CommuneDecision.FORWARD else "returned"
        update = {"$set": {"status": status, "commune_check": check}}
        note = "; ".join(cmd.reasons) or None
        if not await self.repo.update_versioned(
            DOSSIERS, doc, update, _history(f"commune_{cmd.decision.value}", who, today, note)
        ):
            raise Conflict("the dossier changed meanwhile; retry", field="dossier_id")
        return await self.dossier(dossier_id)

    async def resubmit(
        self, dossier_id: str, lines: list[SelfAssessmentLine], who: Principal
    ) -> Document:
        doc = await self._writable(dossier_id, who, FILERS)
        if doc["status"] != "returned":
            raise Conflict(f"dossier is {doc['status']}, not returned", field="dossier_id")
        rules = rule_set(doc["rule_set_id"])
        assert rules is not None
        rubric = self._rubric(rules, doc["scoring_set_code"])
        docs, self_score = self._self_assessment(rubric, lines)
        today = await self.ev.today()
        due = vietnam_calendar().add_working_days(today, COMMUNE_DAYS)
        update = {
            "$set": {
                "status": "at_commune",
                "self_assessment": docs,
                "self_score": self_score,
                "submitted_on": today.isoformat(),
                "commune_due_on": due.isoformat(),
            }
        }
        if not await self.repo.update_versioned(
            DOSSIERS, doc, update, _history("resubmitted", who, today)
        ):
            raise Conflict("the dossier changed meanwhile; retry", field="dossier_id")
        return await self.dossier(dossier_id)

    async def request_evidence(
        self, dossier_id: str, cmd: EvidenceRequest, who: Principal
    ) -> Document:
        doc = await self._writable(dossier_id, who, INTAKE)
        if doc["status"] not in (*EVIDENCE_STATUSES, "awaiting_evidence"):
            raise Conflict(f"dossier is {doc['status']}", field="dossier_id")
        if cmd.criterion_id is not None and doc.get("rubric_id"):
            rules = rule_set(doc["rule_set_id"])
            rubric = None if rules is None else rules.rubrics.get(doc["rubric_id"])
            if rubric is not None and cmd.criterion_id not in rubric.criteria:
                raise DomainError(f"no criterion {cmd.criterion_id}", field="criterion_id")
        today = await self.ev.today()
        request = {
            "request_id": str(len(doc["evidence_requests"]) + 1),
            **cmd.model_dump(mode="json"),
            "requested_by": who.subject,
            "requested_on": today.isoformat(),
            "status": "open",
        }
        update: dict[str, Any] = {"$push": {"evidence_requests": request}}
        if doc["status"] != "awaiting_evidence":
            update["$set"] = {"status": "awaiting_evidence", "resume_status": doc["status"]}
        if not await self.repo.update_versioned(
            DOSSIERS, doc, update, _history("evidence_requested", who, today, cmd.message)
        ):
            raise Conflict("the dossier changed meanwhile; retry", field="dossier_id")
        return await self.dossier(dossier_id)

    async def answer_evidence(
        self, dossier_id: str, request_id: str, cmd: EvidenceResponse, who: Principal
    ) -> Document:
        doc = await self._writable(dossier_id, who, FILERS)
        requests = doc["evidence_requests"]
        index = next((i for i, r in enumerate(requests) if r["request_id"] == request_id), None)
        if index is None:
            raise NotFound(f"no evidence request {request_id}", field="request_id")
        if requests[index]["status"] != "open":
            raise Conflict(f"evidence request {request_id} is answered", field="request_id")
        today = await self.ev.today()
        answered = {
            **requests[index],
            "status": "answered",
            "response": {**cmd.model_dump(mode="json"), "by": who.subject, "on": today.isoformat()},
        }
        requests = [*requests[:index], answered, *requests[index + 1 :]]
        fields: dict[str, Any] = {"evidence_requests": requests}
        criterion = answered.get("criterion_id")
        if criterion:
            fields["self_assessment"] = [
                {**line, "evidence": [*line["evidence"], *cmd.evidence]}
                if line["criterion_id"] == criterion
                else line
                for line in doc["self_assessment"]
            ]
        if all(r["status"] == "answered" for r in requests):
            fields["status"] = doc.get("resume_status") or "at_province"
        if not await self.repo.update_versioned(
            DOSSIERS, doc, {"$set": fields}, _history("evidence_provided", who, today, cmd.note)
        ):
            raise Conflict("the dossier changed meanwhile; retry", field="dossier_id")
        return await self.dossier(dossier_id)

    # --- councils and sheets ------------------------------------------------------------------

    def _stage(self, doc: Document) -> tuple[str, str]:
        """(stage, round id) of the council that scores the dossier now."""
        if doc["status"] in ("in_central_council",):
            return "central", doc["central_round_id"]
        return "province", doc["round_id"]

    async def submit_sheet(
        self, dossier_id: str, member_id: str, cmd: SubmitSheet, who: Principal
    ) -> Document:
        doc = await self.dossier(dossier_id)
        stage, round_id = self._stage(doc)
        rnd = await self.round(round_id)
        if rnd["status"] != "open":
            raise Conflict(f"round {round_id} is closed: no more sheets", field="round_id")
        members = {m["member_id"]: m for m in rnd["council"]["members"]}
        if member_id not in members:
            raise DomainError(
                f"{member_id} is not a member of the council of round {round_id}",
                field="member_id",
            )
        is_self = who.subject == member_id and who.has_any((Role.COUNCIL_MEMBER,))
        if not is_self:  # the council's secretary (province office / Ministry) enters it
            self._may_run(who, rnd)
        if doc["status"] not in SHEET_STATUSES:
            raise Conflict(f"dossier is {doc['status']}: not before a council", field="dossier_id")
        rules = rule_set(rnd["rule_set_id"])
        assert rules is not None
        rubric = self._rubric(rules, doc["scoring_set_code"])
        if rubric is None:
            raise DomainError(
                f"{rules.rule_set_id} ships no criterion rubric for scoring set "
                f"{doc['scoring_set_code']}; record the council's total with POST /ratings",
                field="entries",
            )
        entries = [SheetEntry(x.criterion_id, x.option_id, x.points) for x in cmd.entries]
        points = score_sheet(rubric, entries)
        today = await self.ev.today()
        sheet = {
            "member_id": member_id,
            "role": members[member_id]["role"],
            "points": points_rows(points),
            "parts": part_totals(rubric, points),
            "total": round(sum(points.values()), 2),
            "submitted_on": today.isoformat(),
            "entered_by": who.subject,
        }
        fields: dict[str, Any] = {f"sheets.{stage}.{member_id}": sheet}
        if doc["status"] == "at_province":
            fields["status"] = "in_council"
        if not await self.repo.update_versioned(
            DOSSIERS, doc, {"$set": fields}, _history(f"sheet_{stage}", who, today, member_id)
        ):
            raise Conflict("the dossier changed meanwhile; retry", field="dossier_id")
        return sheet

    async def result(self, dossier_id: str) -> tuple[Document, Document, CouncilResult]:
        doc = await self.dossier(dossier_id)
        stage, round_id = self._stage(doc)
        if doc["status"] == "awaiting_province_certification":
            stage, round_id = "central", doc["central_round_id"]
        rnd = await self.round(round_id)
        members = {m["member_id"]: m["role"] for m in rnd["council"]["members"]}
        rules = CouncilRules(**rnd["council"]["rules"])
        sheets = {m: points_of(s["points"]) for m, s in doc["sheets"][stage].items()}
        return doc, rnd, council_result(members, sheets, rules)

    async def forward_central(
        self, dossier_id: str, cmd: ForwardCentral, who: Principal
    ) -> Document:
        doc = await self.dossier(dossier_id)
        if doc["status"] != "proposed_national":
            raise Conflict(f"dossier is {doc['status']}, not proposed", field="dossier_id")
        rnd = await self.round(cmd.round_id)
        if rnd["level"] != RatingLevel.CENTRAL.value:
            raise DomainError("the central council scores in a central round", field="round_id")
        self._may_run(who, rnd)
        if rnd["status"] != "open":
            raise Conflict(f"round {cmd.round_id} is closed", field="round_id")
        today = await self.ev.today()
        update = {"$set": {"status": "in_central_council", "central_round_id": rnd["_id"]}}
        if not await self.repo.update_versioned(
            DOSSIERS, doc, update, _history("to_central_council", who, today)
        ):
            raise Conflict("the dossier changed meanwhile; retry", field="dossier_id")
        return await self.dossier(dossier_id)

    # --- decisions --------------------------------------------------------------------------

    async def decide(self, dossier_id: str, cmd: Decide, who: Principal) -> Document:
        doc, rnd, result = await self.result(dossier_id)
        status = doc["status"]
        if status == "in_council":
            self._may_run(who, rnd)
            level = RatingLevel.PROVINCE
        elif status == "in_central_council":
            self._may_run(who, rnd)
            level = RatingLevel.CENTRAL
        elif status == "awaiting_province_certification":
            ensure_may_write(who, Scope(doc["province_code"]), EVALUATORS)
            return await self._certify_from_central(doc, cmd, who)
        else:
            raise Conflict(f"dossier is {status}: nothing to decide", field="dossier_id")
        if rnd["status"] != "open":
            raise Conflict(f"round {rnd['_id']} is closed", field="round_id")
        if not result.decidable:
            raise DomainError("; ".join(result.problems), field="sheets")
        rules = rule_set(rnd["rule_set_id"])
        assert rules is not None
        rubric = self._rubric(rules, doc["scoring_set_code"])
        assert rubric is not None
        decided_on = cmd.decided_on or await self.ev.today()
        points = result.criterion_average
        score = result.average
        stars = stars_with_minima(rules, rubric, score, points, level)
        product = await self.ev.product(doc["product_id"])
        sheet = {
            "dossier_id": doc["_id"],
            "rule_set_id": rules.rule_set_id,
            "rubric_id": rubric.rubric_id,
            "criterion_points": points_rows(points),
            "score": score,
            "level": level.value,
        }
        key = f"{doc['_id']}:{level.value}"
        outcome: Document = {
            "level": level.value,
            "score": score,
            "parts": part_totals(rubric, points),
            "spread": result.spread,
            "member_totals": result.member_totals,
            "decision_ref": cmd.decision_ref,
            "decided_on": decided_on.isoformat(),
        }
        for _ in range(5):
            version = product.get("rating_version", 0)
            fields: Document = {"latest_sheet": sheet}
            extra: Document = {}
            events: list[Event] = []
            if level is RatingLevel.PROVINCE and rules.stars_for(score) == 5:
                # ≥90 points: only the central council may decide 5★ (QĐ 26 Art. 7.3).
                rating = self.ev.rated(
                    product,
                    version + 1,
                    score=score,
                    stars=stars,
                    level=level,
                    rules=rules,
                    rated_on=decided_on,
                    round_id=rnd["_id"],
                    parts=outcome["parts"],
                    dossier_id=doc["_id"],
                )
                events.append(self.ev.proposal(product, version + 1, rating, decided_on))
                next_status = "proposed_national"
                outcome.update(stars=None, proposed_for_national=True)
            else:
                rating = self.ev.rated(
                    product,
                    version + 1,
                    score=score,
                    stars=stars,
                    level=level,
                    rules=rules,
                    rated_on=decided_on,
                    round_id=rnd["_id"],
                    parts=outcome["parts"],
                    dossier_id=doc["_id"],
                )
                events.append(rating)
                fields.update(self.ev.rating_fields(rating))
                outcome.update(stars=stars)
                next_status = "decided"
                certify = stars == 5 or (level is RatingLevel.PROVINCE and stars >= 3)
                if certify:
                    issued, state = self.ev.issue(
                        product,
                        version + 2,
                        stars=stars,
                        level=level,
                        decision_ref=cmd.decision_ref,
                        issued_on=decided_on,
                        rules=rules,
                    )
                    await self.repo.index_certificate(issued.certificate_id, product["_id"])
                    events.append(issued)
                    fields["certificate"] = state
                    extra = self.ev.retire(product, "replaced")
                    outcome.update(certificate_id=issued.certificate_id)
                elif level is RatingLevel.CENTRAL and stars >= 3:
                    next_status = "awaiting_province_certification"
            if await self.ev.commit(product, events, fields, applied_key=key, extra=extra):
                break
            product = await self.ev.product(doc["product_id"])
            if key in product.get("applied", []):
                # Applied by an earlier attempt that stopped before updating the dossier.
                current = product.get("certificate") or {}
                if "certificate_id" in outcome:
                    outcome["certificate_id"] = current.get("certificate_id")
                break
        else:
            raise Conflict("the product is busy; retry", field="dossier_id")
        today = await self.ev.today()
        field = "result" if level is RatingLevel.PROVINCE else "central_result"
        update = {"$set": {"status": next_status, field: outcome}}
        await self.repo.update_versioned(
            DOSSIERS, doc, update, _history(f"decided_{level.value}", who, today, cmd.decision_ref)
        )
        return await self.dossier(dossier_id)

    async def _certify_from_central(self, doc: Document, cmd: Decide, who: Principal) -> Document:
        """QĐ 26 Art. 7.4: below 90 centrally, the province may certify 3–4★ on that result."""
        central = doc["central_result"]
        product = await self.ev.product(doc["product_id"])
        rules = rule_set(doc["rule_set_id"])
        assert rules is not None
        decided_on = cmd.decided_on or await self.ev.today()
        key = f"{doc['_id']}:certify"
        issued, state = self.ev.issue(
            product,
            product.get("rating_version", 0) + 1,
            stars=central["stars"],
            level=RatingLevel.PROVINCE,
            decision_ref=cmd.decision_ref,
            issued_on=decided_on,
            rules=rules,
        )
        await self.repo.index_certificate(issued.certificate_id, product["_id"])
        written = await self.ev.commit(
            product,
            [issued],
            {"certificate": state},
            applied_key=key,
            extra=self.ev.retire(product, "replaced"),
        )
        if not written and key not in (await self.ev.product(doc["product_id"])).get("applied", []):
            raise Conflict("the product is busy; retry", field="dossier_id")
        today = await self.ev.today()
        outcome = {"certificate_id": issued.certificate_id, "decision_ref": cmd.decision_ref}
        update = {"$set": {"status": "decided", "result": {**central, **outcome}}}
        await self.repo.update_versioned(
            DOSSIERS, doc, update, _history("certified", who, today, cmd.decision_ref)
        )
        return await self.dossier(doc["_id"])
