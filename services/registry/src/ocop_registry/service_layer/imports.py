"""Bulk import of a province's existing OCOP register from CSV or XLSX.

A job runs in the background and reports progress (rows validated, rows imported, of the total).
Pass 1 checks every row (``domain/imports.py``) and records a row-by-row report; a file with
errors imports nothing unless the caller asked to import the valid rows. Pass 2 reads the file
again and adds producers and products in batches through the stores' ``add_many`` (one bulk
insert each, every aggregate with its EntityRegistered/ProductRegistered in its outbox). Memory
stays bounded: the file is read row by row from disk; across rows only keys (codes, producers'
keys) and the producers met are held.

A 3–5★ row's certificate is checked like evaluation would (``domain/certified.py``), its number
unique in the file and not held by a product already in the register; the product is written
with PriorCertificateDeclared after its ProductRegistered, in the same insert, for evaluation to
adopt.

With an ``Idempotency-Key`` (``start_once``), the job's id is derived from (caller, key) and the
job keeps the request's fingerprint (the form's fields and the file's SHA-256), so its insert is
the guard against a second job, as for producers and products (``domain/idempotency.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from ocop_contracts.reference import fold_vi
from ocop_registry.adapters.stores import Job
from ocop_registry.adapters.tables import UnreadableFile, read_rows
from ocop_registry.domain.idempotency import IdempotentRequest
from ocop_registry.domain.imports import COLUMNS, REQUIRED, Checked, RowProblem, check_row
from ocop_registry.domain.model import product_code
from ocop_registry.domain.producers import Producer
from ocop_registry.domain.products import Product
from ocop_registry.service_layer.services import RegistryService, create_once, new_id

__all__ = ["COLUMNS", "REQUIRED", "Checked", "ImportRequest", "ImportService", "check_row"]
log = logging.getLogger(__name__)
BATCH = 500
PREVIEW = 20
KEYS_PER_READ = 1000  # registration keys looked up at once
JOB_PREFIX = "imp"
_DIGEST_CHUNK = 1 << 20


class ImportRequest(BaseModel):
    """What a ``POST /imports`` asks for, as a repeat of it is compared: the form's fields and
    the uploaded file by its digest."""

    model_config = ConfigDict(frozen=True)

    file_name: str
    kind: str
    province_code: str
    import_valid_rows: bool
    file_sha256: str


@dataclass
class _Pass1:
    total: int = 0
    bad_rows: set[int] = field(default_factory=set)
    problems: int = 0
    preview: list[dict[str, Any]] = field(default_factory=list)
    codes: dict[str, int] = field(default_factory=dict)
    legacy_codes: dict[str, int] = field(default_factory=dict)
    names: dict[tuple[str, str], int] = field(default_factory=dict)
    sequences_needed: Counter[tuple[str, int]] = field(default_factory=Counter)
    sequence_floor: dict[tuple[str, int], int] = field(default_factory=dict)
    registration_keys: set[str] = field(default_factory=set)
    certificates: dict[str, int] = field(default_factory=dict)  # number → its first row
    warnings: int = 0


class ImportService:
    def __init__(self, registry: RegistryService, workdir: Path) -> None:
        self._registry = registry
        self._stores = registry.stores
        self._jobs = registry.stores.jobs
        self._workdir = workdir
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def workdir(self) -> Path:
        self._workdir.mkdir(parents=True, exist_ok=True)
        return self._workdir

    async def start(
        self,
        path: Path,
        kind: str,
        *,
        file_name: str,
        province_code: str,
        import_valid_rows: bool,
        subject: str,
        job_id: str | None = None,
        fingerprint: str | None = None,
    ) -> Job:
        """Add the job and run it in the background; it removes the file when it ends.
        ``job_id`` and ``fingerprint``: set by an idempotent request (start_once); a job
        already under that id is a Conflict (AggregateExists), and then nothing runs."""
        job_id = job_id or new_id(JOB_PREFIX)
        job: Job = {
            "job_id": job_id,
            "file_name": file_name,
            "kind": kind,
            "province_code": province_code,
            "import_valid_rows": import_valid_rows,
            "requested_by": subject,
            "status": "queued",
            "total_rows": None,
            "validated_rows": 0,
            "processed_rows": 0,
            "imported_rows": 0,
            "error_rows": 0,
            "error_count": 0,
            "warning_count": 0,
            "entities_created": 0,
            "products_created": 0,
            "errors_preview": [],
            "message": "",
            "started_at": time.time(),
            "finished_at": None,
            "seconds": None,
            "request_fingerprint": fingerprint,
        }
        await self._jobs.add(job)
        task = asyncio.create_task(self._run(job, path))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def start_once(
        self,
        path: Path,
        kind: str,
        *,
        file_name: str,
        province_code: str,
        import_valid_rows: bool,
        subject: str,
        key: str | None,
    ) -> tuple[Job, bool]:
        """POST /imports: the job, and whether an earlier request with this Idempotency-Key
        (and the same form and file) started it; without a key, always a job of its own. The
        file is removed unless a job was started on it now (a repeat's upload is a copy
        nobody reads)."""
        started = False

        async def create(job_id: str | None = None, fingerprint: str | None = None) -> Job:
            nonlocal started
            job = await self.start(
                path,
                kind,
                file_name=file_name,
                province_code=province_code,
                import_valid_rows=import_valid_rows,
                subject=subject,
                job_id=job_id,
                fingerprint=fingerprint,
            )
            started = True
            return job

        try:
            if key is None:
                return await create(), False
            form = ImportRequest(
                file_name=file_name,
                kind=kind,
                province_code=province_code,
                import_valid_rows=import_valid_rows,
                file_sha256=await asyncio.to_thread(_sha256, path),
            )
            request = IdempotentRequest(subject, key, form)
            job_id = request.aggregate_id(JOB_PREFIX)

            async def earlier() -> Job | None:
                job = await self._jobs.get(job_id)
                if job is not None:
                    request.check_repeat(job_id, job.get("request_fingerprint"))
                return job

            return await create_once(earlier, lambda: create(job_id, request.fingerprint))
        finally:
            if not started:
                await asyncio.to_thread(path.unlink, missing_ok=True)

    async def job(self, job_id: str) -> Job | None:
        return await self._jobs.get(job_id)

    async def report_lines(
        self, job_id: str, kind: str | None = None, *, skip: int = 0, limit: int = 1000
    ) -> list[dict[str, Any]]:
        """The job's row-by-row report (errors, then warnings), in file order."""
        return await self._jobs.report_lines(job_id, kind, skip=skip, limit=limit)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, job: Job, path: Path) -> None:
        job_id = job["job_id"]
        try:
            await self._execute(job, path)
        except UnreadableFile as exc:
            await self._finish(job_id, job, "failed", str(exc))
        except Exception as exc:
            log.exception("import %s failed", job_id)
            await self._finish(job_id, job, "failed", f"{type(exc).__name__}: {exc}")
        finally:
            await asyncio.to_thread(path.unlink, missing_ok=True)

    async def _finish(self, job_id: str, job: Job, status: str, message: str) -> None:
        now = time.time()
        await self._jobs.update(
            job_id,
            status=status,
            message=message,
            finished_at=now,
            seconds=round(now - job["started_at"], 3),
        )

    async def _checked_chunks(
        self, path: Path, kind: str, province: str, skip: set[int] | None = None
    ) -> AsyncIterator[list[tuple[int, Checked | list[RowProblem]]]]:
        """Rows read and checked BATCH at a time in a worker thread, so that parsing a large
        workbook never holds up the service's other requests."""
        rows: Iterator[tuple[int, dict[str, str]]] = (
            (index + 2, raw)  # row 1 is the header
            for index, raw in enumerate(read_rows(path, kind))
        )
        today = self._registry.clock.today()

        def next_chunk() -> list[tuple[int, Checked | list[RowProblem]]]:
            return [
                (
                    row_no,
                    [] if skip and row_no in skip else check_row(raw, row_no, province, today),
                )
                for row_no, raw in islice(rows, BATCH)
            ]

        while chunk := await asyncio.to_thread(next_chunk):
            yield chunk

    async def _execute(self, job: Job, path: Path) -> None:
        job_id, kind, province = job["job_id"], job["kind"], job["province_code"]
        # The total is known once the checking pass has read the file (no extra pass to count).
        await self._jobs.update(job_id, status="validating")
        state = await self._validate(job_id, path, kind, province)
        valid = state.total - len(state.bad_rows)
        summary = {
            "total_rows": state.total,
            "validated_rows": state.total,
            "error_rows": len(state.bad_rows),
            "error_count": state.problems,
            "warning_count": state.warnings,
            "errors_preview": state.preview,
        }
        await self._jobs.update(job_id, **summary)
        if state.bad_rows and not job["import_valid_rows"]:
            await self._finish(
                job_id,
                job,
                "rejected",
                f"{len(state.bad_rows)} of {state.total} rows have errors; nothing was imported. "
                "Fix them, or send import_valid_rows=true to import the other rows.",
            )
            return
        await self._jobs.update(job_id, status="importing")
        created = await self._write(job_id, path, kind, province, state)
        await self._jobs.update(job_id, **created)
        skipped = f"; {len(state.bad_rows)} rows with errors skipped" if state.bad_rows else ""
        await self._finish(job_id, job, "done", f"imported {valid} rows{skipped}")

    async def _validate(self, job_id: str, path: Path, kind: str, province: str) -> _Pass1:
        state = _Pass1()
        existing_names = {
            (c.commune_code, c.name_fold): c.product_code
            for c in await self._stores.catalogue.duplicate_candidates(province)
        }
        report: list[dict[str, Any]] = []
        async for rows in self._checked_chunks(path, kind, province):
            chunk: list[tuple[int, Checked]] = []
            for row_no, result in rows:
                state.total += 1
                if isinstance(result, list):
                    self._problems(state, report, job_id, result)
                else:
                    self._note(state, report, job_id, row_no, result, existing_names)
                    chunk.append((row_no, result))
            await self._check_store(state, report, job_id, chunk)
            await self._flush_report(report)
            await self._jobs.update(job_id, validated_rows=state.total)
        return state

    def _problems(
        self,
        state: _Pass1,
        report: list[dict[str, Any]],
        job_id: str,
        problems: list[RowProblem],
    ) -> None:
        for p in problems:
            state.bad_rows.add(p.row)
            state.problems += 1
            entry = {"row": p.row, "column": p.column, "message": p.message}
            if len(state.preview) < PREVIEW:
                state.preview.append(entry)
            report.append({"job_id": job_id, "kind": "error", **entry})

    def _note(
        self,
        state: _Pass1,
        report: list[dict[str, Any]],
        job_id: str,
        row_no: int,
        checked: Checked,
        existing_names: dict[tuple[str, str], str | None],
    ) -> None:
        problems: list[RowProblem] = []
        if checked.code_key is not None:
            first = state.codes.setdefault(checked.code_key, row_no)
            if first != row_no:
                problems.append(RowProblem(row_no, "product_code", f"same code as row {first}"))
        if checked.legacy_code is not None:
            first = state.legacy_codes.setdefault(checked.legacy_code, row_no)
            if first != row_no:
                problems.append(RowProblem(row_no, "product_code", f"same code as row {first}"))
        if (number := _certificate_of(checked)) is not None:
            first = state.certificates.setdefault(number, row_no)
            if first != row_no:
                problems.append(
                    RowProblem(row_no, "certificate_id", f"same certificate number as row {first}")
                )
        if problems:
            self._problems(state, report, job_id, problems)
            return
        if checked.code_key is not None:
            key = checked.sequence_key
            state.sequence_floor[key] = max(
                state.sequence_floor.get(key, 0), checked.given_sequence
            )
        else:
            state.sequences_needed[checked.sequence_key] += 1
        if checked.entity_key.startswith(("mst:", "dkkd:")):
            state.registration_keys.add(checked.entity_key)
        name_key = (checked.row.commune_code, fold_vi(checked.row.product_name))
        earlier = state.names.setdefault(name_key, row_no)
        if earlier != row_no or name_key in existing_names:
            where = f"row {earlier}" if earlier != row_no else existing_names[name_key]
            state.warnings += 1
            report.append(
                {
                    "job_id": job_id,
                    "kind": "warning",
                    "row": row_no,
                    "column": "product_name",
                    "message": f"same name in the same commune as {where} (near-duplicate?)",
                }
            )

    async def _check_store(
        self,
        state: _Pass1,
        report: list[dict[str, Any]],
        job_id: str,
        chunk: list[tuple[int, Checked]],
    ) -> None:
        """Codes and certificate numbers already in the register are errors of their row."""
        codes = [c.code_key for _, c in chunk if c.code_key]
        legacy = [c.legacy_code for _, c in chunk if c.legacy_code]
        catalogue = self._stores.catalogue
        taken = await catalogue.taken_codes(codes) if codes else set()
        taken_legacy = await catalogue.taken_legacy_codes(legacy) if legacy else set()
        problems = [
            RowProblem(row_no, "product_code", "this code is already in the register")
            for row_no, c in chunk
            if (c.code_key in taken) or (c.legacy_code in taken_legacy)
        ]
        held = await self._held_certificates([n for _, c in chunk if (n := _certificate_of(c))])
        problems += [
            RowProblem(row_no, "certificate_id", f"certificate {number} is held by {held[number]}")
            for row_no, c in chunk
            if (number := _certificate_of(c)) in held
        ]
        if problems:
            self._problems(state, report, job_id, problems)

    async def _held_certificates(self, numbers: list[str]) -> dict[str, str]:
        """The products already holding (or declared with) these numbers: number → product."""
        held: dict[str, str] = {}
        if not numbers:
            return held
        wanted = set(numbers)
        for product in await self._stores.catalogue.certificate_holders(numbers):
            for number in wanted.intersection(_numbers_of(product)):
                held[number] = product.product_code or product.id
        return held

    async def _flush_report(self, report: list[dict[str, Any]]) -> None:
        await self._jobs.add_report_lines(report)
        report.clear()

    async def _write(
        self, job_id: str, path: Path, kind: str, province: str, state: _Pass1
    ) -> dict[str, int]:
        clock = self._registry.clock
        written = _Pass2(
            producers=await self._known_producers(state),
            numbers=await self._reserve_numbers(province, state),
            province=province,
            now=clock.now(),
        )
        async for rows in self._checked_chunks(path, kind, province, skip=state.bad_rows):
            for row_no, checked in rows:
                written.processed += 1
                if row_no in state.bad_rows:
                    continue
                if not isinstance(checked, Checked):  # pragma: no cover - the file changed
                    raise RuntimeError(f"row {row_no} changed between the two passes")
                written.take(checked)
            await self._flush(*written.batch())
            await self._jobs.update(
                job_id, processed_rows=written.processed, imported_rows=written.imported
            )
        return written.counts()

    async def _known_producers(self, state: _Pass1) -> dict[str, Producer]:
        """The producers already in the register that rows name by their registration key."""
        known: dict[str, Producer] = {}
        keys = sorted(state.registration_keys)
        for start in range(0, len(keys), KEYS_PER_READ):
            chunk = keys[start : start + KEYS_PER_READ]
            known.update(await self._stores.catalogue.producers_registered_as(chunk))
        return known

    async def _reserve_numbers(self, province: str, state: _Pass1) -> dict[tuple[str, int], int]:
        """Reserve the code numbers rows without a code need, after those rows give; returns
        the first reserved number of each (commune, year)."""
        sequences = self._stores.sequences
        first: dict[tuple[str, int], int] = {}
        for key in set(state.sequences_needed) | set(state.sequence_floor):
            commune, year = key
            if key in state.sequence_floor:
                await sequences.next(province, commune, year, at_least=state.sequence_floor[key])
            if count := state.sequences_needed[key]:
                first[key] = await sequences.reserve(province, commune, year, count)
        return first

    async def _flush(self, producers: list[Producer], products: list[Product]) -> None:
        await self._stores.producers.add_many(producers)
        if taken := await self._stores.products.add_many(products):
            # Pass 1 found these codes free: another registration took them meanwhile.
            raise RuntimeError(f"the codes of {len(taken)} products were taken during the import")


