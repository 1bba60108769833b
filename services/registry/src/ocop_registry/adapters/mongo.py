"""The registry's stores on MongoDB (and FerretDB v1: single-document writes, no transactions).

- ``entities``: the Producer aggregates, ``products``: the Product aggregates, each document with
  its outbox (every event the registry emits is written with the state it describes).
- ``product_code_sequences``: the running number of each commune's codes per year, by ``_id``.
- ``imports`` and ``import_errors``: import jobs and their row-by-row reports.
- ``product_keys`` and ``producer_keys``: the values products and producers are looked up by
  (codes, certificate numbers, the producer, near-duplicate name keys; registration keys), each
  a document by ``_id`` naming the aggregates it leads to (``adapters/keys.py``).

A product's ``code_key`` (its code, or ``draft:<id>``) has a unique index: a code is taken once.
FerretDB v1 answers only ``_id`` lookups from an index (the other indexes are for MongoDB), so
the per-registration and per-import-row reads go through the key collections, never a filter on
another field: their cost follows the answer, not the size of the register.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError, OperationFailure

from ocop_contracts.reference import fold_vi
from ocop_platform.aggregates import Aggregate, AggregateExists, MongoAggregateStore
from ocop_platform.mongo import Database, Document
from ocop_platform.outbox import OUTBOX_FIELD
from ocop_registry.adapters.catalogue import (
    CANDIDATES_LIMIT,
    StoreCatalogue,
    not_withdrawn,
    search_filter,
)
from ocop_registry.adapters.keys import (
    CERTIFICATES,
    PRODUCT_FIELDS,
    Entry,
    KeyIndex,
    certificate_key,
    chunks,
    code_key,
    legacy_key,
    name_key,
    producer_key,
    producer_keys,
    product_keys,
    registration_key,
)
from ocop_registry.adapters.stores import Job, RegistryStores, sequence_key
from ocop_registry.domain.duplicates import (
    THRESHOLD,
    WARNINGS_SHOWN,
    Candidate,
    query_keys,
    similarity,
)
from ocop_registry.domain.model import ProductStatus
from ocop_registry.domain.producers import Producer
from ocop_registry.domain.products import CodeTaken, Product
from ocop_registry.domain.search import SearchFilters

ENTITIES = "entities"
PRODUCTS = "products"
SEQUENCES = "product_code_sequences"
IMPORTS = "imports"
IMPORT_REPORT = "import_errors"
PRODUCT_KEYS = "product_keys"
PRODUCER_KEYS = "producer_keys"
BUILT = "built:2"  # the key collections' marker: every stored aggregate has its keys
OUTBOX_COLLECTIONS = (ENTITIES, PRODUCTS)
CANDIDATES_READ = 2 * WARNINGS_SHOWN  # near-duplicate candidates read per round trip, closest first
DUPLICATE_KEY = 11000
_CANDIDATE_FIELDS = {
    "product_code": 1,
    "name": 1,
    "name_fold": 1,
    "commune_code": 1,
    "province_code": 1,
    "status": 1,
}
A = TypeVar("A", bound=Aggregate)


def mongo_stores(db: Database, events_written: Callable[[], None] = lambda: None) -> RegistryStores:
    """``events_written``: the relay's notify(), so events go out now, not at its next poll."""
    product_keys = KeyIndex(db[PRODUCT_KEYS])  # one for the check and the filing that follows
    return RegistryStores(
        products=MongoProductStore(
            db, PRODUCTS, Product, after_write=events_written, index=product_keys
        ),
        producers=MongoProducerStore(db, ENTITIES, Producer, after_write=events_written),
        sequences=MongoCodeSequences(db),
        catalogue=MongoCatalogue(db, product_keys),
        jobs=MongoImportJobs(db),
    )


async def ensure_indexes(db: Database) -> None:
    products = db[PRODUCTS]
    await products.create_index("code_key", unique=True)
    await products.create_index([("province_code", ASCENDING), ("commune_code", ASCENDING)])
    await products.create_index("legacy_product_code")
    await products.create_index("certificate.certificate_id")
    await products.create_index("declared_certificate.certificate_id")
    # search pages and the import's names: a province's products by status, in code order
    await products.create_index(
        [("province_code", ASCENDING), ("status", ASCENDING), ("code_key", ASCENDING)]
    )
    await products.create_index("entity_id")
    await products.create_index("legacy_province_code")
    await db[ENTITIES].create_index("registration_key")
    await db[ENTITIES].create_index("province_code")
    await db[IMPORT_REPORT].create_index([("job_id", ASCENDING), ("row", ASCENDING)])
    await build_keys(db)


async def build_keys(db: Database) -> None:
    """File every stored aggregate under its keys, once (a database from before the key
    collections); the marker is written last, so an interrupted build runs again."""
    for collection, index, keys_of in (
        (PRODUCTS, db[PRODUCT_KEYS], product_keys),
        (ENTITIES, db[PRODUCER_KEYS], producer_keys),
    ):
        if await index.find_one({"_id": BUILT}) is not None:
            continue
        batch: list[Entry] = []
        async for document in db[collection].find({}, {OUTBOX_FIELD: 0}):
            batch.append((document["_id"], keys_of(document), document.get("name_fold")))
            if len(batch) == 500:
                await KeyIndex(index).add(batch)
                batch = []
        await KeyIndex(index).add(batch)
        await index.update_one({"_id": BUILT}, {"$set": {"built": True}}, upsert=True)


