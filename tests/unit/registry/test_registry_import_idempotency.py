"""POST /imports with an Idempotency-Key, as the import use case over the stores in memory: a
repeat of the upload finds the job the first one started (one job, one set of products), the
same key with another file or form is refused, and an attempt in flight alongside or cut short
never leads to a second job (domain/idempotency.py, ImportService.start_once)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from ocop_registry.adapters.memory import MemoryImportJobs, memory_stores
from ocop_registry.adapters.stores import Job
from ocop_registry.domain.idempotency import HEADER, KeyReused
from tests.unit.registry.import_support import ROWS, SUBJECT, Importer
from tests.unit.registry.registry_builders import PROVINCE

KEY = "3f1c2b9e-6d4a-4e8b-9a51-2c7d0e5f8a10"


class LateJobs(MemoryImportJobs):
    """Jobs whose first read misses the job another attempt of the request is adding at that
    moment: the attempt in flight alongside that adds it between this one's read and insert."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden_reads = 0

    async def get(self, job_id: str) -> Job | None:
        if self.hidden_reads:
            self.hidden_reads -= 1
            return None
        return await super().get(job_id)


async def upload_once(
    importer: Importer,
    rows: list[dict[str, Any]],
    *,
    key: str | None = KEY,
    subject: str = SUBJECT,
    **form: Any,
) -> tuple[Job, bool, Path]:
    """An upload of ``rows`` with an Idempotency-Key: the job, whether it is a repeat, and
    where the upload was written."""
    path = importer.upload(rows)
    job, repeat = await importer.imports.start_once(
        path,
        "csv",
        file_name=form.get("file_name", "register.csv"),
        province_code=PROVINCE,
        import_valid_rows=form.get("import_valid_rows", False),
        subject=subject,
        key=key,
    )
    return job, repeat, path


def job_count(importer: Importer) -> int:
    jobs = importer.stores.jobs
    assert isinstance(jobs, MemoryImportJobs)
    return len(jobs.jobs)


async def test_a_repeated_upload_answers_the_first_job_and_imports_once(tmp_path: Path) -> None:
    importer = Importer(tmp_path)

    first, first_repeat, _ = await upload_once(importer, ROWS)
    done = await importer.finished(first["job_id"])
    again, repeat, again_upload = await upload_once(importer, ROWS)

    assert (first_repeat, repeat) == (False, True)
    assert again == done  # the first job as it is now
    assert re.fullmatch(r"imp-[0-9a-f]{24}", first["job_id"])
    assert (done["status"], done["products_created"]) == ("done", 3)
    assert job_count(importer) == 1
    assert await importer.stores.products.count({}) == 3
    assert not again_upload.exists()  # a repeat's copy of the file is not kept


async def test_a_repeat_while_the_first_job_runs_starts_nothing(tmp_path: Path) -> None:
    importer = Importer(tmp_path)

    first, _, _ = await upload_once(importer, ROWS)
    again, repeat, _ = await upload_once(importer, ROWS)

    assert (repeat, again["job_id"]) == (True, first["job_id"])
    assert (await importer.finished(first["job_id"]))["products_created"] == 3
    assert job_count(importer) == 1
    assert await importer.stores.products.count({}) == 3


@pytest.mark.parametrize(
    ("rows", "form"),
    [
        (ROWS[:2], {}),  # another file
        (ROWS, {"import_valid_rows": True}),
        (ROWS, {"file_name": "other.csv"}),
    ],
)
async def test_the_same_key_with_another_upload_is_refused_naming_the_header(
    tmp_path: Path, rows: list[dict[str, Any]], form: dict[str, Any]
) -> None:
    importer = Importer(tmp_path)
    first, _, _ = await upload_once(importer, ROWS)
    await importer.finished(first["job_id"])

    with pytest.raises(KeyReused) as refused:
        await upload_once(importer, rows, **form)

    assert (refused.value.field, refused.value.aggregate_id) == (HEADER, first["job_id"])
    assert job_count(importer) == 1
    refused_upload = importer.tmp_path / f"register-{importer.runs}.csv"
    assert not refused_upload.exists()  # the refused upload's file is not kept


async def test_keys_are_the_callers_own(tmp_path: Path) -> None:
    importer = Importer(tmp_path)

    mine, _, _ = await upload_once(importer, ROWS[:1])
    theirs, repeat, _ = await upload_once(importer, ROWS[:1], subject="office-52-bis")

    assert not repeat and theirs["job_id"] != mine["job_id"]
    assert job_count(importer) == 2


async def test_an_attempt_in_flight_alongside_answers_with_its_twins_job(
    tmp_path: Path,
) -> None:
    jobs = LateJobs()
    importer = Importer(tmp_path, stores=dataclasses.replace(memory_stores(), jobs=jobs))
    first, _, _ = await upload_once(importer, ROWS)

    jobs.hidden_reads = 1  # the twin read before the first attempt added its job
    again, repeat, again_upload = await upload_once(importer, ROWS)

    assert (repeat, again["job_id"]) == (True, first["job_id"])
    assert (await importer.finished(first["job_id"]))["products_created"] == 3
    assert job_count(importer) == 1
    assert await importer.stores.products.count({}) == 3
    assert not again_upload.exists()


async def test_a_retry_after_a_crash_before_the_answer_finds_the_same_job(
    tmp_path: Path,
) -> None:
    """The job was added, then the service went down before answering: the restarted
    service derives the same job id from the key, so the retry starts no second job."""
    crashed = Importer(tmp_path)
    first, _, _ = await upload_once(crashed, ROWS)
    await crashed.imports.stop()

    restarted = Importer(tmp_path, stores=crashed.stores)
    again, repeat, _ = await upload_once(restarted, ROWS)

    assert (repeat, again["job_id"]) == (True, first["job_id"])
    assert job_count(restarted) == 1


async def test_without_a_key_every_upload_starts_a_job(tmp_path: Path) -> None:
    importer = Importer(tmp_path)

    first, first_repeat, _ = await upload_once(importer, ROWS[:1], key=None)
    second, second_repeat, _ = await upload_once(importer, ROWS[:1], key=None)

    assert (first_repeat, second_repeat) == (False, False)
    assert first["job_id"] != second["job_id"]
    assert job_count(importer) == 2
    for job in (first, second):
        await importer.finished(job["job_id"])
