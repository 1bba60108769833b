"""Bulk import of a province's existing OCOP register from CSV or XLSX.

A job runs in the background and reports progress (rows validated, rows imported, of the total).
Pass 1 validates every row against the same rules as the HTTP API and records a row-by-row report;
a file with errors imports nothing unless the caller asked to import the valid rows. Pass 2 reads
the file again and writes producers and products in batches (insert_many), each document holding
its own EntityRegistered/ProductRegistered in its outbox. Memory stays bounded: the file is read
row by row from disk, only keys (codes, producer keys) are held across rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from ocop_contracts import LegalForm
from ocop_contracts.reference import fold_vi
from ocop_platform.errors import DomainError
from ocop_registry.adapters.stores import Job
from ocop_registry.adapters.tables import UnreadableFile, read_rows
from ocop_registry.domain import rules as check
from ocop_registry.domain.codes import GivenCode, code_mismatch, parse_product_code
from ocop_registry.domain.commands import (
    CommuneCode,
    DistrictCode,
    LegacyAddress,
    LongText,
    Name,
    ProvinceCode,
    RegisterEntity,
    RegisterProduct,
    Representative,
    ShortText,
)
from ocop_registry.domain.model import Sex, product_code
from ocop_registry.domain.producers import Producer
from ocop_registry.domain.products import ImportedRating, Product
from ocop_registry.service_layer.services import RegistryService, new_id

log = logging.getLogger(__name__)
BATCH = 500
PREVIEW = 20

_TRUE = {"1", "x", "true", "yes", "y", "có", "co", "đúng"}
_FALSE = {"0", "false", "no", "n", "không", "khong", "sai"}


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _flag(value: Any) -> Any:
    value = _blank_to_none(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return value


def _padded(width: int) -> Any:
    def pad(value: Any) -> Any:
        value = _blank_to_none(value)
        if isinstance(value, str) and value.isdigit() and len(value) < width:
            return value.zfill(width)  # spreadsheets drop leading zeros of numeric codes
        return value

    return BeforeValidator(pad)


Blank = BeforeValidator(_blank_to_none)
Flag = Annotated[bool | None, BeforeValidator(_flag)]


class ImportRow(BaseModel):
    """One line of a register: a product and its producer. Column names are these field names
    (case and spaces forgiven); see GET /imports/template.csv."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    producer_name: Name
    legal_form: LegalForm
    tax_code: Annotated[str | None, Blank] = Field(default=None, max_length=14)
    registration_number: Annotated[str | None, Blank] = Field(
        default=None, pattern=r"^[0-9A-Za-z./-]{3,30}$"
    )
    province_code: Annotated[ProvinceCode, _padded(2)]
    commune_code: Annotated[CommuneCode, _padded(5)]
    legacy_province_code: Annotated[ProvinceCode | None, _padded(2)] = None
    legacy_district_code: Annotated[DistrictCode | None, _padded(3)] = None
    legacy_commune_code: Annotated[CommuneCode | None, _padded(5)] = None
    representative_name: Annotated[Name | None, Blank] = None
    representative_sex: Annotated[Sex | None, Blank] = None
    representative_ethnicity: Annotated[ShortText | None, Blank] = None
    representative_disability: Flag = None
    women_led: Flag = None
    ethnic_minority_led: Flag = None
    product_name: Name
    scoring_set_code: str = Field(min_length=1, max_length=16)
    legacy_classification: Annotated[str | None, Blank] = Field(default=None, max_length=16)
    year: int = Field(ge=2018, le=2100)
    product_code: Annotated[str | None, Blank] = Field(default=None, max_length=32)
    stars: Annotated[int | None, Blank] = Field(default=None, ge=1, le=5)
    certificate_id: Annotated[str | None, Blank] = Field(default=None, max_length=64)
    certified_on: Annotated[date | None, Blank] = None
    valid_until: Annotated[date | None, Blank] = None
    description: Annotated[LongText | None, Blank] = None
    trademark: Annotated[ShortText | None, Blank] = None
    geographical_indication: Annotated[ShortText | None, Blank] = None
    traceability: Annotated[ShortText | None, Blank] = None
    raw_material_local_share: Annotated[float | None, Blank] = Field(default=None, ge=0, le=100)
    local_labour: Annotated[int | None, Blank] = Field(default=None, ge=0, le=100_000)


COLUMNS = tuple(ImportRow.model_fields)
REQUIRED = tuple(n for n, f in ImportRow.model_fields.items() if f.is_required())