# How many loaded aggregates' keys a keyed store remembers until their save (see KeyedStore).
REMEMBERED_KEYS = 4096


class KeyedStore(MongoAggregateStore[A]):
    """An aggregate store that files each aggregate under its keys (``adapters/keys.py``): added
    before the aggregate is written, the keys it no longer has removed after.

    A save compares the aggregate's keys with the stored ones. Those are the keys of the
    document as it was loaded (or last saved here), remembered by (id, save guard): a save
    succeeds only if the stored document still has that guard, and every write of it changes
    the guard, so the remembered keys are the stored ones whenever they matter. Only an
    aggregate not remembered (loaded elsewhere, or forgotten) costs a read of its stored keys
    (it used to be one read before every save: as many reads as saves)."""

    def __init__(
        self,
        db: Database,
        collection: str,
        aggregate_type: type[A],
        *,
        keys: str,
        keys_of: Callable[[Mapping[str, Any]], set[str]],
        fields: Mapping[str, int],
        after_write: Callable[[], None] = lambda: None,
        index: KeyIndex | None = None,
    ) -> None:
        """``fields``: what ``keys_of`` reads from a stored document; ``index``: the key index
        of ``keys`` when shared with a reader of it."""
        super().__init__(db, collection, aggregate_type, after_write=after_write)
        self._keys = index or KeyIndex(db[keys])
        self._keys_of = keys_of
        self._fields = dict(fields)
        self._remembered: OrderedDict[tuple[str, int], Entry] = OrderedDict()

    def _entry(self, document: Mapping[str, Any]) -> Entry:
        # The value beside the id: the folded name (products; compared before any load).
        return document["_id"], self._keys_of(document), document.get("name_fold")

    def _loaded(self, document: Document) -> A:
        aggregate = super()._loaded(document)
        self._remember(aggregate, self._entry(document))
        return aggregate

    def _remember(self, aggregate: A, entry: Entry) -> None:
        key = (aggregate.id, aggregate.save_guard()[1])
        self._remembered[key] = entry
        self._remembered.move_to_end(key)
        while len(self._remembered) > REMEMBERED_KEYS:
            self._remembered.popitem(last=False)

    async def _stored_entry(self, aggregate: A) -> Entry | None:
        """The stored document's entry as of the aggregate's load (None: not stored)."""
        remembered = self._remembered.pop((aggregate.id, aggregate.save_guard()[1]), None)
        if remembered is not None:
            return remembered
        stored = await self._collection.find_one({"_id": aggregate.id}, self._fields)
        return None if stored is None else self._entry(stored)

    async def add(self, aggregate: A) -> None:
        await self._keys.add([self._entry(aggregate.to_document())])
        await super().add(aggregate)

    async def add_many(self, aggregates: Sequence[A]) -> set[str]:
        await self._keys.add([self._entry(a.to_document()) for a in aggregates])
        return await super().add_many(aggregates)

    async def save(self, aggregate: A) -> None:
        if not aggregate.has_changes:
            return
        stored = await self._stored_entry(aggregate)
        entry = self._entry(aggregate.to_document())
        _, keys, value = entry
        _, before, old = stored if stored is not None else (None, set(), value)
        if value != old:  # its value changed: filed afresh under every key
            await self._keys.add([(aggregate.id, keys, value)])
        elif keys - before:  # only the new keys (a certificate): a name key may be a big document
            await self._keys.add([(aggregate.id, keys - before, value)])
        await super().save(aggregate)
        self._remember(aggregate, entry)  # what the save stored ($set of the whole state)
        if gone := before - keys:
            await self._keys.remove(aggregate.id, gone)
        if value != old:
            await self._keys.forget(aggregate.id, before & keys, old)


