"""Evaluation's stores on MongoDB (and FerretDB v1: single-document writes only).

- ``products``: the Product aggregates (latest rating and sheet, current and past certificates,
  decisions applied) with their outbox: every event evaluation emits is written here.
- ``dossiers``, ``rounds``: the Dossier and Round aggregates (state only: they emit nothing).
- ``registered_products``: what the registry told us of each product (``registry_version``).
- ``certificate_index``: certificate number → product (insert-once).
- ``council_rules``: a province's council rules, by province code.
- ``parked_ratings``: ingest messages held until their product is known;
  ``rejected_ratings``: held messages that failed once their product was known.
- ``source_ratings``: the first message of each province system's rating, keyed by
  ``<province>:<producer>:<source_rating_id>``, with the fingerprint of its content.
- ``clock``: the development/test clock override.
- ``due_products``, ``due_days``: the certificate scheduler's due index (adapters/due.py), kept
  by the product store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import date

from ocop_contracts import ProductRated, ProductRegistered
from ocop_contracts.events.registry import ProductUpdated
from ocop_evaluation.adapters.due import DueIndexedProducts, MongoDueIndex
from ocop_evaluation.adapters.stores import ParkedRating, Stores
from ocop_evaluation.domain.dossiers import Dossier
from ocop_evaluation.domain.products import Product, RegisteredProduct
from ocop_evaluation.domain.resends import SourceRating
from ocop_evaluation.domain.rounds import Round
from ocop_evaluation.domain.scoring import CouncilRules
from ocop_platform.aggregates import MongoAggregateStore
from ocop_platform.idempotency import apply_if_newer, insert_many_once, insert_once
from ocop_platform.mongo import Database, Document

PRODUCTS = "products"
DOSSIERS = "dossiers"
ROUNDS = "rounds"
REGISTERED = "registered_products"
CERTIFICATE_INDEX = "certificate_index"
COUNCIL_RULES = "council_rules"
PARKED = "parked_ratings"
REJECTED = "rejected_ratings"
SOURCE_RATINGS = "source_ratings"
CLOCK = "clock"
# The aggregates that record events (the relay's safety-net sweep reads them); dossiers and
# rounds record none, so sweeping them would read whole collections for nothing.
OUTBOX_COLLECTIONS = (PRODUCTS,)


def mongo_stores(db: Database, events_written: Callable[[], None] = lambda: None) -> Stores:
    """``events_written``: the relay's notify(), so events go out now, not at its next poll."""
    due = MongoDueIndex(db)
    products = MongoAggregateStore(db, PRODUCTS, Product, after_write=events_written)
    return Stores(
        products=DueIndexedProducts(products, due),
        dossiers=MongoAggregateStore(db, DOSSIERS, Dossier),
        rounds=MongoAggregateStore(db, ROUNDS, Round),
        registered=MongoRegisteredProducts(db),
        certificates=MongoCertificateIndex(db),
        council_rules=MongoCouncilRules(db),
        parked=MongoParkedRatings(db),
        sources=MongoSourceRatings(db),
        due=due,
    )


async def ensure_indexes(db: Database) -> None:
    """For MongoDB, every field a query filters on (FerretDB v1 answers from `_id` only)."""
    await db[PRODUCTS].create_index("certificate.status")
    await db[DOSSIERS].create_index("product_id")
    await db[DOSSIERS].create_index("round_id")
    await db[ROUNDS].create_index("province_code")
    await db[PARKED].create_index("product_id")
    # A database written before the scheduler's due index: fill it once.
    await MongoDueIndex(db).fill(MongoAggregateStore(db, PRODUCTS, Product))


class MongoRegisteredProducts:
    def __init__(self, db: Database) -> None:
        self._collection = db[REGISTERED]

    async def remember(self, event: ProductRegistered | ProductUpdated) -> bool:
        fields = {
            "province_code": event.province_code,
            "scoring_set_code": event.scoring_set_code,
            "commune_code": event.commune_code,
            "entity_id": event.entity_id,
            "name": event.name,
            "product_code": event.product_code,
            "legacy_unit": event.legacy_unit.model_dump() if event.legacy_unit else None,
        }
        return await apply_if_newer(
            self._collection,
            event.product_id,
            event.aggregate_version,
            fields,
            version_field="registry_version",
        )

    async def get(self, product_id: str) -> RegisteredProduct | None:
        document = await self._collection.find_one({"_id": product_id})
        return None if document is None else RegisteredProduct.model_validate(document)

    async def get_many(self, product_ids: Sequence[str]) -> dict[str, RegisteredProduct]:
        unique = list(dict.fromkeys(product_ids))
        if not unique:
            return {}
        cursor = self._collection.find({"_id": {"$in": unique}}).limit(len(unique))
        documents = await cursor.to_list()
        return {str(d["_id"]): RegisteredProduct.model_validate(d) for d in documents}