@dataclass(frozen=True)
class RowProblem:
    row: int  # spreadsheet row number (the header is row 1)
    column: str
    message: str


@dataclass
class Checked:
    """A valid row, ready to write."""

    row: ImportRow
    entity_key: str
    scoring_set_code: str
    group_code: str
    sector_code: str
    legacy_classification: str | None
    code_key: str | None  # a QĐ26 code given in the file
    legacy_code: str | None
    sequence_key: tuple[str, int]  # (commune, year)
    given_sequence: int


def check_row(raw: dict[str, str], row_no: int, province: str) -> Checked | list[RowProblem]:
    """All the rules the HTTP API applies, for one row; problems name the column."""
    try:
        row = ImportRow.model_validate(raw)
    except ValidationError as exc:
        return [
            RowProblem(row_no, ".".join(str(p) for p in e["loc"]) or "row", e["msg"])
            for e in exc.errors()
        ]
    try:
        return _check_rules(row, province)
    except DomainError as exc:
        return [RowProblem(row_no, exc.field or "row", exc.message)]


def _check_rules(row: ImportRow, province: str) -> Checked:
    if row.province_code != province:
        raise DomainError(
            f"row is for province {row.province_code}; this import is for {province}",
            field="province_code",
        )
    check.check_unit(row.province_code, row.commune_code)
    check.check_tax_code(row.tax_code)
    if row.legacy_province_code:
        check.check_legacy_address(_legacy(row), province)
    found = check.scoring_set(row.scoring_set_code)
    check.check_legal_form_for(row.legal_form, found, "scoring_set_code")
    legacy_class = check.check_legacy_classification(
        row.legacy_classification, found, "legacy_classification"
    )
    code_key = legacy_code = None
    given = 0
    if row.product_code:
        parsed = parse_product_code(row.product_code)
        if parsed is None:
            raise DomainError(
                "not a product code (province-commune-sequence-year, or the older "
                "province-district-commune-sequence-year)",
                field="product_code",
            )
        if problem := code_mismatch(parsed, province, row.commune_code):
            raise DomainError(problem, field="product_code")
        if parsed.year != row.year:
            raise DomainError(f"code year {parsed.year} ≠ year {row.year}", field="product_code")
        if parsed.legacy:
            legacy_code = row.product_code.strip()
        else:
            code_key, given = row.product_code.strip(), parsed.sequence
    if row.stars is not None and row.stars >= 3 and row.certified_on is None:
        raise DomainError("a 3–5★ row needs the date it was certified", field="certified_on")
    if row.stars is None and (row.certificate_id or row.certified_on):
        raise DomainError("a certificate needs the stars it was issued for", field="stars")
    reg_key = check.registration_key(row.tax_code, row.registration_number)
    entity_key = reg_key or f"name:{fold_vi(row.producer_name)}:{row.commune_code}"
    return Checked(
        row=row,
        entity_key=entity_key,
        scoring_set_code=found.code,
        group_code=found.group_code,
        sector_code=found.sector_code,
        legacy_classification=legacy_class,
        code_key=code_key,
        legacy_code=legacy_code,
        sequence_key=(row.commune_code, row.year),
        given_sequence=given,
    )


