"""MongoDB storage of evaluation (FerretDB-compatible subset: single-document writes only).

- ``products``: what evaluation knows of each product, its rating history (``rating_version`` is
  the version sequence of every event evaluation emits for the product), its latest council
  sheet, its current certificate (with the scheduler's flags) and past certificates, the keys of
  the decisions already applied, and the outbox. Every product event is written here.
- ``rounds``, ``dossiers``, ``council_rules``: plain state documents, optimistic versioning.
- ``certificate_index``: certificate number → product (insert-once facts, for look-ups).
- ``parked_ratings``: ingest messages held until their product is known (only held ones);
  ``rejected_ratings``: held messages that failed once their product was known.
- ``source_ratings``: the first message of each province system's rating, keyed by
  ``<province>:<producer>:<source_rating_id>``, with the fingerprint of its content (re-sends).
- ``clock``: the development/test clock override.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from ocop_contracts import Event, ProductRegistered
from ocop_contracts.events.registry import ProductUpdated
from ocop_evaluation.domain.resends import SourceRating
from ocop_platform.idempotency import apply_if_newer, insert_once
from ocop_platform.mongo import Database, Document
from ocop_platform.outbox import update_with_events

PRODUCTS = "products"
ROUNDS = "rounds"
DOSSIERS = "dossiers"
COUNCIL_RULES = "council_rules"
CERTIFICATE_INDEX = "certificate_index"
PARKED = "parked_ratings"
REJECTED = "rejected_ratings"
SOURCE_RATINGS = "source_ratings"
CLOCK = "clock"
OUTBOX_COLLECTIONS = (PRODUCTS,)
_NO_OUTBOX = {"outbox": 0}


class MongoEvaluationRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[PRODUCTS].create_index("certificate.status")
        await self._db[DOSSIERS].create_index("product_id")
        await self._db[DOSSIERS].create_index("round_id")
        await self._db[PARKED].create_index("product_id")

    # --- products ------------------------------------------------------------------------

    async def remember_product(self, event: ProductRegistered | ProductUpdated) -> bool:
        fields = {
            "province_code": event.province_code,
            "scoring_set_code": event.scoring_set_code,
            "commune_code": event.commune_code,
            "entity_id": event.entity_id,
            "name": event.name,
            "product_code": event.product_code,
        }
        return await apply_if_newer(
            self._db[PRODUCTS],
            event.product_id,
            event.aggregate_version,
            fields,
            version_field="registry_version",
            # First sight starts the rating history; a later ProductUpdated must not reset it.
            on_insert={"rating_version": 0, "stars": 0, "applied": [], "outbox": []},
        )

    async def get_product(self, product_id: str) -> Document | None:
        return await self._db[PRODUCTS].find_one({"_id": product_id}, _NO_OUTBOX)

    async def write_product(
        self,
        product: Document,
        events: Sequence[Event],
        fields: Document,
        *,
        applied_key: str | None = None,
        extra: Document | None = None,
    ) -> bool:
        """State + events in ONE single-document write, guarded by the product's version (and,
        when given, by a decision key not applied before). False: someone else got there."""
        version = product.get("rating_version", 0)
        query: Document = {"_id": product["_id"], "rating_version": version}
        update: Document = {"$set": {**fields, "rating_version": version + len(events)}}
        if applied_key is not None:
            query["applied"] = {"$nin": [applied_key]}
            update["$push"] = {"applied": applied_key}
        for operator, value in (extra or {}).items():
            update[operator] = {**update.get(operator, {}), **value}
        result = await update_with_events(self._db[PRODUCTS], query, update, events)
        return result.modified_count == 1

    async def products_due(self, today: date, limit: int) -> list[Document]:
        """Products whose valid certificate has reached its renewal window or its expiry."""
        cursor = self._db[PRODUCTS].find(
            {"certificate.status": "valid", "certificate.next_due_on": {"$lte": today.isoformat()}},
            _NO_OUTBOX,
        )
        docs: list[Document] = await cursor.limit(limit).to_list()
        return docs

    # --- certificates --------------------------------------------------------------------

    async def index_certificate(self, certificate_id: str, product_id: str) -> bool:
        return await insert_once(
            self._db[CERTIFICATE_INDEX], {"_id": certificate_id, "product_id": product_id}
        )

    async def product_of_certificate(self, certificate_id: str) -> str | None:
        doc = await self._db[CERTIFICATE_INDEX].find_one({"_id": certificate_id})
        return None if doc is None else str(doc["product_id"])

    # --- rounds, council rules, dossiers ---------------------------------------------------

    async def insert(self, collection: str, document: Document) -> None:
        await self._db[collection].insert_one(document)

    async def get(self, collection: str, doc_id: str) -> Document | None:
        return await self._db[collection].find_one({"_id": doc_id})

    async def find(
        self, collection: str, query: Document, *, limit: int = 200, sort: str | None = None
    ) -> list[Document]:
        cursor = self._db[collection].find(query)
        if sort:
            cursor = cursor.sort(sort, -1)
        docs: list[Document] = await cursor.limit(limit).to_list()
        return docs

    async def update_versioned(
        self, collection: str, doc: Document, update: Document, history: Document | None = None
    ) -> bool:
        """One write guarded by the document's ``version``; adds a history line when given."""
        full: dict[str, Any] = {**update, "$inc": {"version": 1}}
        if history is not None:
            full["$push"] = {**full.get("$push", {}), "history": history}
        result = await self._db[collection].update_one(
            {"_id": doc["_id"], "version": doc.get("version", 0)}, full
        )
        return result.modified_count == 1

    async def put(self, collection: str, doc_id: str, fields: Document) -> None:
        await self._db[collection].update_one({"_id": doc_id}, {"$set": fields}, upsert=True)

    async def delete(self, collection: str, doc_id: str) -> None:
        await self._db[collection].delete_one({"_id": doc_id})

    # --- parked ingest messages -------------------------------------------------------------

    async def park(self, document: Document) -> bool:
        return await insert_once(self._db[PARKED], document)

    async def any_parked(self) -> bool:
        """Cheap check (collection metadata) before looking for a product's held messages."""
        return await self._db[PARKED].estimated_document_count() > 0

    async def parked_for(self, product_id: str) -> list[Document]:
        return await self.find(PARKED, {"product_id": product_id})

    async def reject_parked(self, parked: Document, reason: str) -> None:
        await insert_once(self._db[REJECTED], {**parked, "status": "rejected", "reason": reason})
        await self._db[PARKED].delete_one({"_id": parked["_id"]})

    # --- province systems' own rating ids ---------------------------------------------------

    async def record_source_rating(self, source: SourceRating) -> bool:
        """Insert-once: False when a message of this source rating was recorded before."""
        return await insert_once(
            self._db[SOURCE_RATINGS],
            {
                "_id": source.key,
                "source_rating_id": source.source_rating_id,
                "event_id": source.event_id,
                "fingerprint": source.fingerprint,
                "content": source.content,
            },
        )

    async def get_source_rating(self, key: str) -> SourceRating | None:
        doc = await self._db[SOURCE_RATINGS].find_one({"_id": key})
        if doc is None:
            return None
        return SourceRating(
            doc["_id"], doc["source_rating_id"], doc["event_id"], doc["fingerprint"], doc["content"]
        )

    async def forget_source_rating(self, source: SourceRating) -> None:
        """Only the recording of this very message: a rejected rating never became one."""
        await self._db[SOURCE_RATINGS].delete_one({"_id": source.key, "event_id": source.event_id})

    async def count(self, collection: str, query: Document) -> int:
        return await self._db[collection].count_documents(query)
