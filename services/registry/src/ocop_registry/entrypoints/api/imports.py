"""Bulk import of a province's register (CSV or XLSX) as a job with progress and a report."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any, Literal
from uuid import uuid4

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile, status
from fastapi.responses import PlainTextResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict

from ocop_platform.errors import DomainError, NotFound
from ocop_registry.domain.idempotency import KeyReused
from ocop_registry.domain.imports import FOR_CERTIFICATES
from ocop_registry.entrypoints.api.deps import (
    REPEATED,
    ImportIdempotencyKey,
    Reader,
    Writer,
    key_reused,
)
from ocop_registry.service_layer.access import ensure_province_writer, ensure_write
from ocop_registry.service_layer.imports import COLUMNS, REQUIRED, ImportService

router = APIRouter(prefix="/imports", tags=["imports"])
_CHUNK = 1 << 20


class ImportJob(BaseModel):
    """Poll until `status` is done, rejected or failed. `validated_rows` grows while every row
    is checked (`status` validating); `total_rows` is known once that pass ends, and
    `processed_rows`/`total_rows` is then the progress of the writing pass (importing)."""

    model_config = ConfigDict(extra="ignore")

    job_id: str
    file_name: str
    province_code: str
    import_valid_rows: bool
    status: Literal["queued", "validating", "importing", "done", "rejected", "failed"]
    total_rows: int | None
    validated_rows: int
    processed_rows: int
    imported_rows: int
    error_rows: int
    error_count: int
    warning_count: int
    entities_created: int
    products_created: int
    errors_preview: list[dict[str, Any]]
    message: str
    seconds: float | None


class ReportLine(BaseModel):
    model_config = ConfigDict(extra="ignore")

    row: int
    column: str
    message: str
    kind: Literal["error", "warning"]


def _imports(request: Request) -> ImportService:
    service: ImportService = request.app.state.imports
    return service


ImportsDep = Annotated[ImportService, Depends(_imports)]


def _kind(upload: UploadFile) -> str:
    name = (upload.filename or "").lower()
    if name.endswith(".csv") or upload.content_type in ("text/csv", "application/csv"):
        return "csv"
    if name.endswith(".xlsx"):
        return "xlsx"
    raise DomainError("send a .csv or .xlsx file", field="file")


@router.get("/template.csv", response_class=PlainTextResponse)
async def template() -> str:
    """The columns an import understands; the second line says which are required, and which
    a certified (3–5★) row needs: its certificate, which evaluation adopts."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerow([_need(c) for c in COLUMNS])
    return buffer.getvalue()


def _need(column: str) -> str:
    if column in REQUIRED:
        return "required"
    return "required for 3–5★" if column in FOR_CERTIFICATES else ""


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=ImportJob, responses=REPEATED)
async def start_import(
    request: Request,
    who: Writer,
    response: Response,
    file: Annotated[UploadFile, File(description="The register, .csv (UTF-8) or .xlsx")],
    province_code: Annotated[str, Form(pattern=r"^\d{2}$")],
    import_valid_rows: Annotated[bool, Form()] = False,
    idempotency_key: ImportIdempotencyKey = None,
) -> ImportJob:
    """Start importing a register. Every row is checked first; a file with errors imports
    nothing unless `import_valid_rows` is true. Poll GET /imports/{job_id} for progress. With
    an `Idempotency-Key`, a repeat of the upload (same form, same file) starts no second job
    (200, the first one's job)."""
    ensure_province_writer(who, province_code)
    kind = _kind(file)
    imports = _imports(request)
    path = await _save_upload(file, imports.workdir / f"{uuid4().hex}.{kind}", request)
    try:
        job, repeat = await imports.start_once(
            path,
            kind,
            file_name=file.filename or f"upload.{kind}",
            province_code=province_code,
            import_valid_rows=import_valid_rows,
            subject=who.subject,
            key=idempotency_key,
        )
    except KeyReused as reused:
        raise key_reused(reused) from reused
    if repeat:
        response.status_code = status.HTTP_200_OK
    return ImportJob.model_validate(job)


async def _save_upload(file: UploadFile, path: Path, request: Request) -> Path:
    """The upload written to ``path``, refused (and removed) past the service's size limit."""
    limit: int = request.app.state.settings.max_import_bytes
    size = 0
    with path.open("wb") as out:
        while chunk := await file.read(_CHUNK):
            size += len(chunk)
            if size > limit:
                out.close()
                await asyncio.to_thread(path.unlink, missing_ok=True)
                raise DomainError(f"the file is larger than {limit} bytes", field="file")
            out.write(chunk)
    return path


async def _job(imports: ImportService, job_id: str, who: Reader) -> dict[str, Any]:
    job = await imports.job(job_id)
    if job is None:
        raise NotFound(f"no import {job_id}", field="job_id")
    ensure_write(who, job["province_code"], "")  # offices of the province
    return job


@router.get("/{job_id}", response_model=ImportJob)
async def get_import(job_id: str, imports: ImportsDep, who: Reader) -> ImportJob:
    return ImportJob.model_validate(await _job(imports, job_id, who))


@router.get("/{job_id}/report", response_model=list[ReportLine])
async def import_report(
    job_id: str,
    imports: ImportsDep,
    who: Reader,
    kind: Literal["error", "warning"] | None = None,
    skip: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> list[ReportLine]:
    """The row-by-row report (errors, then warnings), in file order."""
    await _job(imports, job_id, who)
    lines = await imports.report_lines(job_id, kind, skip=skip, limit=limit)
    return [ReportLine.model_validate(line) for line in lines]


@router.get(
    "/{job_id}/report.csv",
    response_class=StreamingResponse,
    responses={200: {"description": "The report as CSV.", "content": {"text/csv": {}}}},
)
async def import_report_csv(job_id: str, imports: ImportsDep, who: Reader) -> StreamingResponse:
    """The whole report as CSV (row, column, kind, message), streamed."""
    await _job(imports, job_id, who)

    async def lines() -> AsyncIterator[str]:
        yield "row,column,kind,message\n"
        skip = 0
        while batch := await imports.report_lines(job_id, skip=skip, limit=2000):
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            for line in batch:
                writer.writerow([line["row"], line["column"], line["kind"], line["message"]])
            yield buffer.getvalue()
            skip += len(batch)

    headers = {"Content-Disposition": f'attachment; filename="{job_id}-report.csv"'}
    return StreamingResponse(lines(), media_type="text/csv", headers=headers)


__all__ = ["router"]