class MongoProducerStore(KeyedStore[Producer]):
    def __init__(
        self,
        db: Database,
        collection: str,
        aggregate_type: type[Producer],
        *,
        after_write: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(
            db,
            collection,
            aggregate_type,
            keys=PRODUCER_KEYS,
            keys_of=producer_keys,
            fields={"registration_key": 1},
            after_write=after_write,
        )


class MongoProductStore(KeyedStore[Product]):
    """Products, whose code another product may have taken first (the unique index says so)."""

    def __init__(
        self,
        db: Database,
        collection: str,
        aggregate_type: type[Product],
        *,
        after_write: Callable[[], None] = lambda: None,
        index: KeyIndex | None = None,
    ) -> None:
        super().__init__(
            db,
            collection,
            aggregate_type,
            keys=PRODUCT_KEYS,
            keys_of=product_keys,
            fields=PRODUCT_FIELDS,
            after_write=after_write,
            index=index,
        )

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
    """Lookups through the key collections (loads by ``_id``, each aggregate checked: a key may
    outlive its value, see ``adapters/keys.py``); search pages read only the fields they need."""

    def __init__(self, db: Database, product_keys: KeyIndex | None = None) -> None:
        super().__init__(
            MongoAggregateStore(db, PRODUCTS, Product), MongoAggregateStore(db, ENTITIES, Producer)
        )
        self._collection = db[PRODUCTS]
        self._entities = db[ENTITIES]
        self._product_keys = product_keys or KeyIndex(db[PRODUCT_KEYS])
        self._producer_keys = KeyIndex(db[PRODUCER_KEYS])

    async def product_with(self, field: str, value: str) -> Product | None:
        key = _LOOKUP_KEYS[field](value)
        ids = sorted(await self._product_keys.lookup([key]))
        for document in await _by_ids(self._collection, ids, {OUTBOX_FIELD: 0}):
            if _value_at(document, field) == value:
                return Product.from_document(document)
        return None

    async def products_of(self, entity_id: str) -> list[Product]:
        ids = sorted(await self._product_keys.lookup([producer_key(entity_id)]))
        documents = await _by_ids(self._collection, ids, {OUTBOX_FIELD: 0})
        return [Product.from_document(d) for d in documents if d["entity_id"] == entity_id]

    async def producers_registered_as(self, keys: Sequence[str]) -> dict[str, Producer]:
        ids = sorted(await self._producer_keys.lookup(registration_key(key) for key in keys))
        wanted = set(keys)
        return {
            document["registration_key"]: Producer.from_document(document)
            for document in await _by_ids(self._entities, ids, {OUTBOX_FIELD: 0})
            if document.get("registration_key") in wanted
        }

    async def certificate_holders(self, numbers: Sequence[str]) -> list[Product]:
        ids = sorted(await self._product_keys.lookup(certificate_key(n) for n in numbers))
        wanted = set(numbers)
        return [
            Product.from_document(document)
            for document in await _by_ids(self._collection, ids, {OUTBOX_FIELD: 0})
            if wanted & {_value_at(document, f"{held}.certificate_id") for held in CERTIFICATES}
        ]

    async def near_duplicate_candidates(self, province_code: str, name: str) -> list[Candidate]:
        """The closest names first, read until the warnings shown are settled: those after
        can only score lower (a key's values include the product's current name, so the
        score from them is at least the product's own)."""
        fold = fold_vi(name)
        keys = query_keys(fold)
        if keys is None:  # a very long name: more keys than names worth reading
            return await self.duplicate_candidates(province_code)
        found = await self._product_keys.lookup(name_key(province_code, key) for key in keys)
        scored = sorted(
            (-best, product_id)
            for product_id, folds in found.items()
            if (best := max(similarity(fold, other) for other in folds)) >= THRESHOLD
        )
        kept: list[tuple[float, Candidate]] = []
        for start in range(0, len(scored), CANDIDATES_READ):
            chunk = scored[start : start + CANDIDATES_READ]
            if len(kept) >= WARNINGS_SHOWN and -chunk[0][0] < kept[WARNINGS_SHOWN - 1][0]:
                break
            kept.extend(await self._candidates(province_code, fold, [i for _, i in chunk]))
            kept.sort(key=lambda scored_candidate: -scored_candidate[0])
        return [candidate for _, candidate in kept]

    async def _candidates(
        self, province_code: str, fold: str, ids: Sequence[str]
    ) -> list[tuple[float, Candidate]]:
        return [
            (similarity(fold, document["name_fold"]), _candidate(document))
            for document in await _by_ids(self._collection, ids, _CANDIDATE_FIELDS)
            if document["province_code"] == province_code
            and document["status"] != ProductStatus.WITHDRAWN.value
        ]

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
        ids = sorted(await self._product_keys.lookup(_LOOKUP_KEYS[field](v) for v in wanted))
        documents = await _by_ids(self._collection, ids, {field: 1})
        return {str(d[field]) for d in documents if d.get(field) in set(wanted)}


_LOOKUP_KEYS: dict[str, Callable[[str], str]] = {
    "code_key": code_key,
    "legacy_product_code": legacy_key,
    "certificate.certificate_id": certificate_key,
    "declared_certificate.certificate_id": certificate_key,
}


async def _by_ids(
    collection: AsyncCollection[Document], ids: Sequence[str], fields: Mapping[str, int]
) -> list[Document]:
    """Documents by id, in the order given (an ``_id`` $in: FerretDB reads it by index)."""
    found: dict[str, Document] = {}
    for chunk in chunks(ids):
        async for document in collection.find({"_id": {"$in": chunk}}, dict(fields)):
            found[document["_id"]] = document
    return [found[i] for i in ids if i in found]


def _value_at(document: Mapping[str, Any], path: str) -> Any:
    value: Any = document
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


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
        try:
            await self._jobs.insert_one({"_id": job["job_id"], **job})
        except DuplicateKeyError as exc:  # the job of the same Idempotency-Key, added first
            raise AggregateExists("import", job["job_id"]) from exc

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
