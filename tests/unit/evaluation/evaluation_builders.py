"""Builders of evaluation's unit tests: callers, products, rounds, dossiers and council sheets."""

from __future__ import annotations

from datetime import date
from typing import Any

from ocop_contracts import Event, ProductRegistered, RatingLevel
from ocop_evaluation.adapters.memory import memory_stores
from ocop_evaluation.adapters.stores import Stores
from ocop_evaluation.domain.calendar import vietnam_calendar
from ocop_evaluation.domain.dossiers import Dossier
from ocop_evaluation.domain.forms import AttemptType, CommuneDecision, CommuneFindings, Registration
from ocop_evaluation.domain.products import RegisteredProduct
from ocop_evaluation.domain.records import HistoryEntry
from ocop_evaluation.domain.rounds import CouncilMember, CouncilRole, Round, RoundKind, round_dates
from ocop_evaluation.domain.rules import Rubric, RuleSet, rule_set
from ocop_evaluation.domain.scoring import CouncilRules, SheetEntry
from ocop_evaluation.service_layer.evaluation import Evaluation
from ocop_platform.aggregates import InMemoryAggregateStore
from ocop_platform.identity import ALL_PROVINCES, Principal, Role

PROVINCE = "92"
COMMUNE = "31120"
TODAY = date(2027, 1, 5)


def principal(subject: str = "office", *roles: Role, **scope: Any) -> Principal:
    provinces = scope.pop("provinces", [ALL_PROVINCES])
    return Principal(
        subject=subject,
        roles=frozenset(roles or (Role.PROVINCE_OFFICE, Role.MINISTRY)),
        provinces=frozenset(provinces),
        **scope,
    )


OFFICE = principal()


def registered(product_id: str = "p1", **fields: Any) -> RegisteredProduct:
    values: dict[str, Any] = {
        "product_id": product_id,
        "province_code": PROVINCE,
        "scoring_set_code": "I.3.d",
        "commune_code": COMMUNE,
        "entity_id": f"e-{product_id}",
        "name": "Bánh pía",
        "product_code": f"{PROVINCE}-{COMMUNE}-1-2026",
    }
    return RegisteredProduct(**{**values, **fields})


def _rules(rule_set_id: str) -> RuleSet:
    rules = rule_set(rule_set_id)
    assert rules is not None
    return rules


RULES = _rules("qd26-2026")
OLD_RULES = _rules("qd148-2023")  # bands only: no criterion rubric


def food_rubric() -> Rubric:
    return RULES.rubrics["qd26-food"]


def entries(choices: dict[str, str] | None = None) -> list[SheetEntry]:
    """A complete sheet: the option named in ``choices``, else each criterion's best."""
    chosen = choices or {}
    return [
        SheetEntry(
            c.criterion_id, chosen.get(c.criterion_id, max(c.options, key=_points).option_id)
        )
        for c in food_rubric().criteria.values()
    ]


def _points(option: Any) -> float:
    return float(option.points)


MEMBERS = [
    CouncilMember(member_id="chair-1", name="Nguyễn Văn An", role=CouncilRole.CHAIR),
    CouncilMember(member_id="member-2", name="Trần Thị Bình"),
    CouncilMember(member_id="member-3", name="Lê Văn Cường"),
]


def a_round(
    round_id: str = "r1", level: RatingLevel = RatingLevel.PROVINCE, year: int = 2027
) -> Round:
    kind = RoundKind.FIRST_HALF if level is RatingLevel.PROVINCE else RoundKind.SECOND_HALF
    opened = Round.open(
        round_id,
        level=level,
        province_code=PROVINCE,
        year=year,
        kind=kind,
        dates=round_dates(level, year, kind, None, None),
        name=None,
        council_rules=CouncilRules(),
        opened=HistoryEntry.of("opened", OFFICE, TODAY),
    )
    opened.set_council(MEMBERS if level is RatingLevel.PROVINCE else MEMBERS[:2], OFFICE, TODAY)
    return opened


def filed(
    dossier_id: str = "d1", product: RegisteredProduct | None = None, in_round: Round | None = None
) -> Dossier:
    return Dossier.file(
        dossier_id,
        product or registered(),
        None,
        in_round or a_round(),
        attempt=AttemptType.FIRST,
        registration=Registration(applicant_name="HTX", representative_name="Võ Thị Mai"),
        lines=[],
        calendar=vietnam_calendar(),
        submitted=HistoryEntry.of("submitted", OFFICE, TODAY),
    )


def at_province(dossier: Dossier | None = None) -> Dossier:
    dossier = dossier or filed()
    forward = CommuneFindings(decision=CommuneDecision.FORWARD)
    dossier.check_at_commune(forward, OFFICE, TODAY, vietnam_calendar())
    return dossier


def scored(dossier: Dossier, in_round: Round, choices: dict[str, str] | None = None) -> Dossier:
    """Every member of ``in_round``'s council has scored ``dossier`` the same."""
    for member in in_round.council.members:
        dossier.submit_sheet(member, entries(choices), RULES, OFFICE, TODAY)
    return dossier


# --- use cases over in-memory stores ------------------------------------------------------------


async def today() -> date:
    return TODAY


def evaluation() -> tuple[Evaluation, Stores]:
    stores = memory_stores()
    return Evaluation.over(stores, today), stores


def registration(
    product_id: str = "p1", province: str = PROVINCE, version: int = 1
) -> ProductRegistered:
    return ProductRegistered(
        producer="registry",
        aggregate_id=product_id,
        aggregate_version=version,
        province_code=province,
        product_id=product_id,
        product_code=f"{province}-{COMMUNE}-1-2026",
        name="Bánh pía",
        entity_id=f"e-{product_id}",
        legal_form="cooperative",
        scoring_set_code="I.3.d",
        commune_code=COMMUNE,
    )


def published(stores: Stores) -> list[Event]:
    """What the relay would publish: the products' events, in the order they were saved."""
    products = stores.products
    assert isinstance(products, InMemoryAggregateStore)
    return list(products.published)


def kinds(stores: Stores) -> list[tuple[str, str, int]]:
    return [(e.aggregate_id, e.type, e.aggregate_version) for e in published(stores)]
