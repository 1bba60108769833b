"""MongoDB storage of producers and products; each write carries its events in the outbox.

Stays within the subset FerretDB v1 supports: single-document writes (state + outbox together),
indexed equality filters, no transactions, no bulk_write (insert_many is used for imports).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from ocop_contracts import Event
from ocop_platform.mongo import Database, Document
from ocop_platform.outbox import insert_many_with_events, insert_with_events, update_with_events
from ocop_registry.domain.duplicates import Candidate

ENTITIES = "entities"
PRODUCTS = "products"
SEQUENCES = "product_code_sequences"
IMPORTS = "imports"
IMPORT_REPORT = "import_errors"
OUTBOX_COLLECTIONS = (ENTITIES, PRODUCTS)
_HIDDEN = {"outbox": 0}


class DuplicateCode(Exception):
    """A product code (or draft key) that is already taken."""


class MongoRegistryRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        products = self._db[PRODUCTS]
        await products.create_index("code_key", unique=True)
        await products.create_index([("province_code", ASCENDING), ("commune_code", ASCENDING)])
        await products.create_index("legacy_product_code")
        await products.create_index("certificate.certificate_id")
        await products.create_index("entity_id")
        await products.create_index("legacy_province_code")
        await self._db[ENTITIES].create_index("registration_key")
        await self._db[ENTITIES].create_index("province_code")
        await self._db[IMPORT_REPORT].create_index([("job_id", ASCENDING), ("row", ASCENDING)])

    # --- entities ------------------------------------------------------------------------

    async def add_entity(self, doc: Document, events: Sequence[Event]) -> None:
        await insert_with_events(self._db[ENTITIES], doc, events)

    async def add_many(self, collection: str, docs: list[Document]) -> None:
        """Import path: bulk inserts (each document already holds its outbox), then their
        pending markers in bulk."""
        if docs:
            await insert_many_with_events(self._db[collection], docs)

    async def get_entity(self, entity_id: str) -> Document | None:
        return await self._db[ENTITIES].find_one({"_id": entity_id}, _HIDDEN)

    async def entities_by_registration(self, keys: Sequence[str]) -> dict[str, Document]:
        cursor = self._db[ENTITIES].find({"registration_key": {"$in": list(keys)}}, _HIDDEN)
        return {doc["registration_key"]: doc async for doc in cursor}

    async def update_entity(
        self,
        entity_id: str,
        version: int,
        fields: Document,
        events: Sequence[Event],
        *,
        bump: bool = True,
    ) -> bool:
        """Optimistic: applies only if the stored version is still `version`."""
        new_version = version + 1 if bump else version
        query = {"_id": entity_id, "version": version}
        update = {"$set": {**fields, "version": new_version}}
        result = await update_with_events(self._db[ENTITIES], query, update, events)
        return result.modified_count == 1

    async def products_of_entity(self, entity_id: str) -> list[Document]:
        cursor = self._db[PRODUCTS].find({"entity_id": entity_id}, _HIDDEN)
        return [doc async for doc in cursor.limit(10_000)]

    # --- products ------------------------------------------------------------------------

    async def next_sequence(
        self, province_code: str, commune_code: str, year: int, *, at_least: int = 0
    ) -> int:
        # A counter is right here: it allocates codes, it is not a projection of events.
        key = f"{province_code}-{commune_code}-{year}"
        if at_least:
            await self._db[SEQUENCES].update_one(
                {"_id": key}, {"$max": {"last": at_least}}, upsert=True
            )
            return at_least
        doc = await self._db[SEQUENCES].find_one_and_update(
            {"_id": key}, {"$inc": {"last": 1}}, upsert=True, return_document=ReturnDocument.AFTER
        )
        assert doc is not None
        return int(doc["last"])

    async def reserve_sequences(self, key: str, count: int) -> int:
        """Reserve `count` numbers at once (imports); returns the first."""
        doc = await self._db[SEQUENCES].find_one_and_update(
            {"_id": key},
            {"$inc": {"last": count}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert doc is not None
        return int(doc["last"]) - count + 1

    async def add_product(self, doc: Document, events: Sequence[Event]) -> None:
        try:
            await insert_with_events(self._db[PRODUCTS], doc, events)
        except DuplicateKeyError as exc:
            raise DuplicateCode(doc["code_key"]) from exc

    async def get_product(self, product_id: str) -> Document | None:
        return await self._db[PRODUCTS].find_one({"_id": product_id}, _HIDDEN)

    async def find_product(self, query: Document) -> Document | None:
        return await self._db[PRODUCTS].find_one(query, _HIDDEN)

    async def existing_codes(self, codes: Sequence[str]) -> set[str]:
        cursor = self._db[PRODUCTS].find({"code_key": {"$in": list(codes)}}, {"code_key": 1})
        return {doc["code_key"] async for doc in cursor}

    async def existing_legacy_codes(self, codes: Sequence[str]) -> set[str]:
        query = {"legacy_product_code": {"$in": list(codes)}}
        cursor = self._db[PRODUCTS].find(query, {"legacy_product_code": 1})
        return {doc["legacy_product_code"] async for doc in cursor}

    async def update_product(
        self,
        product_id: str,
        version: int,
        fields: Document,
        events: Sequence[Event],
        *,
        new_version: int,
    ) -> bool:
        """Optimistic: applies only if the stored version is still `version`."""
        query = {"_id": product_id, "version": version}
        update = {"$set": {**fields, "version": new_version}}
        try:
            result = await update_with_events(self._db[PRODUCTS], query, update, events)
        except DuplicateKeyError as exc:
            raise DuplicateCode(fields.get("code_key", "")) from exc
        return result.modified_count == 1

    async def set_on_products(self, entity_id: str, fields: Document) -> None:
        """Keep the producer's details copied onto its products (for search filters)."""
        await self._db[PRODUCTS].update_many({"entity_id": entity_id}, {"$set": fields})

    async def record_evaluation(self, product_id: str, version: int, fields: Document) -> bool:
        """Apply evaluation state only if `version` is newer than the last applied event."""
        result = await self._db[PRODUCTS].update_one(
            {"_id": product_id, "evaluation_version": {"$lt": version}},
            {"$set": {**fields, "evaluation_version": version}},
        )
        return result.modified_count == 1

    async def duplicate_candidates(
        self, province_code: str, *, exclude: str | None = None, limit: int = 5000
    ) -> list[Candidate]:
        """Names of the province's products (bounded), for the near-duplicate check."""
        cursor = self._db[PRODUCTS].find(
            {"province_code": province_code},
            {"product_code": 1, "name": 1, "name_fold": 1, "commune_code": 1, "status": 1},
        )
        return [
            Candidate(
                product_id=doc["_id"],
                product_code=doc.get("product_code"),
                name=doc["name"],
                name_fold=doc["name_fold"],
                commune_code=doc["commune_code"],
            )
            async for doc in cursor.limit(limit)
            if doc["_id"] != exclude and doc.get("status") != "withdrawn"
        ]

    async def search(self, query: Document, *, skip: int, limit: int) -> tuple[list[Document], int]:
        collection = self._db[PRODUCTS]
        projection = {"outbox": 0, "name_fold": 0, "code_key": 0}
        cursor = (
            collection.find(query, projection).sort("code_key", ASCENDING).skip(skip).limit(limit)
        )
        items = [doc async for doc in cursor]
        total = await collection.count_documents(query)
        return items, total

    # --- import jobs ---------------------------------------------------------------------

    async def add_job(self, doc: Document) -> None:
        await self._db[IMPORTS].insert_one(doc)

    async def update_job(self, job_id: str, fields: Document) -> None:
        await self._db[IMPORTS].update_one({"_id": job_id}, {"$set": fields})

    async def get_job(self, job_id: str) -> Document | None:
        return await self._db[IMPORTS].find_one({"_id": job_id})

    async def report_lines(self, query: Document, *, skip: int, limit: int) -> list[Document]:
        cursor = (
            self._db[IMPORT_REPORT]
            .find(query, {"_id": 0})
            .sort([("row", ASCENDING), ("kind", ASCENDING)])
        )
        return [doc async for doc in cursor.skip(skip).limit(limit)]


def strip_internal(doc: Document) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in ("_id", "outbox", "name_fold", "code_key")}
