"""The registry's stores on MongoDB (and FerretDB v1: single-document writes, no transactions).

- ``entities``: the Producer aggregates, ``products``: the Product aggregates, each document with
  its outbox (every event the registry emits is written with the state it describes).
- ``product_code_sequences``: the running number of each commune's codes per year, by ``_id``.
- ``imports`` and ``import_errors``: import jobs and their row-by-row reports.

A product's ``code_key`` (its code, or ``draft:<id>``) has a unique index: a code is taken once.
FerretDB v1 answers only ``_id`` lookups from an index; the other indexes are for MongoDB.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import OperationFailure

from ocop_platform.aggregates import AggregateExists, MongoAggregateStore
from ocop_platform.mongo import Database, Document
from ocop_platform.outbox import OUTBOX_FIELD
from ocop_registry.adapters.catalogue import (
    CANDIDATES_LIMIT,
    StoreCatalogue,
    not_withdrawn,
    search_filter,
)
from ocop_registry.adapters.stores import Job, RegistryStores, sequence_key
from ocop_registry.domain.duplicates import Candidate
from ocop_registry.domain.producers import Producer
from ocop_registry.domain.products import CodeTaken, Product
from ocop_registry.domain.search import SearchFilters

ENTITIES = "entities"
PRODUCTS = "products"
SEQUENCES = "product_code_sequences"
IMPORTS = "imports"
IMPORT_REPORT = "import_errors"
OUTBOX_COLLECTIONS = (ENTITIES, PRODUCTS)
DUPLICATE_KEY = 11000
_CANDIDATE_FIELDS = {"product_code": 1, "name": 1, "name_fold": 1, "commune_code": 1}


def mongo_stores(db: Database, events_written: Callable[[], None] = lambda: None) -> RegistryStores:
    """``events_written``: the relay's notify(), so events go out now, not at its next poll."""
    return RegistryStores(
        products=MongoProductStore(db, PRODUCTS, Product, after_write=events_written),
        producers=MongoAggregateStore(db, ENTITIES, Producer, after_write=events_written),
        sequences=MongoCodeSequences(db),
        catalogue=MongoCatalogue(db),
        jobs=MongoImportJobs(db),
    )


async def ensure_indexes(db: Database) -> None:
    products = db[PRODUCTS]
    await products.create_index("code_key", unique=True)
    await products.create_index([("province_code", ASCENDING), ("commune_code", ASCENDING)])
    await products.create_index("legacy_product_code")
    await products.create_index("certificate.certificate_id")
    await products.create_index("entity_id")
    await products.create_index("legacy_province_code")
    await db[ENTITIES].create_index("registration_key")
    await db[ENTITIES].create_index("province_code")
    await db[IMPORT_REPORT].create_index([("job_id", ASCENDING), ("row", ASCENDING)])


class MongoProductStore(MongoAggregateStore[Product]):
    """Products, whose code another product may have taken first (the unique index says so)."""

    async def add(self, aggregate: Product) -> None:
        try:
            await super().add(aggregate)
        except AggregateExists as exists:
            if await self.get(aggregate.id) is None:  # not the id: the code is taken
                raise CodeTaken(aggregate.code_key) from exists
            raise

    async def save(self, aggregate: Product) -> None:
        try:
            await super().save(aggregate)
        except OperationFailure as failure:
            if not _unique_violation(failure):
                raise
            raise CodeTaken(aggregate.code_key) from failure


def _unique_violation(failure: OperationFailure) -> bool:
    # FerretDB v1 reports a unique index broken by an update as an internal error (code 1).
    return failure.code == DUPLICATE_KEY or "UNIQUE constraint failed" in str(failure)


class MongoCodeSequences:
    def __init__(self, db: Database) -> None:
        self._collection = db[SEQUENCES]

    async def next(
        self, province_code: str, commune_code: str, year: int, *, at_least: int = 0
    ) -> int:
        key = sequence_key(province_code, commune_code, year)
        if at_least:
            await self._collection.update_one(
                {"_id": key}, {"$max": {"last": at_least}}, upsert=True
            )
            return at_least
        return await self._advance(key, 1)

    async def reserve(self, province_code: str, commune_code: str, year: int, count: int) -> int:
        return await self._advance(sequence_key(province_code, commune_code, year), count) - (
            count - 1
        )

    async def _advance(self, key: str, count: int) -> int:
        """The counter after adding ``count`` (one single-document write)."""
        doc = await self._collection.find_one_and_update(
            {"_id": key},
            {"$inc": {"last": count}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert doc is not None
        return int(doc["last"])


class MongoCatalogue(StoreCatalogue):
    """Search pages, near-duplicate names and taken codes read only the fields they need."""

    def __init__(self, db: Database) -> None:
        super().__init__(
            MongoAggregateStore(db, PRODUCTS, Product), MongoAggregateStore(db, ENTITIES, Producer)
        )
        self._collection = db[PRODUCTS]

    async def search(
        self, filters: SearchFilters, *, skip: int, limit: int
    ) -> tuple[list[Product], int]:
        query = search_filter(filters)
        if filters.name_fold:
            query["name_fold"] = {"$regex": re.escape(filters.name_fold)}
        cursor = self._collection.find(query, {OUTBOX_FIELD: 0}).sort("code_key", ASCENDING)
        documents = await cursor.skip(skip).limit(limit).to_list()
        total = await self._collection.count_documents(query)
        return [Product.from_document(document) for document in documents], total

    async def duplicate_candidates(self, province_code: str) -> list[Candidate]:
        cursor = self._collection.find(not_withdrawn(province_code), _CANDIDATE_FIELDS)
        return [_candidate(document) async for document in cursor.limit(CANDIDATES_LIMIT)]

    async def taken_codes(self, codes: Sequence[str]) -> set[str]:
        return await self._values("code_key", codes)

    async def taken_legacy_codes(self, codes: Sequence[str]) -> set[str]:
        return await self._values("legacy_product_code", codes)

    async def _values(self, field: str, wanted: Sequence[str]) -> set[str]:
        cursor = self._collection.find({field: {"$in": list(wanted)}}, {field: 1})
        return {document[field] async for document in cursor}


def _candidate(document: Document) -> Candidate:
    return Candidate(
        product_id=document["_id"],
        product_code=document.get("product_code"),
        name=document["name"],
        name_fold=document["name_fold"],
        commune_code=document["commune_code"],
    )


class MongoImportJobs:
    def __init__(self, db: Database) -> None:
        self._jobs = db[IMPORTS]
        self._report = db[IMPORT_REPORT]

    async def add(self, job: Job) -> None:
        await self._jobs.insert_one({"_id": job["job_id"], **job})

    async def update(self, job_id: str, **fields: Any) -> None:
        await self._jobs.update_one({"_id": job_id}, {"$set": fields})

    async def get(self, job_id: str) -> Job | None:
        return await self._jobs.find_one({"_id": job_id}, {"_id": 0})

    async def add_report_lines(self, lines: Sequence[dict[str, Any]]) -> None:
        if lines:
            await self._report.insert_many([dict(line) for line in lines], ordered=False)

    async def report_lines(
        self, job_id: str, kind: str | None, *, skip: int, limit: int
    ) -> list[dict[str, Any]]:
        query = {"job_id": job_id, **({"kind": kind} if kind else {})}
        cursor = self._report.find(query, {"_id": 0}).sort(
            [("row", ASCENDING), ("kind", ASCENDING)]
        )
        return await cursor.skip(skip).limit(limit).to_list()
