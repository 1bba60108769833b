"""The summaries in the store: one collection per current province (`summaries_82`), a handful of
documents each, written idempotently beside the facts and read by `_id`.

Every write is a repeatable single-document update: marks go in with `$addToSet`, a producer's
state with `$set` guarded by its version. So the fact writers call them on every delivery, not
only when the fact was new: a redelivery after a crash between the fact and its summary completes
the summary, and a plain redelivery changes nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from ocop_platform.mongo import Database, Document
from ocop_reporting.domain.summaries import (
    producer_entry,
    producer_key,
    summary_id,
    summary_of,
    unit_fields,
)
from ocop_reporting.domain.units import Unit, merged_from

SUMMARIES = "summaries"


class SummaryStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def _collection(self, current_code: str) -> AsyncCollection[Document]:
        return self._db[f"{SUMMARIES}_{current_code}"]

    async def add_marks(self, fact: Document, marks: dict[str, str]) -> None:
        await self._collection(fact["current_code"]).update_one(
            {"_id": summary_of(fact)},
            {"$set": unit_fields(fact), "$addToSet": marks},
            upsert=True,
        )

    async def put_producer(self, fact: Document) -> None:
        """The producer as its fact stands, unless the summary holds a newer version already
        (a rebuild beside the running service may apply an older event later)."""
        field = f"producers.{producer_key(fact['_id'])}"
        # DuplicateKeyError: the summary exists and holds a newer version of this producer.
        with contextlib.suppress(DuplicateKeyError):
            await self._collection(fact["current_code"]).update_one(
                {"_id": summary_of(fact), f"{field}.v": {"$not": {"$gt": fact["version"]}}},
                {"$set": {**unit_fields(fact), field: producer_entry(fact)}},
                upsert=True,
            )

    async def remove_producer(self, fact: Document, newer_version: int) -> None:
        """Take the producer out of the summary its fact was in (its unit or day changed)."""
        field = f"producers.{producer_key(fact['_id'])}"
        await self._collection(fact["current_code"]).update_one(
            {"_id": summary_of(fact), f"{field}.v": {"$lt": newer_version}},
            {"$unset": {field: ""}},
        )

    async def read(self, current_code: str, ids: Iterable[str]) -> list[Document]:
        wanted = sorted(set(ids))
        cursor = self._collection(current_code).find({"_id": {"$in": wanted}})
        return [doc async for doc in cursor]

    async def read_units(self, where: Unit, years: Iterable[int]) -> list[Document]:
        return await self.read(where.current_code, summary_ids(where, years))

    async def read_all_years(self, where: Unit) -> list[Document]:
        """Every year of a unit (the producer mix counts producers of all years)."""
        codes = [u.code for u in units_counted(where)]
        editions = sorted({u.edition for u in units_counted(where)})
        flt = {"unit_code": {"$in": codes}, "edition": {"$in": editions}}
        docs = [doc async for doc in self._collection(where.current_code).find(flt)]
        wanted = {(u.edition, u.code) for u in units_counted(where)}
        return [d for d in docs if (d["edition"], d["unit_code"]) in wanted]

    async def ensure_indexes(self, current_code: str) -> None:
        await self._collection(current_code).create_index(
            [("edition", 1), ("unit_code", 1), ("year", 1)]
        )


def units_counted(where: Unit) -> tuple[Unit, ...]:
    """The units whose facts a report of `where` counts: an old province its own; a current
    province its own and those of the old provinces merged into it."""
    if where.edition == "2008":
        return (where,)
    return (where, *merged_from(where.code))


def summary_ids(where: Unit, years: Iterable[int]) -> list[str]:
    return [summary_id(u.edition, u.code, y) for u in units_counted(where) for y in years]