class MongoCertificateIndex:
    def __init__(self, db: Database) -> None:
        self._collection = db[CERTIFICATE_INDEX]

    async def claim(self, certificate_id: str, product_id: str) -> bool:
        return await insert_once(
            self._collection, {"_id": certificate_id, "product_id": product_id}
        )

    async def product_of(self, certificate_id: str) -> str | None:
        document = await self._collection.find_one({"_id": certificate_id})
        return None if document is None else str(document["product_id"])

    async def release(self, certificate_id: str) -> None:
        await self._collection.delete_one({"_id": certificate_id})


class MongoCouncilRules:
    def __init__(self, db: Database) -> None:
        self._collection = db[COUNCIL_RULES]

    async def get(self, province_code: str) -> CouncilRules | None:
        document = await self._collection.find_one({"_id": province_code})
        if document is None:
            return None
        return CouncilRules(
            document["quorum_ratio"], document["chair_required"], document["max_spread"]
        )

    async def put(self, province_code: str, rules: CouncilRules) -> None:
        await self._collection.update_one(
            {"_id": province_code}, {"$set": asdict(rules)}, upsert=True
        )


class MongoParkedRatings:
    def __init__(self, db: Database) -> None:
        self._parked = db[PARKED]
        self._rejected = db[REJECTED]

    async def park(self, rating: ProductRated, received_on: date) -> bool:
        return await insert_once(
            self._parked,
            {
                "_id": str(rating.event_id),
                "product_id": rating.product_id,
                "status": "held",
                "value": rating.model_dump_json(),
                "received_at": received_on.isoformat(),
            },
        )

    async def any(self) -> bool:
        return await self._parked.estimated_document_count() > 0  # collection metadata

    async def of_product(self, product_id: str) -> list[ParkedRating]:
        documents = await self._parked.find({"product_id": product_id}).limit(200).to_list()
        return [
            ParkedRating(d["_id"], ProductRated.model_validate_json(d["value"])) for d in documents
        ]

    async def release(self, parked: ParkedRating) -> None:
        await self._parked.delete_one({"_id": parked.parked_id})

    async def reject(self, parked: ParkedRating, reason: str) -> None:
        held = await self._parked.find_one({"_id": parked.parked_id})
        if held is not None:
            await insert_once(self._rejected, {**held, "status": "rejected", "reason": reason})
        await self.release(parked)


class MongoSourceRatings:
    def __init__(self, db: Database) -> None:
        self._collection = db[SOURCE_RATINGS]

    async def record(self, source: SourceRating) -> bool:
        return await insert_once(self._collection, _source_document(source))

    async def record_many(self, sources: Sequence[SourceRating]) -> set[str]:
        documents = [_source_document(source) for source in sources]
        return {str(key) for key in await insert_many_once(self._collection, documents)}

    async def get(self, key: str) -> SourceRating | None:
        document = await self._collection.find_one({"_id": key})
        if document is None:
            return None
        return SourceRating(
            document["_id"],
            document["source_rating_id"],
            document["event_id"],
            document["fingerprint"],
            document["content"],
        )

    async def forget(self, source: SourceRating) -> None:
        await self._collection.delete_one({"_id": source.key, "event_id": source.event_id})


def _source_document(source: SourceRating) -> Document:
    return {
        "_id": source.key,
        "source_rating_id": source.source_rating_id,
        "event_id": source.event_id,
        "fingerprint": source.fingerprint,
        "content": source.content,
    }


class MongoClockStore:
    _KEY = "today"

    def __init__(self, db: Database) -> None:
        self._collection = db[CLOCK]

    async def stored_today(self) -> date | None:
        document = await self._collection.find_one({"_id": self._KEY})
        return None if document is None else date.fromisoformat(document["today"])

    async def store_today(self, today: date | None) -> None:
        if today is None:
            await self._collection.delete_one({"_id": self._KEY})
        else:
            await self._collection.update_one(
                {"_id": self._KEY}, {"$set": {"today": today.isoformat()}}, upsert=True
            )
