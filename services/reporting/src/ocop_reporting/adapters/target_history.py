"""The earlier versions of each target, and the province messages they applied, beside the targets
(`target_history`), so that a target document holds its current version only.

FerretDB v1 decodes every stored document in full before projecting it (reference: infra.md §3.6),
so versions kept inside the target made every report pay for them: the national view decoded
each target of the year with all its versions, though only an as-of report reads them. Here they
are read only by as-of reports and by a province message's duplicate check.

One document per target, ``_id = "target:<target id>"``: ``versions.<n>`` the target as its
version n stood, ``ingested`` the province messages applied by the versions before the current
one (the current version's is on the target, ``source_event_id``). A version is copied here
before the next one replaces it (`keep`). A saved version never changes, so the copy is the same
whoever writes it and however often (a refused save, a retry); and every version before the
current one is here, whatever crashed in between.
"""

from __future__ import annotations

from collections.abc import Sequence

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from ocop_platform.idempotency import insert_once
from ocop_platform.mongo import Database, Document
from ocop_reporting.adapters.target_index import chunks

TARGET_HISTORY = "target_history"
# Fields of a target document that are not the target as it stands (no version keeps them).
NOT_A_VERSION = ("_id", "outbox", "source_event_id", "history", "ingested")
_LEGACY = ("history", "ingested")  # where a target document kept them before the split
# Written once the targets of a database older than this collection are split (see `split`);
# no history document has this `_id` (theirs begin with "target:").
_SPLIT = "split"


def history_id(target_id: str) -> str:
    return f"target:{target_id}"


def version_of(doc: Document) -> Document:
    """The target as a stored target document stands (its current version)."""
    return {k: v for k, v in doc.items() if k not in NOT_A_VERSION}


class TargetHistory:
    def __init__(self, db: Database) -> None:
        self._history = db[TARGET_HISTORY]

    async def keep(self, doc: Document) -> None:
        """Copy a saved target's current version (and the province message that set it) before
        the next version replaces it. A document written before the split also brings its
        `history` and `ingested`."""
        versions = {int(v["version"]): v for v in doc.get("history") or ()}
        versions[int(doc["version"])] = version_of(doc)
        update: Document = {"$set": {f"versions.{n}": v for n, v in versions.items()}}
        ingested = [*(doc.get("ingested") or ()), doc.get("source_event_id")]
        if found := sorted({str(i) for i in ingested if i}):
            update["$addToSet"] = {"ingested": {"$each": found}}
        query = {"_id": history_id(str(doc["_id"]))}
        try:
            await self._history.update_one(query, update, upsert=True)
        except DuplicateKeyError:  # another writer created the document first (MongoDB)
            await self._history.update_one(query, update)

    async def earlier_versions(self, target_ids: Sequence[str]) -> dict[str, list[Document]]:
        """The versions kept of each target, oldest first (`_id` reads, ≤ 500 ids each)."""
        found: dict[str, list[Document]] = {}
        for chunk in chunks([history_id(t) for t in target_ids]):
            async for doc in self._history.find({"_id": {"$in": chunk}}):
                versions = (doc.get("versions") or {}).values()
                found[doc["_id"].removeprefix("target:")] = sorted(
                    versions, key=lambda v: int(v["version"])
                )
        return found

    async def has_ingested(self, target_id: str, source_event_id: str) -> bool:
        """Whether a version before the target's current one applied this province message."""
        query = {"_id": history_id(target_id), "ingested": source_event_id}
        return await self._history.find_one(query, {"_id": 1}) is not None

    async def split(self, targets: AsyncCollection[Document]) -> int:
        """Once, in a database whose targets still hold their versions and province messages:
        copy them here, then take them off the targets (a scan of the targets, at startup
        only). Returns how many targets were split."""
        if await self._history.find_one({"_id": _SPLIT}, {"_id": 1}) is not None:
            return 0
        split = 0
        async for doc in targets.find({}, {"outbox": 0}):
            if "history" not in doc and "ingested" not in doc:
                continue
            await self.keep(doc)
            # Only over the version copied: a save since then took them off itself.
            await targets.update_one(
                {"_id": doc["_id"], "version": doc["version"]},
                {"$unset": dict.fromkeys(_LEGACY, "")},
            )
            split += 1
        # Last: a crash before it splits again at the next start (a copy repeats harmlessly).
        await insert_once(self._history, {"_id": _SPLIT})
        return split
