"""Summary writes held and written together: the rebuild's summaries, and a live consumer
batch's.

On FerretDB each update of a summary decodes and re-encodes its whole document, and a
province-year's document grows with every rating: one update per event was the larger half of
the rebuild's time, and most of the live consumers' store time. So the rebuild holds the writes
of a batch of records, and a live consumer batch those of its events (MongoProjections.batch,
flushed before the batch's offsets are committed), per document, and `flush` writes each
document once: the marks as one `$addToSet` with `$each`, the certificates' and units' fields as
one `$set`, the producers' states and `joined` marks as one `$set` guarded by each one's version.

The same operations as one by one, so the same documents: `$addToSet` and `$set` of distinct
fields do not depend on their order, and of one producer only the newest version held is
written (the guarded write keeps the newest anyway). A certificate document's revision goes up by
the number of writes held, and it is recounted once at `flush` from what it then holds: its
counts are those of the same revision as live (withdrawals are not held: written at once). The
marks documents' revisions go up the same way, and each is packed once at `flush`
(domain.summaries.pack). A producer leaving a document (`remove_producer`) first writes what is
held, so it leaves after its older state was put there. Held writes are lost with the process;
a rebuild that stops is run again (it drops the read models first), and a live batch that does
not flush is not committed: Kafka redelivers it after an outage, or the consumer applies it again
one event at a time with nothing held after any other error (ocop_platform.consumer), and its
writers make the summary writes again (on every delivery): nothing depends on them before
`flush`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pymongo.errors import DuplicateKeyError

from ocop_platform.mongo import Database, Document
from ocop_reporting.adapters.summaries import SummaryStore, old_unit_unknown_id
from ocop_reporting.domain.summaries import (
    CERTIFIED_PREFIX,
    REVISION,
    GuardedSet,
    certified_id,
    is_marks_id,
    marks_by_document,
    producer_writes,
    summary_of,
    unit_fields,
)


@dataclass
class _Held:
    """What the writes held for one summary document add up to."""

    sets: dict[str, Any] = field(default_factory=dict)
    marks: dict[str, set[str]] = field(default_factory=dict)
    # Fields set only over a version not newer (a producer's state or `joined` mark): the newest.
    guarded: dict[str, GuardedSet] = field(default_factory=dict)
    # A certificate or marks document's writes held: its revision goes up by as many, as one
    # by one.
    writes: int = 0

    def hold(self, write: GuardedSet) -> None:
        held = self.guarded.get(write.field)
        if held is None or held.version <= write.version:
            self.guarded[write.field] = write

    def update(self) -> Document:
        update: Document = {}
        sets = self.sets | {name: w.value for name, w in self.guarded.items()}
        if sets:
            update["$set"] = sets
        if self.marks:
            update["$addToSet"] = {f: {"$each": sorted(v)} for f, v in self.marks.items()}
        if self.writes:
            update["$inc"] = {REVISION: self.writes}
        return update

    def guard(self) -> Document:
        """Each guarded field only over a version not newer (as SummaryStore.put_producer)."""
        return {w.guard: {"$not": {"$gt": w.version}} for w in self.guarded.values()}


class DeferredSummaryStore(SummaryStore):
    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self._held: dict[str, _Held] = {}

    def _of(self, summary: str) -> _Held:
        return self._held.setdefault(summary, _Held())

    async def add_marks(self, fact: Document, marks: dict[str, str]) -> None:
        for summary, some in marks_by_document(summary_of(fact), marks).items():
            held = self._of(summary)
            held.sets |= unit_fields(fact)
            held.writes += is_marks_id(summary)
            for name, value in some.items():
                held.marks.setdefault(name, set()).add(value)

    async def put_producer(self, fact: Document) -> None:
        for write in producer_writes(fact):
            held = self._of(write.doc)
            held.sets |= unit_fields(fact)
            held.writes += is_marks_id(write.doc)
            held.hold(write)

    async def note_old_unit_unknown(self, current_code: str, fact: str) -> None:
        held = self._of(old_unit_unknown_id(current_code))
        held.sets["current_code"] = current_code
        held.marks.setdefault("facts", set()).add(fact)

    async def remove_producer(self, fact: Document, newer_version: int) -> None:
        await self.flush()  # its older state, if held, goes in first and then out
        await super().remove_producer(fact, newer_version)

    async def _certified(self, current_code: str, product_id: str, fields: Document) -> None:
        held = self._of(certified_id(current_code, product_id))
        held.sets |= {"current_code": current_code, **fields}  # counted at `flush`
        held.writes += 1

    async def flush(self) -> None:
        """Write every document held, once each."""
        held, self._held = self._held, {}
        for summary, writes in held.items():
            await self._write(summary, writes)
        # The certificate documents written: their counts once each, from what they hold now;
        # the marks documents written: packed once each, the same way.
        await self.count_certified(i for i in held if i.startswith(CERTIFIED_PREFIX))
        await self.pack_marks(held)

    async def _write(self, summary: str, held: _Held) -> None:
        try:
            await self._collection().update_one(
                {"_id": summary, **held.guard()}, held.update(), upsert=True
            )
        except DuplicateKeyError:
            # The document holds a newer version of one of the producers (a live service
            # beside the rebuild): the rest together, then each guarded field by its own guard.
            rest = _Held(sets=held.sets, marks=held.marks, writes=held.writes)
            await self._collection().update_one({"_id": summary}, rest.update(), upsert=True)
            for write in held.guarded.values():
                await self._put_guarded(write, {})
