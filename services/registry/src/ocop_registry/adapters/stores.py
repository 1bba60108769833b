"""What the registry's use cases load, save and read, each behind a Protocol.

Products and producers are aggregates, loaded and saved through ``ocop_platform.aggregates``'s
:class:`AggregateStore` (state and events in one write). The rest: the product-code counters,
the reads that are not aggregate loads (search, lookups by code, a producer's products, the
near-duplicate candidates) and the import jobs with their reports. ``adapters/mongo.py``
implements them on MongoDB/FerretDB, ``adapters/memory.py`` in memory (unit tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ocop_platform.aggregates import AggregateStore
from ocop_registry.domain.duplicates import Candidate
from ocop_registry.domain.producers import Producer
from ocop_registry.domain.products import Product
from ocop_registry.domain.search import SearchFilters

Job = dict[str, Any]  # an import job's progress, as GET /imports/{job_id} shows it


class CodeSequences(Protocol):
    """The running number of each commune's product codes per year. A counter is right here:
    it allocates codes, it is not a projection of events."""

    async def next(
        self, province_code: str, commune_code: str, year: int, *, at_least: int = 0
    ) -> int:
        """The next number; with ``at_least`` (a given code's number), that number, and later
        ones continue after it."""

    async def reserve(self, province_code: str, commune_code: str, year: int, count: int) -> int:
        """Reserve ``count`` numbers at once (imports); returns the first."""


def sequence_key(province_code: str, commune_code: str, year: int) -> str:
    return f"{province_code}-{commune_code}-{year}"


class Catalogue(Protocol):
    """Reads of products and producers that are not loads of one aggregate by its id."""

    async def search(
        self, filters: SearchFilters, *, skip: int, limit: int
    ) -> tuple[list[Product], int]:
        """One page of the products matching ``filters`` in code order, and how many match."""

    async def product_with(self, field: str, value: str) -> Product | None:
        """The product whose ``code_key``, ``legacy_product_code`` or
        ``certificate.certificate_id`` is ``value``."""

    async def products_of(self, entity_id: str) -> list[Product]: ...

    async def producers_registered_as(self, keys: Sequence[str]) -> dict[str, Producer]:
        """Producers by registration key (``mst:…``/``dkkd:…``)."""

    async def duplicate_candidates(self, province_code: str) -> list[Candidate]:
        """Names of the province's products that are not withdrawn (bounded; a scan of the
        province: once per import, never per registration)."""

    async def near_duplicate_candidates(self, province_code: str, name: str) -> list[Candidate]:
        """The province's products that are not withdrawn, among them those ``near_duplicates``
        reports for ``name`` (a few more may come; see ``adapters/keys.py`` for crowded keys)."""

    async def certificate_holders(self, numbers: Sequence[str]) -> list[Product]:
        """The products holding, or declared (by an import) with, one of these certificates."""

    async def taken_codes(self, codes: Sequence[str]) -> set[str]: ...

    async def taken_legacy_codes(self, codes: Sequence[str]) -> set[str]: ...


class ImportJobs(Protocol):
    async def add(self, job: Job) -> None:
        """Insert a new job; one already under its ``job_id`` is ``AggregateExists``."""

    async def update(self, job_id: str, **fields: Any) -> None: ...

    async def get(self, job_id: str) -> Job | None: ...

    async def add_report_lines(self, lines: Sequence[dict[str, Any]]) -> None: ...

    async def report_lines(
        self, job_id: str, kind: str | None, *, skip: int, limit: int
    ) -> list[dict[str, Any]]:
        """A job's report (errors and warnings) in file order."""


@dataclass(frozen=True)
class RegistryStores:
    """Everything the registry's use cases read and write."""

    products: AggregateStore[Product]
    producers: AggregateStore[Producer]
    sequences: CodeSequences
    catalogue: Catalogue
    jobs: ImportJobs
