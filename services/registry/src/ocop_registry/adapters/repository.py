"""MongoDB storage of producers and products; each write carries its events in the outbox."""

from __future__ import annotations

from dataclasses import asdict

from pymongo import ReturnDocument

from ocop_contracts import EntityRegistered, LegalForm, ProductRated, ProductRegistered
from ocop_platform.mongo import Database, Document
from ocop_platform.outbox import outbox_entries
from ocop_registry.domain.model import Entity, Product, ProductStatus

ENTITIES = "entities"
PRODUCTS = "products"
SEQUENCES = "product_code_sequences"
OUTBOX_COLLECTIONS = (ENTITIES, PRODUCTS)


class MongoRegistryRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[PRODUCTS].create_index("product_code", unique=True)
        await self._db[PRODUCTS].create_index([("province_code", 1), ("commune_code", 1)])

    async def add_entity(self, entity: Entity, event: EntityRegistered) -> None:
        doc: Document = {"_id": entity.entity_id, **asdict(entity), "version": 1}
        doc["outbox"] = outbox_entries([event])
        await self._db[ENTITIES].insert_one(doc)

    async def get_entity(self, entity_id: str) -> Entity | None:
        doc = await self._db[ENTITIES].find_one({"_id": entity_id}, {"outbox": 0})
        if doc is None:
            return None
        return Entity(
            entity_id=doc["entity_id"],
            name=doc["name"],
            legal_form=LegalForm(doc["legal_form"]),
            province_code=doc["province_code"],
            commune_code=doc["commune_code"],
            women_led=doc["women_led"],
            ethnic_minority_led=doc["ethnic_minority_led"],
            disability_led=doc["disability_led"],
        )

    async def next_sequence(self, province_code: str, commune_code: str, year: int) -> int:
        # A counter is right here: it allocates codes, it is not a projection of events.
        doc = await self._db[SEQUENCES].find_one_and_update(
            {"_id": f"{province_code}-{commune_code}-{year}"},
            {"$inc": {"last": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert doc is not None
        return int(doc["last"])

    async def add_product(self, product: Product, event: ProductRegistered) -> None:
        doc: Document = {"_id": product.product_id, **asdict(product), "version": 1}
        doc.update(rating_version=0, score=None, rated_on=None, outbox=outbox_entries([event]))
        await self._db[PRODUCTS].insert_one(doc)

    async def get_product(self, product_id: str) -> Product | None:
        doc = await self._db[PRODUCTS].find_one({"_id": product_id}, {"outbox": 0})
        if doc is None:
            return None
        return Product(
            product_id=doc["product_id"],
            product_code=doc["product_code"],
            name=doc["name"],
            entity_id=doc["entity_id"],
            province_code=doc["province_code"],
            commune_code=doc["commune_code"],
            scoring_set_code=doc["scoring_set_code"],
            status=ProductStatus(doc["status"]),
            stars=doc["stars"],
        )

    async def record_rating(self, event: ProductRated, status: str) -> bool:
        result = await self._db[PRODUCTS].update_one(
            {"_id": event.product_id, "rating_version": {"$lt": event.aggregate_version}},
            {
                "$set": {
                    "stars": event.stars,
                    "score": event.score,
                    "rated_on": event.rated_on.isoformat(),
                    "status": status,
                    "rating_version": event.aggregate_version,
                }
            },
        )
        return result.modified_count == 1
