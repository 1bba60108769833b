"""Where the read models live, for the projections that write them and the queries that read them.

Facts are insert-style: one document per event id (ratings, proposals, placements) or one per
aggregate applied only when newer (products, producers, fairs, media activities), so a redelivery
never counts twice; every figure is derived by query. Each fact carries the unit it was recorded in
(`unit_code`, `edition`) and the current province it rolls up to (`current_code`).
"""

from __future__ import annotations

from datetime import date

from pymongo.asynchronous.collection import AsyncCollection

from ocop_platform.idempotency import insert_many_once
from ocop_platform.mongo import Database, Document
from ocop_reporting.adapters.summaries import SUMMARIES
from ocop_reporting.domain.metrics import target_communes
from ocop_reporting.domain.progress import Target
from ocop_reporting.domain.units import Unit

RATINGS = "rating_facts"
PROPOSALS = "proposal_facts"
PRODUCTS = "product_facts"
ENTITIES = "entity_facts"
CERTIFICATES = "certificate_facts"
FAIRS = "fair_facts"
SHOWCASES = "showcase_facts"
ACTIVITIES = "activity_facts"
# Dropped and rebuilt from the topics by `ocop-reporting-rebuild`; targets and activity reports
# are reporting's own state (their events are on ocop.reporting.v1) and are kept.
READ_MODELS = (
    RATINGS,
    PROPOSALS,
    PRODUCTS,
    ENTITIES,
    CERTIFICATES,
    FAIRS,
    SHOWCASES,
    ACTIVITIES,
    SUMMARIES,
)
# The fields the queries on each province's facts filter on (MongoDB uses these indexes; FerretDB
# v1 creates them and scans anyway). The unit: `edition` + `unit_code` (an old province) or the
# whole collection (`current_code` is the same in every document of it).
_UNIT_DAY = [("edition", 1), ("unit_code", 1), ("day", 1)]
FACT_INDEXES: dict[str, list[list[tuple[str, int]]]] = {
    RATINGS: [_UNIT_DAY, [("day", 1)], [("year", 1)], [("commune_code", 1), ("day", 1)]],
    PROPOSALS: [_UNIT_DAY, [("day", 1)]],
    PRODUCTS: [],
    ENTITIES: [_UNIT_DAY, [("day", 1)]],
    CERTIFICATES: [[("valid_until", 1)]],
    FAIRS: [_UNIT_DAY, [("day", 1)]],
    SHOWCASES: [_UNIT_DAY, [("venue_kind", 1), ("day", 1)]],
    ACTIVITIES: [_UNIT_DAY, [("kind", 1), ("day", 1)]],
}


def fact_collection(base: str, current_code: str) -> str:
    """Facts live in one collection per current province (`rating_facts_19`…): every report reads
    one province, and on FerretDB a filtered query scans its whole collection, so a province's
    reports cost what that province holds, not what the country holds."""
    return f"{base}_{current_code}"


def province_of(collection: str) -> str:
    """The current province of a fact collection (`rating_facts_19` → `19`)."""
    return collection.rsplit("_", 1)[1]


async def fact_collections(db: Database, *bases: str) -> list[str]:
    """The province collections of these read models (all of them when none is named)."""
    wanted = bases or READ_MODELS
    names = await db.list_collection_names()
    return sorted(n for n in names if any(n.startswith(f"{b}_") for b in wanted))


def unit_filter(where: Unit) -> Document:
    """Facts of a unit: an old province's own facts, or everything that rolls up to a new one."""
    if where.edition == "2008":
        return {"edition": "2008", "unit_code": where.code}
    return {"current_code": where.code}


def day_range(first: date | None, last: date | None) -> Document:
    bounds: Document = {}
    if first is not None:
        bounds["$gte"] = first.isoformat()
    if last is not None:
        bounds["$lte"] = last.isoformat()
    return {"day": bounds} if bounds else {}


def known_filter(cut: date | None, field: str = "known") -> Document:
    """Facts known on `cut` (domain.knowledge): recorded by then, or before facts kept it."""
    return {field: {"$not": {"$gt": cut.isoformat()}}} if cut is not None else {}


def target_unit_filter(target: Target) -> Document:
    """What a target counts: the facts (or reports) of the unit that issued its plan."""
    if target.province_edition == "2008":
        return {"edition": "2008", "unit_code": target.province_code}
    return {"current_code": target.province_code}


def commune_filter(target: Target) -> Document:
    """A commune's or a former district's target counts only its communes: a plan of before the
    merger (2008 edition) by the commune of the fact's time, `old_commune_code` when the fact
    has one, else `commune_code` unless that is today's (`old_commune_unknown`); a 2025 plan by
    today's, `commune_code`
    (domain/units.commune_in, the same rule on a fact read)."""
    communes = sorted(target_communes(target))
    if not communes:
        return {}
    among = {"$in": communes}
    if target.province_edition != "2008":
        return {"commune_code": among}
    return {
        "$or": [
            {"old_commune_code": among},
            {
                "old_commune_code": {"$exists": False},
                "old_commune_unknown": {"$exists": False},
                "commune_code": among,
            },
        ]
    }


class HeldFacts:
    """Facts keyed by event id, held for a batch and inserted at its end, one unordered
    ``insert_many`` per collection instead of one insert per event: a batch of ten ratings
    cost ten store commands, each its own SQLite transaction on FerretDB. Safe to hold because
    no writer reads these facts back and each is inserted once by ``_id``: a batch cut short
    inserts them on its redelivery, and one already there is a no-op."""

    def __init__(self) -> None:
        self._held: dict[str, tuple[AsyncCollection[Document], dict[str, Document]]] = {}

    def add(self, collection: AsyncCollection[Document], fact: Document) -> None:
        _, facts = self._held.setdefault(collection.name, (collection, {}))
        facts.setdefault(fact["_id"], fact)  # the same event twice in a batch: one fact

    async def flush(self) -> None:
        held, self._held = self._held, {}
        for collection, facts in held.values():
            await insert_many_once(collection, list(facts.values()))
