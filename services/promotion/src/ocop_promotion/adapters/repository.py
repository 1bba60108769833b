"""MongoDB storage of promotion's product copies and the newly-starred feed."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from ocop_contracts import ProductRegistered
from ocop_platform.idempotency import apply_if_newer, insert_once
from ocop_platform.mongo import Database, Document
from ocop_promotion.domain.feed import FeedEntry
from ocop_promotion.service_layer.services import FeedQuery

PRODUCTS = "products"
FEED = "feed"
OUTBOX_COLLECTIONS: tuple[str, ...] = ()


class MongoPromotionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[FEED].create_index([("rated_on", -1), ("_id", 1)])

    async def remember_product(self, event: ProductRegistered) -> bool:
        fields = {"name": event.name, "province_code": event.province_code}
        return await apply_if_newer(
            self._db[PRODUCTS], event.product_id, event.aggregate_version, fields
        )

    async def product_name(self, product_id: str) -> str | None:
        doc = await self._db[PRODUCTS].find_one({"_id": product_id}, {"name": 1})
        return None if doc is None else str(doc["name"])

    async def add_feed_entry(self, entry: FeedEntry) -> bool:
        doc: Document = {"_id": entry.entry_id, **asdict(entry)}
        doc["rated_on"] = entry.rated_on.isoformat()
        return await insert_once(self._db[FEED], doc)

    async def feed(self, query: FeedQuery) -> tuple[list[FeedEntry], int]:
        flt: dict[str, Any] = {"to_stars": {"$gte": query.min_stars}}
        if query.province_code:
            flt["province_code"] = query.province_code
        total = await self._db[FEED].count_documents(flt)
        cursor = (
            self._db[FEED]
            .find(flt)
            .sort([("rated_on", -1), ("_id", 1)])
            .skip((query.page - 1) * query.page_size)
            .limit(query.page_size)
        )
        return [_entry(doc) async for doc in cursor], total


def _entry(doc: Document) -> FeedEntry:
    fields = {k: v for k, v in doc.items() if k != "_id"}
    fields["rated_on"] = date.fromisoformat(fields["rated_on"])
    return FeedEntry(**fields)
