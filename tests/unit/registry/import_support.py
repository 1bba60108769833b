"""A register of three rows and an import service over the registry's stores in memory, for the
import's unit tests."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path
from typing import Any

from ocop_contracts.clock import Clock
from ocop_registry.adapters.memory import memory_stores
from ocop_registry.adapters.stores import Job, RegistryStores
from ocop_registry.domain.products import Product
from ocop_registry.service_layer.imports import ImportService
from ocop_registry.service_layer.services import RegistryService
from tests.unit.registry.registry_builders import COMMUNE, PROVINCE, TODAY

SUBJECT = "office-52"
PRODUCER = {
    "producer_name": "HTX Cà phê Ia Grai",
    "legal_form": "cooperative",
    "tax_code": "0100109106",
    "province_code": PROVINCE,
    "commune_code": COMMUNE,
    "scoring_set_code": "I.6",
    "year": "2024",
}
ROWS = [
    {**PRODUCER, "product_name": "Cà phê rang xay"},
    {
        **PRODUCER,
        "product_name": "Cà phê hạt",
        "stars": "4",
        "score": "76",
        "certificate_id": "52/2024/OCOP-3",
        "decision_ref": "905/QĐ-UBND",
        "certified_on": "2024-09-01",
    },
    {**PRODUCER, "product_name": "Cà phê phin", "product_code": f"{PROVINCE}-{COMMUNE}-5-2024"},
]


class Importer:
    def __init__(self, tmp_path: Path, stores: RegistryStores | None = None) -> None:
        self.stores = stores or memory_stores()
        self.imports = ImportService(
            RegistryService(self.stores, Clock(today=TODAY)), tmp_path / "work"
        )
        self.tmp_path = tmp_path
        self.runs = 0

    def upload(self, rows: list[dict[str, Any]]) -> Path:
        """The rows as an uploaded CSV file. A file per upload, as the API writes them: a job
        removes its file after reporting it finished, so a shared name could be removed under
        the next run."""
        self.runs += 1
        path = self.tmp_path / f"register-{self.runs}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=sorted({k for row in rows for k in row}))
            writer.writeheader()
            writer.writerows(rows)
        return path

    async def run(self, rows: list[dict[str, Any]], **options: Any) -> Job:
        path = self.upload(rows)
        job = await self.imports.start(
            path,
            "csv",
            file_name=path.name,
            province_code=PROVINCE,
            import_valid_rows=options.get("import_valid_rows", False),
            subject=SUBJECT,
        )
        return await self.finished(job["job_id"])

    async def finished(self, job_id: str) -> Job:
        return await asyncio.wait_for(self._finished(job_id), timeout=60)

    async def _finished(self, job_id: str) -> Job:
        while True:
            job = await self.imports.job(job_id)
            assert job is not None
            if job["status"] in ("done", "rejected", "failed"):
                return job
            await asyncio.sleep(0.01)

    async def products(self) -> dict[str, Product]:
        found = await self.stores.products.find({}, limit=100)
        return {product.name: product for product in found}
