"""The registry's stores in memory, for unit tests of the use cases (the same Protocols and the
same behaviour as ``adapters/mongo.py``, product codes unique as its index keeps them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ocop_platform.aggregates import AggregateExists, InMemoryAggregateStore
from ocop_registry.adapters.catalogue import StoreCatalogue
from ocop_registry.adapters.stores import Job, RegistryStores, sequence_key
from ocop_registry.domain.producers import Producer
from ocop_registry.domain.products import CodeTaken, Product


def memory_stores(products: InMemoryProductStore | None = None) -> RegistryStores:
    products = products or InMemoryProductStore(Product)
    producers = InMemoryAggregateStore(Producer)
    return RegistryStores(
        products=products,
        producers=producers,
        sequences=MemoryCodeSequences(),
        catalogue=StoreCatalogue(products, producers),
        jobs=MemoryImportJobs(),
    )


class InMemoryProductStore(InMemoryAggregateStore[Product]):
    async def add(self, aggregate: Product) -> None:
        if await self.get(aggregate.id) is None:  # an existing id: AggregateExists first
            await self._refuse_taken_code(aggregate)
        await super().add(aggregate)

    async def add_many(self, aggregates: Sequence[Product]) -> set[str]:
        codes = {p.code_key for p in await self.find({"code_key": {"$in": _codes(aggregates)}})}
        taken = {a.id for a in aggregates if a.code_key in codes}
        return taken | await super().add_many([a for a in aggregates if a.id not in taken])

    async def save(self, aggregate: Product) -> None:
        await self._refuse_taken_code(aggregate)
        await super().save(aggregate)

    async def _refuse_taken_code(self, product: Product) -> None:
        for other in await self.find({"code_key": product.code_key}):
            if other.id != product.id:
                raise CodeTaken(product.code_key)


def _codes(products: Sequence[Product]) -> list[str]:
    return [product.code_key for product in products]


class MemoryCodeSequences:
    def __init__(self) -> None:
        self.last: dict[str, int] = {}

    async def next(
        self, province_code: str, commune_code: str, year: int, *, at_least: int = 0
    ) -> int:
        key = sequence_key(province_code, commune_code, year)
        if at_least:
            self.last[key] = max(self.last.get(key, 0), at_least)
            return at_least
        self.last[key] = self.last.get(key, 0) + 1
        return self.last[key]

    async def reserve(self, province_code: str, commune_code: str, year: int, count: int) -> int:
        key = sequence_key(province_code, commune_code, year)
        first = self.last.get(key, 0) + 1
        self.last[key] = first + count - 1
        return first


class MemoryImportJobs:
    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.report: list[dict[str, Any]] = []

    async def add(self, job: Job) -> None:
        if job["job_id"] in self.jobs:  # as MongoDB's unique _id refuses it
            raise AggregateExists("import", job["job_id"])
        self.jobs[job["job_id"]] = dict(job)

    async def update(self, job_id: str, **fields: Any) -> None:
        self.jobs[job_id].update(fields)

    async def get(self, job_id: str) -> Job | None:
        job = self.jobs.get(job_id)
        return None if job is None else dict(job)

    async def add_report_lines(self, lines: Sequence[dict[str, Any]]) -> None:
        self.report.extend(dict(line) for line in lines)

    async def report_lines(
        self, job_id: str, kind: str | None, *, skip: int, limit: int
    ) -> list[dict[str, Any]]:
        lines = [
            line
            for line in self.report
            if line["job_id"] == job_id and (kind is None or line["kind"] == kind)
        ]
        lines.sort(key=lambda line: (line["row"], line["kind"]))
        return lines[skip : skip + limit]
