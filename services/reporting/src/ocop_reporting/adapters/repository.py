"""MongoDB read models (one fact document per event) and the targets reporting owns."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from ocop_contracts import ProductRated, ProductRegistered, TargetMetric, TargetUpdated
from ocop_platform.idempotency import apply_if_newer, insert_once
from ocop_platform.mongo import Database, Document
from ocop_platform.outbox import outbox_entries, push_outbox
from ocop_reporting.domain.progress import Target

RATINGS = "rating_facts"
PRODUCTS = "product_facts"
TARGETS = "targets"
OUTBOX_COLLECTIONS = (TARGETS,)
READ_MODELS = (RATINGS, PRODUCTS)


class MongoReportingRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[RATINGS].create_index([("province_code", 1), ("year", 1)])
        await self._db[TARGETS].create_index([("province_code", 1), ("year_from", 1)])

    async def record_rating(self, event: ProductRated) -> bool:
        # Keyed by event id: a redelivered event is the same fact, never a second one.
        return await insert_once(
            self._db[RATINGS],
            {
                "_id": str(event.event_id),
                "product_id": event.product_id,
                "province_code": event.province_code,
                "commune_code": event.commune_code,
                "scoring_set_code": event.scoring_set_code,
                "stars": event.stars,
                "previous_stars": event.previous_stars,
                "upgraded": event.upgraded,
                "score": event.score,
                "level": event.level.value,
                "rated_on": event.rated_on.isoformat(),
                "year": event.rated_on.year,
            },
        )

    async def record_product(self, event: ProductRegistered) -> bool:
        fields = {
            "province_code": event.province_code,
            "commune_code": event.commune_code,
            "scoring_set_code": event.scoring_set_code,
            "legal_form": event.legal_form.value,
            "women_led": event.women_led,
            "ethnic_minority_led": event.ethnic_minority_led,
        }
        return await apply_if_newer(
            self._db[PRODUCTS], event.product_id, event.aggregate_version, fields
        )

    async def current_target_version(self, target_id: str) -> int:
        doc = await self._db[TARGETS].find_one({"_id": target_id}, {"version": 1})
        return 0 if doc is None else int(doc["version"])

    async def has_ingested(self, target_id: str, source_event_id: str) -> bool:
        found = await self._db[TARGETS].find_one(
            {"_id": target_id, "ingested": source_event_id}, {"_id": 1}
        )
        return found is not None

    async def save_target(self, event: TargetUpdated, source_event_id: str | None) -> bool:
        fields = _target_fields(event)
        if event.aggregate_version == 1:
            doc = {"_id": event.target_id, **fields, "outbox": outbox_entries([event])}
            doc["ingested"] = [source_event_id] if source_event_id else []
            try:
                await self._db[TARGETS].insert_one(doc)
            except DuplicateKeyError:
                return False
            return True
        update: Document = push_outbox({"$set": fields}, [event])
        if source_event_id:
            update["$addToSet"] = {"ingested": source_event_id}
        result = await self._db[TARGETS].update_one(
            {"_id": event.target_id, "version": event.aggregate_version - 1}, update
        )
        return result.modified_count == 1

    async def targets(self, province_code: str, year: int) -> list[Target]:
        cursor = self._db[TARGETS].find(
            {
                "province_code": province_code,
                "year_from": {"$lte": year},
                "year_to": {"$gte": year},
            },
            {"outbox": 0, "ingested": 0},
        )
        return [_target(doc) async for doc in cursor.sort("_id", 1)]

    async def derived_actual(self, target: Target) -> int:
        flt: dict[str, Any] = {
            "province_code": target.province_code,
            "year": {"$gte": target.year_from, "$lte": target.year_to},
            **_metric_filter(target),
        }
        return len(await self._db[RATINGS].distinct("product_id", flt))

    async def rating_count(self, province_code: str, year: int) -> int:
        return await self._db[RATINGS].count_documents(
            {"province_code": province_code, "year": year}
        )


def _metric_filter(target: Target) -> dict[str, Any]:
    stars = target.min_stars or 3
    match target.metric:
        case TargetMetric.CERTIFIED_PRODUCTS:
            return {"stars": {"$gte": stars}, "previous_stars": {"$lt": stars}}
        case TargetMetric.UPGRADED_PRODUCTS:
            return {"upgraded": True, "stars": {"$gte": max(stars, 4)}}
        case TargetMetric.NATIONAL_PROPOSALS:
            return {"score": {"$gte": 90}}
        case TargetMetric.FIVE_STAR_PRODUCTS:
            return {"stars": 5, "previous_stars": {"$lt": 5}}
        case _:
            raise ValueError(f"{target.metric} is not derived from rating events")


def _target_fields(event: TargetUpdated) -> Document:
    fields = event.model_dump(
        mode="json",
        include={
            "target_id",
            "province_code",
            "plan_ref",
            "label",
            "metric",
            "unit",
            "year_from",
            "year_to",
            "minimum",
            "maximum",
            "base",
            "min_stars",
            "commune_code",
        },
    )
    fields["version"] = event.aggregate_version
    return fields


def _target(doc: Document) -> Target:
    return Target(
        target_id=doc["target_id"],
        province_code=doc["province_code"],
        plan_ref=doc["plan_ref"],
        label=doc["label"],
        metric=TargetMetric(doc["metric"]),
        year_from=doc["year_from"],
        year_to=doc["year_to"],
        minimum=doc["minimum"],
        maximum=doc["maximum"],
        min_stars=doc["min_stars"],
        version=doc["version"],
    )
