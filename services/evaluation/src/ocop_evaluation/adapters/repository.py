"""MongoDB storage of the products evaluation knows and their ratings (with outbox)."""

from __future__ import annotations

from ocop_contracts import ProductRated, ProductRegistered
from ocop_evaluation.service_layer.services import KnownProduct
from ocop_platform.idempotency import apply_if_newer
from ocop_platform.mongo import Database
from ocop_platform.outbox import push_outbox

PRODUCTS = "products"
OUTBOX_COLLECTIONS = (PRODUCTS,)


class MongoEvaluationRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def remember_product(self, event: ProductRegistered) -> bool:
        fields = {
            "province_code": event.province_code,
            "scoring_set_code": event.scoring_set_code,
            "commune_code": event.commune_code,
            "name": event.name,
        }
        return await apply_if_newer(
            self._db[PRODUCTS],
            event.product_id,
            event.aggregate_version,
            fields,
            version_field="registry_version",
            # First sight starts the rating history; a later ProductUpdated must not reset it.
            on_insert={"rating_version": 0, "stars": 0, "outbox": []},
        )

    async def get_product(self, product_id: str) -> KnownProduct | None:
        doc = await self._db[PRODUCTS].find_one({"_id": product_id}, {"outbox": 0})
        if doc is None:
            return None
        return KnownProduct(
            product_id=doc["_id"],
            province_code=doc["province_code"],
            scoring_set_code=doc["scoring_set_code"],
            commune_code=doc["commune_code"],
            stars=doc.get("stars", 0),
            rating_version=doc.get("rating_version", 0),
        )

    async def add_rating(self, product: KnownProduct, event: ProductRated) -> bool:
        """Optimistic concurrency on rating_version; the event rides in the same write."""
        update = push_outbox(
            {
                "$set": {
                    "stars": event.stars,
                    "score": event.score,
                    "rule_set_id": event.rule_set_id,
                    "rated_on": event.rated_on.isoformat(),
                    "rating_version": event.aggregate_version,
                }
            },
            [event],
        )
        result = await self._db[PRODUCTS].update_one(
            {"_id": product.product_id, "rating_version": product.rating_version}, update
        )
        return result.modified_count == 1