def _legacy(row: ImportRow) -> LegacyAddress:
    assert row.legacy_province_code is not None
    return LegacyAddress(
        province_code=row.legacy_province_code,
        district_code=row.legacy_district_code,
        commune_code=row.legacy_commune_code,
    )


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
    ) -> Job:
        job_id = new_id("imp")
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
        }
        await self._jobs.add(job)
        task = asyncio.create_task(self._run(job, path))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

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

        def next_chunk() -> list[tuple[int, Checked | list[RowProblem]]]:
            return [
                (row_no, [] if skip and row_no in skip else check_row(raw, row_no, province))
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
        """Codes already in the register are errors of their row."""
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
        if problems:
            self._problems(state, report, job_id, problems)

    async def _flush_report(self, report: list[dict[str, Any]]) -> None:
        await self._jobs.add_report_lines(report)
        report.clear()

    async def _write(
        self, job_id: str, path: Path, kind: str, province: str, state: _Pass1
    ) -> dict[str, int]:
        entities: dict[str, Producer] = {}
        known = list(state.registration_keys)
        for start in range(0, len(known), 1000):
            found = await self._stores.catalogue.producers_registered_as(
                known[start : start + 1000]
            )
            entities.update(found)
        next_sequence: dict[tuple[str, int], int] = {}
        for key in set(state.sequences_needed) | set(state.sequence_floor):
            commune, year = key
            sequences = self._stores.sequences
            if key in state.sequence_floor:
                await sequences.next(province, commune, year, at_least=state.sequence_floor[key])
            if state.sequences_needed[key]:
                count = state.sequences_needed[key]
                next_sequence[key] = await sequences.reserve(province, commune, year, count)
        new_entities: list[Producer] = []
        products: list[Product] = []
        processed = imported = entities_created = products_created = 0
        today, now = self._registry.clock.today(), self._registry.clock.now()
        async for rows in self._checked_chunks(path, kind, province, skip=state.bad_rows):
            for row_no, checked in rows:
                processed += 1
                if row_no in state.bad_rows:
                    continue
                if not isinstance(checked, Checked):  # pragma: no cover - the file changed
                    raise RuntimeError(f"row {row_no} changed between the two passes")
                entity = entities.get(checked.entity_key)
                if entity is None:
                    entity = _entity(checked, now)
                    entities[checked.entity_key] = entity
                    new_entities.append(entity)
                products.append(_product(checked, entity, next_sequence, province, today, now))
                imported += 1
            entities_created += len(new_entities)
            products_created += len(products)
            await self._flush(new_entities, products)
            await self._jobs.update(job_id, processed_rows=processed, imported_rows=imported)
        return {
            "processed_rows": processed,
            "imported_rows": imported,
            "entities_created": entities_created,
            "products_created": products_created,
        }

    async def _flush(self, producers: list[Producer], products: list[Product]) -> None:
        await self._stores.producers.add_many(producers)
        if taken := await self._stores.products.add_many(products):
            # Pass 1 found these codes free: another registration took them meanwhile.
            raise RuntimeError(f"{len(taken)} products' codes were taken during the import")
        producers.clear()
        products.clear()


def _entity(checked: Checked, now: datetime) -> Producer:
    row = checked.row
    representative = None
    if row.representative_name and row.representative_sex:
        representative = Representative(
            full_name=row.representative_name,
            sex=row.representative_sex,
            ethnicity=row.representative_ethnicity or "Kinh",
            disability=bool(row.representative_disability),
        )
    cmd = RegisterEntity(
        name=row.producer_name,
        legal_form=row.legal_form,
        tax_code=row.tax_code,
        registration_number=row.registration_number,
        province_code=row.province_code,
        commune_code=row.commune_code,
        legacy_address=_legacy(row) if row.legacy_province_code else None,
        representative=representative,
        women_led=row.women_led,
        ethnic_minority_led=row.ethnic_minority_led,
        disability_led=row.representative_disability,
    )
    return Producer.register(new_id("ent"), cmd, now, imported=True)


def _product(
    checked: Checked,
    entity: Producer,
    next_sequence: dict[tuple[str, int], int],
    province: str,
    today: date,
    now: datetime,
) -> Product:
    row = checked.row
    cmd = RegisterProduct(
        entity_id=entity.id,
        name=row.product_name,
        scoring_set_code=checked.scoring_set_code,
        year=row.year,
        description=row.description,
        trademark=row.trademark,
        geographical_indication=row.geographical_indication,
        traceability=row.traceability,
        raw_material_local_share=row.raw_material_local_share,
        local_labour=row.local_labour,
    )
    legacy_province = row.legacy_province_code
    if checked.legacy_code:
        parsed = parse_product_code(checked.legacy_code)
        legacy_province = parsed.province_code if parsed else legacy_province
    classification = check.Classification(
        checked.scoring_set_code,
        checked.group_code,
        checked.sector_code,
        checked.legacy_classification,
    )
    given = GivenCode(checked.legacy_code, legacy_province)
    product = Product.draft(
        new_id("prd"), cmd, entity, classification, now, given=given, imported=True
    )
    if checked.code_key is not None:
        code = checked.code_key
    else:
        sequence = next_sequence[checked.sequence_key]
        next_sequence[checked.sequence_key] = sequence + 1
        code = product_code(province, row.commune_code, sequence, row.year)
    product.register(code, now)
    if row.stars is not None:
        rating = ImportedRating(
            stars=row.stars,
            certified_on=row.certified_on,
            certificate_id=row.certificate_id,
            valid_until=row.valid_until,
        )
        product.take_imported_rating(rating, today)
    return product