@dataclass
class _Pass2:
    """What the writing pass keeps across rows, and the batch it writes next."""

    producers: dict[str, Producer]  # by producer key: those in the register and those added
    numbers: dict[tuple[str, int], int]  # the next code number of each (commune, year)
    province: str
    now: datetime
    processed: int = 0
    imported: int = 0
    producers_created: int = 0
    products_created: int = 0
    new_producers: list[Producer] = field(default_factory=list)
    new_products: list[Product] = field(default_factory=list)

    def take(self, checked: Checked) -> None:
        producer = self.producers.get(checked.entity_key)
        if producer is None:
            producer = imported_producer(checked, self.now)
            self.producers[checked.entity_key] = producer
            self.new_producers.append(producer)
        code = self._code(checked)
        self.new_products.append(imported_product(checked, producer, code, self.now))
        self.imported += 1

    def batch(self) -> tuple[list[Producer], list[Product]]:
        """The producers and products to write now (counted as created)."""
        producers, products = self.new_producers, self.new_products
        self.new_producers, self.new_products = [], []
        self.producers_created += len(producers)
        self.products_created += len(products)
        return producers, products

    def counts(self) -> dict[str, int]:
        return {
            "processed_rows": self.processed,
            "imported_rows": self.imported,
            "entities_created": self.producers_created,
            "products_created": self.products_created,
        }

    def _code(self, checked: Checked) -> str:
        if checked.code_key is not None:
            return checked.code_key
        number = self.numbers[checked.sequence_key]
        self.numbers[checked.sequence_key] = number + 1
        return product_code(self.province, checked.row.commune_code, number, checked.row.year)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_DIGEST_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _certificate_of(checked: Checked) -> str | None:
    """The certificate number a 3–5★ row declares."""
    row = checked.row
    return row.certificate_id if row.stars is not None and row.stars >= 3 else None


def _numbers_of(product: Product) -> list[str]:
    found = [product.certificate, product.declared_certificate]
    return [c.certificate_id for c in found if c is not None and c.certificate_id is not None]


def imported_producer(checked: Checked, now: datetime) -> Producer:
    return Producer.register(new_id("ent"), checked.row.register_entity(), now, imported=True)


def imported_product(checked: Checked, producer: Producer, code: str, now: datetime) -> Product:
    """A row's product, registered under ``code``, with the rating the row records."""
    cmd = checked.row.register_product(producer.id)
    product = Product.draft(
        new_id("prd"),
        cmd,
        producer,
        checked.classification,
        now,
        given=checked.given,
        imported=True,
    )
    product.register(code, now)
    if (rating := checked.row.imported_rating()) is not None:
        product.take_imported_rating(rating)
    return product
