"""Which targets a province's and a year's reports read, as `_id` documents beside the targets.

FerretDB v1 answers only `_id` filters (one id, or an `$in` of at most 500 with our patch) from
an index; any other filter reads the whole targets collection, each target with its history and
outbox (~540 ms per progress or national report at 170 targets). So every value the reports
select targets by is also a document naming the targets that have it:
``{_id: "year:2026", ids: ["t-1", …]}``, ``{_id: "unit:2025:82", ids: […]}``.

Written before the target is saved and never taken off: a crash in between, a refused save or a
target moved to another province or period leaves an id that leads nowhere or to a target that no
longer has the value, never a target missing from its documents. Readers therefore check each
target they load against their filter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pymongo.errors import DuplicateKeyError

from ocop_platform.idempotency import insert_once
from ocop_platform.mongo import Database, Document
from ocop_reporting.domain.units import Unit

TARGET_INDEX = "target_index"
IN_CHUNK = 500  # FerretDB patch 0003 pushes an `_id` $in of at most 500 down to the index
# Written once the targets of a database older than the index are filed (see `fill`).
_FILLED = "filled"


def unit_key(where: Unit) -> str:
    """A new province's targets are those rolling up to it; an old one's, those it issued."""
    return f"unit:{where.edition}:{where.code}"


def year_key(year: int) -> str:
    return f"year:{year}"


def target_keys(doc: Document) -> set[str]:
    """The documents a target (its stored fields) is filed under."""
    keys = {year_key(y) for y in range(int(doc["year_from"]), int(doc["year_to"]) + 1)}
    if doc.get("current_code"):
        keys.add(f"unit:2025:{doc['current_code']}")
    if doc.get("province_edition") == "2008":
        keys.add(f"unit:2008:{doc['province_code']}")
    return keys


def chunks(values: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), IN_CHUNK):
        yield list(values[start : start + IN_CHUNK])


class TargetIndex:
    def __init__(self, db: Database, targets: str) -> None:
        self._index = db[TARGET_INDEX]
        self._targets = db[targets]

    async def add(self, target_ids: Iterable[str], keys: Iterable[str]) -> None:
        """File the targets under the keys (idempotent: a retry completes a half-done one)."""
        ids = sorted(set(target_ids))
        for key in sorted(keys):
            update = {"$addToSet": {"ids": {"$each": ids}}}
            try:
                await self._index.update_one({"_id": key}, update, upsert=True)
            except DuplicateKeyError:  # another writer created the document first (MongoDB)
                await self._index.update_one({"_id": key}, update)

    async def ids(self, keys: Sequence[str]) -> list[str]:
        """The targets filed under every one of the keys (one `_id` read), sorted."""
        found: dict[str, set[str]] = {}
        async for doc in self._index.find({"_id": {"$in": list(keys)}}):
            found[doc["_id"]] = set(doc.get("ids") or ())
        if not keys or len(found) < len(set(keys)):
            return []  # a key no target was ever filed under
        return sorted(set.intersection(*found.values()))

    async def fill(self) -> int:
        """Once, in a database whose targets were written before the index: file them all (a
        scan of the targets, at startup only). Returns how many targets were filed."""
        if await self._index.find_one({"_id": _FILLED}, {"_id": 1}) is not None:
            return 0
        fields = {"year_from": 1, "year_to": 1, "current_code": 1, "province_code": 1}
        by_key: dict[str, set[str]] = {}
        filed = 0
        async for doc in self._targets.find({}, {**fields, "province_edition": 1}):
            for key in target_keys(doc):
                by_key.setdefault(key, set()).add(str(doc["_id"]))
            filed += 1
        for key, ids in by_key.items():
            await self.add(ids, [key])
        # Last: a crash before it fills again at the next start ($addToSet repeats harmlessly).
        await insert_once(self._index, {"_id": _FILLED})
        return filed
