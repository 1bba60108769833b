"""Reads of products and producers that are not loads by id, answered with the aggregate stores'
portable ``find`` (in memory; ``adapters/mongo.py`` reads only the fields it needs where that
matters: search pages, near-duplicate names, taken codes)."""

from __future__ import annotations

from collections.abc import Sequence

from ocop_platform.aggregates import AggregateStore
from ocop_platform.mongo import Document
from ocop_registry.domain.duplicates import Candidate
from ocop_registry.domain.model import ProductStatus
from ocop_registry.domain.producers import Producer
from ocop_registry.domain.products import Product
from ocop_registry.domain.search import SearchFilters

CANDIDATES_LIMIT = 5000  # names compared for near-duplicates
LIST_LIMIT = 10_000  # a producer's products; the producers of a batch of registration keys
CODE_ORDER = (("code_key", 1),)


def search_filter(filters: SearchFilters) -> Document:
    """A search in the filter subset every aggregate store understands (the name apart)."""
    query: Document = filters.equalities()
    if filters.min_stars is not None:
        query["stars"] = {"$gte": filters.min_stars}
    query["status"] = filters.status.value if filters.status else {"$ne": ProductStatus.DRAFT.value}
    return query


def not_withdrawn(province_code: str) -> Document:
    return {"province_code": province_code, "status": {"$ne": ProductStatus.WITHDRAWN.value}}


class StoreCatalogue:
    def __init__(
        self, products: AggregateStore[Product], producers: AggregateStore[Producer]
    ) -> None:
        self._products = products
        self._producers = producers

    async def search(
        self, filters: SearchFilters, *, skip: int, limit: int
    ) -> tuple[list[Product], int]:
        found = await self._products.find(search_filter(filters), limit=LIST_LIMIT, sort=CODE_ORDER)
        if filters.name_fold:
            found = [product for product in found if filters.name_fold in product.name_fold]
        return found[skip : skip + limit], len(found)

    async def product_with(self, field: str, value: str) -> Product | None:
        found = await self._products.find({field: value}, limit=1)
        return found[0] if found else None

    async def products_of(self, entity_id: str) -> list[Product]:
        return await self._products.find({"entity_id": entity_id}, limit=LIST_LIMIT)

    async def producers_registered_as(self, keys: Sequence[str]) -> dict[str, Producer]:
        query = {"registration_key": {"$in": list(keys)}}
        found = await self._producers.find(query, limit=LIST_LIMIT)
        return {producer.registration_key or "": producer for producer in found}

    async def duplicate_candidates(self, province_code: str) -> list[Candidate]:
        found = await self._products.find(not_withdrawn(province_code), limit=CANDIDATES_LIMIT)
        return [Candidate(p.id, p.product_code, p.name, p.name_fold, p.commune_code) for p in found]

    async def certificate_holders(self, numbers: Sequence[str]) -> list[Product]:
        found: dict[str, Product] = {}
        for path in ("certificate.certificate_id", "declared_certificate.certificate_id"):
            for product in await self._products.find(
                {path: {"$in": list(numbers)}}, limit=LIST_LIMIT
            ):
                found[product.id] = product
        return list(found.values())

    async def near_duplicate_candidates(self, province_code: str, name: str) -> list[Candidate]:
        # In memory every name of the province is at hand (adapters/mongo.py reads a few keys).
        return await self.duplicate_candidates(province_code)

    async def taken_codes(self, codes: Sequence[str]) -> set[str]:
        found = await self._products.find({"code_key": {"$in": list(codes)}}, limit=LIST_LIMIT)
        return {product.code_key for product in found}

    async def taken_legacy_codes(self, codes: Sequence[str]) -> set[str]:
        query = {"legacy_product_code": {"$in": list(codes)}}
        found = await self._products.find(query, limit=LIST_LIMIT)
        return {product.legacy_product_code or "" for product in found}
