"""Transactional outbox kept inside the aggregate's own document (works without transactions).

A use case writes the new state and the events it causes in ONE single-document write: the events
go into the document's ``outbox`` array. Right after that write, a small marker is inserted into
the ``outbox_pending`` collection (``_id`` = "<collection>/<aggregate _id>", insert-or-ignore),
and the relay drains the markers: it loads the marked aggregates by ``_id`` (the one lookup every
store indexes, FerretDB v1 included), publishes their entries (idempotent producer, acks=all) and
only then pulls them out. A crash in between republishes; consumers dedupe.

Writes go through :func:`insert_with_events`, :func:`update_with_events` and
:func:`insert_many_with_events`, which write the marker themselves, so no write path can forget
it. A crash between the aggregate's write and its marker's leaves events without a marker: the
relay's full sweep (every ``sweep_seconds`` and once at start-up) is the safety net for that
window. Why no event is lost is argued in :meth:`OutboxRelay.drain_marked`.

A consumer applying a batch of messages writes the markers of the whole batch at once, after its
last write (:func:`markers_deferred`): one insert and one relay pass per batch instead of one per
message. The order (markers after the writes) is kept; a crash before the batch's markers are
written leaves the same window as above, and the start-up sweep covers it.

A collection whose documents exist only to carry events, written once with their whole outbox
and never updated (promotion's ``feed_outbox``), can be given to the relay as write-once: its
published documents are deleted, all of a pass's with one delete, instead of each getting its
own ``$pullAll`` statement (on FerretDB v1 a SQLite transaction and a re-encoding per document).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError
from pymongo.results import UpdateResult

from ocop_contracts import Event, topic_of, utc_now
from ocop_platform.background import BackgroundTask, Wakeup, supervise
from ocop_platform.mongo import Database, Document

OUTBOX_FIELD = "outbox"
PENDING_COLLECTION = "outbox_pending"
DUPLICATE_KEY = 11000
# A failed sweep is tried again this soon (not at every poll: a sweep reads whole collections).
SWEEP_RETRY_SECONDS = 5.0
# Statements per update command of the relay's pulls: one command holds a service's only
# FerretDB connection while it runs, and 500 of them would keep its HTTP requests waiting for
# seconds (past their deadline).
PULLS_PER_COMMAND = 20
# Ids per delete of published write-once documents: the patched FerretDB reads a lone
# {"_id": {"$in": …}} of at most 500 ids from the _id index (patch 0003), a longer one scans.
DELETES_PER_COMMAND = 500
log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class _Deferred:
    """Markers (by collection) and relay wake-ups held until the end of a consumer's batch."""

    markers: dict[str, dict[Any, None]] = field(default_factory=dict)
    wakeups: dict[Callable[[], None], None] = field(default_factory=dict)
    collections: dict[str, AsyncCollection[Document]] = field(default_factory=dict)
    # False once the scope has ended: a task started inside it that writes later (its context
    # still names this object) then marks at once instead of into a list nobody writes.
    open: bool = True


_deferred: ContextVar[_Deferred | None] = ContextVar("outbox_deferred", default=None)


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    event_id: str
    topic: str
    key: str
    type: str
    value: bytes
    correlation_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"event-type": self.type, "event-id": self.event_id}


def outbox_entries(events: Sequence[Event]) -> list[Document]:
    """The documents to store in an aggregate's outbox, in emission order."""
    return [
        {
            "event_id": str(event.event_id),
            "topic": topic_of(event),
            "key": event.aggregate_id,
            "type": event.type,
            # The exact bytes to publish, so nothing is lost converting to and from BSON.
            "value": event.model_dump_json(),
            "correlation_id": str(event.correlation_id),
            "enqueued_at": utc_now(),
        }
        for event in events
    ]


def push_outbox(update: Document, events: Sequence[Event]) -> Document:
    """Add ``$push`` of the events to a MongoDB update document (returns a new document)."""
    if not events:
        return update
    pushes = {**update.get("$push", {}), OUTBOX_FIELD: {"$each": outbox_entries(events)}}
    return {**update, "$push": pushes}


# --- writing: the aggregate with its events, then its pending marker ----------------------------


def pending_marker(collection: str, aggregate_id: Any) -> Document:
    return {
        "_id": f"{collection}/{aggregate_id}",
        "collection": collection,
        "aggregate_id": aggregate_id,
        "marked_at": utc_now(),
    }


async def mark_pending(collection: AsyncCollection[Document], aggregate_ids: Iterable[Any]) -> None:
    """Record that these aggregates of ``collection`` hold outbox entries (insert-or-ignore).

    Call it only AFTER the write that added the entries: the relay's argument relies on that order.
    Inside :func:`markers_deferred` they are written when it ends (still after the write).
    """
    deferred = _deferred.get()
    if deferred is not None and deferred.open:
        deferred.collections[collection.name] = collection
        deferred.markers.setdefault(collection.name, {}).update(dict.fromkeys(aggregate_ids))
        return
    markers = [pending_marker(collection.name, i) for i in dict.fromkeys(aggregate_ids)]
    await _insert_ignoring_duplicates(collection.database[PENDING_COLLECTION], markers)


def events_written(wake: Callable[[], None]) -> None:
    """Call ``wake`` (a relay's notify()) now, or when :func:`markers_deferred` has written the
    markers: woken before them, the relay would find nothing and then sleep until its poll."""
    deferred = _deferred.get()
    if deferred is None or not deferred.open:
        wake()
    else:
        deferred.wakeups[wake] = None


@contextlib.asynccontextmanager
async def markers_deferred() -> AsyncIterator[None]:
    """Hold the pending markers of the writes made inside (this task and the tasks it starts)
    and write them in one insert per collection at the end, then wake the relays. When the body
    raised, they are written all the same and its error propagates; when only the markers'
    write fails, that error propagates (a consumer then commits nothing). Markers that could
    not be written leave their events to the relay's sweep (late, never lost), as for a writer
    that died between its two writes."""
    outer = _deferred.get()
    if outer is not None and outer.open:  # nested: the outer scope writes them
        yield
        return
    deferred = _Deferred()
    token = _deferred.set(deferred)
    try:
        yield
    except BaseException:
        _close(deferred, token)
        try:
            await asyncio.shield(_write_deferred(deferred))
        except Exception:
            log.warning("could not write the outbox markers of a failed batch; the sweep will")
        raise
    _close(deferred, token)
    await asyncio.shield(_write_deferred(deferred))


def _close(deferred: _Deferred, token: Token[_Deferred | None]) -> None:
    _deferred.reset(token)
    deferred.open = False


async def _write_deferred(deferred: _Deferred) -> None:
    try:
        for name, ids in deferred.markers.items():
            await mark_pending(deferred.collections[name], ids)
    finally:  # wake the relays even so: what was marked goes out now
        for wake in deferred.wakeups:
            wake()


async def insert_with_events(
    collection: AsyncCollection[Document], doc: Document, events: Sequence[Event]
) -> None:
    """Insert an aggregate with its events in its outbox, then mark it pending."""
    stored = {**doc, OUTBOX_FIELD: outbox_entries(events)}
    marked = [doc["_id"]] if events else []
    await _write_then_mark(collection.insert_one(stored), collection, lambda _: marked)


async def update_with_events(
    collection: AsyncCollection[Document],
    query: Document,
    update: Document,
    events: Sequence[Event],
) -> UpdateResult:
    """``update_one(query, update)`` that also pushes the events; marks the aggregate
    (``query["_id"]``) pending when the update changed it."""

    def changed(result: UpdateResult) -> list[Any]:
        return [query["_id"]] if events and result.modified_count else []

    write = collection.update_one(query, push_outbox(update, events))
    return await _write_then_mark(write, collection, changed)


async def insert_many_with_events(
    collection: AsyncCollection[Document], docs: Sequence[Document]
) -> None:
    """Bulk insert (unordered) of documents that already hold their ``outbox`` entries, then
    one bulk insert of the markers of those that have some. Markers are written even when some
    inserts failed: a marker of a document that holds nothing costs the relay one lookup."""
    pending = [doc["_id"] for doc in docs if doc.get(OUTBOX_FIELD)]
    try:
        await collection.insert_many(list(docs), ordered=False)
    finally:
        await asyncio.shield(mark_pending(collection, pending))


async def _write_then_mark(
    write: Awaitable[T],
    collection: AsyncCollection[Document],
    marked: Callable[[T], list[Any]],
) -> T:
    async def both() -> T:
        result = await write
        await mark_pending(collection, marked(result))
        return result

    # Shielded, so a cancelled caller (a request deadline) cannot stop between the two writes.
    return await asyncio.shield(both())


async def _insert_ignoring_duplicates(
    collection: AsyncCollection[Document], docs: Sequence[Document]
) -> None:
    if len(docs) == 1:
        with contextlib.suppress(DuplicateKeyError):
            await collection.insert_one(docs[0])
    elif docs:
        try:
            await collection.insert_many(list(docs), ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(error.get("code") != DUPLICATE_KEY for error in errors):
                raise


# --- relaying -----------------------------------------------------------------------------------


def _record(entry: Document) -> OutboxRecord:
    return OutboxRecord(
        event_id=entry["event_id"],
        topic=entry["topic"],
        key=entry["key"],
        type=entry["type"],
        value=entry["value"].encode(),
        correlation_id=entry.get("correlation_id", ""),
    )


class RecordSink(Protocol):
    async def send_batch(self, records: Sequence[OutboxRecord]) -> None:
        """Return only when every record is acknowledged by the broker, in order per key."""


@dataclass(frozen=True, slots=True)
class _Pending:
    """An aggregate's outbox entries as read, and the collection it lives in."""

    collection: str
    aggregate_id: Any
    entries: list[Document]


class OutboxRelay:
    """Publishes pending outbox entries: the marked aggregates at every pass (woken by notify()
    or every ``poll_seconds``), and every aggregate of ``collections`` in a full sweep once at
    start-up and then every ``sweep_seconds`` (the safety net for an unmarked write).

    ``write_once``: those of ``collections`` whose documents are inserted with all their entries
    and never updated; their published documents are deleted instead of pulled. Nothing may add
    an entry to such a document after its insert: one added between the relay's read and its
    delete would be lost."""

    def __init__(
        self,
        db: Database,
        collections: Sequence[str],
        sink: RecordSink,
        *,
        poll_seconds: float = 0.5,
        batch_size: int = 500,
        sweep_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        write_once: Sequence[str] = (),
    ) -> None:
        if unknown := set(write_once) - set(collections):
            raise ValueError(f"write-once collections not relayed: {sorted(unknown)}")
        self._db = db
        self._collections = tuple(collections)
        self._write_once = frozenset(write_once)
        self._sink = sink
        self._poll_seconds = poll_seconds
        self._batch_size = batch_size
        self._sweep_seconds = sweep_seconds
        self._clock = clock
        self._next_sweep = clock()  # the first pass sweeps: a crash may have left unmarked events
        self.wakeup = Wakeup()
        self.published = 0
        self.swept = 0  # events that only the sweep found (a crash, or a write without a marker)
        # The last pass read fewer markers than a batch: none were left when it read them.
        self._drained = False

    def notify(self) -> None:
        """Called after a write with events, so they go out now instead of at the next poll."""
        self.wakeup.set()

    def background_task(self) -> BackgroundTask:
        """Publish everything pending, then again at every notify() or every ``poll_seconds``."""
        return BackgroundTask(
            "outbox-relay", self.publish_all_pending, self._poll_seconds, wakeup=self.wakeup
        )

    async def run_forever(self) -> None:
        await supervise(self.background_task())

    async def publish_all_pending(self) -> int:
        """Passes until one finds nothing left, or read every marker there was (a marker
        written after that read comes with a wake-up, which the background task keeps for
        its next run, or waits for the next poll); returns how many entries went out. Not
        reading the empty marker collection once more saves a read per wake-up: one per
        consumer batch."""
        sent = 0
        while published := await self.publish_pending():
            sent += published
            if self._drained:
                break
        return sent

    async def publish_pending(self) -> int:
        """One pass: the full sweep when it is due, then one batch of marked aggregates."""
        sent = await self.sweep() if self._clock() >= self._next_sweep else 0
        return sent + await self.drain_marked()

    async def drain_marked(self) -> int:
        """Publish the entries of up to ``batch_size`` marked aggregates; returns how many.

        Why no entry is lost. The markers are deleted BEFORE their aggregates are read, and a
        writer inserts its marker only AFTER its aggregate write. Take an entry E that a writer
        adds to aggregate A while this pass handles A's marker:
        - E written before this pass reads A: the read sees E, so E is published and pulled here;
        - E written after that read: E's write, and so its marker insert, come after the marker
          deletion (which precedes the read), so A is marked again and the next pass takes E.
        Deleting the markers after publishing instead would lose E in the second case (its
        insert-or-ignore would find the old marker, which the pass then deletes). If the pass
        fails after the deletion, the markers are put back; if even that fails (the store is
        down), the next pass sweeps. If the process dies in between, the start-up sweep finds
        the entries, as it finds those of a writer that died between its two writes.
        """
        pending = self._db[PENDING_COLLECTION]
        markers = await pending.find({}).limit(self._batch_size).to_list()
        self._drained = len(markers) < self._batch_size
        if not markers:
            return 0
        await pending.delete_many({"_id": {"$in": [marker["_id"] for marker in markers]}})
        try:
            return await self._publish_and_pull(await self._load_marked(markers))
        except BaseException:
            await self._restore_markers(markers)
            raise

    async def sweep(self) -> int:
        """Publish every pending entry of every collection, reading them whole (slow on a big
        collection: it runs once at start-up and every ``sweep_seconds``)."""
        self._next_sweep = self._clock() + min(SWEEP_RETRY_SECONDS, self._sweep_seconds)
        sent = 0
        for name in self._collections:
            while found := await self._unmarked_batch(name):
                sent += await self._publish_and_pull(found)
        self._next_sweep = self._clock() + self._sweep_seconds
        if sent:
            log.info("outbox sweep published %d events found without a pending marker", sent)
        self.swept += sent
        return sent

    async def _load_marked(self, markers: Sequence[Document]) -> list[_Pending]:
        """The marked aggregates, in the markers' order: one ``{"_id": {"$in": …}}`` read per
        collection (the patched FerretDB answers it from the _id index; batch_size bounds it)."""
        wanted: dict[str, list[Any]] = {}
        for marker in markers:
            wanted.setdefault(marker["collection"], []).append(marker["aggregate_id"])
        outboxes: dict[tuple[str, Any], list[Document]] = {}
        for collection, ids in wanted.items():
            cursor = self._db[collection].find({"_id": {"$in": ids}}, {OUTBOX_FIELD: 1})
            for doc in await cursor.to_list():
                if doc.get(OUTBOX_FIELD):
                    outboxes[(collection, doc["_id"])] = doc[OUTBOX_FIELD]
        return [
            _Pending(m["collection"], m["aggregate_id"], outboxes[key])
            for m in markers
            if (key := (m["collection"], m["aggregate_id"])) in outboxes
        ]

    async def _unmarked_batch(self, name: str) -> list[_Pending]:
        cursor = self._db[name].find({f"{OUTBOX_FIELD}.0": {"$exists": True}}, {OUTBOX_FIELD: 1})
        docs: list[Document] = await cursor.limit(self._batch_size).to_list()
        return [_Pending(name, doc["_id"], doc[OUTBOX_FIELD]) for doc in docs]

    async def _publish_and_pull(self, pending: Sequence[_Pending]) -> int:
        records = [_record(entry) for item in pending for entry in item.entries]
        if not records:
            return 0
        await self._sink.send_batch(records)
        by_collection: dict[str, list[_Pending]] = {}
        for item in pending:
            by_collection.setdefault(item.collection, []).append(item)
        for collection, items in by_collection.items():
            if collection in self._write_once:
                await self._delete(collection, items)
            else:
                await self._pull(collection, items)
        self.published += len(records)
        return len(records)

    async def _pull(self, collection: str, items: Sequence[_Pending]) -> None:
        """Take the published entries out: $pullAll of the exact entries read, so entries added
        meanwhile stay (FerretDB v1 ignores a $pull with a condition), by a plain {"_id": …}
        filter (indexed). One update command of a statement per aggregate: one round trip per
        pass, not one per aggregate (FerretDB v1 hangs on a collection's bulk_write; the plain
        command works)."""
        for start in range(0, len(items), PULLS_PER_COMMAND):
            updates = [
                {"q": {"_id": i.aggregate_id}, "u": {"$pullAll": {OUTBOX_FIELD: i.entries}}}
                for i in items[start : start + PULLS_PER_COMMAND]
            ]
            result = await self._db.command("update", collection, updates=updates, ordered=False)
            if result.get("writeErrors"):  # the command reports them instead of raising
                raise RuntimeError(f"outbox pull in {collection} failed: {result['writeErrors']}")

    async def _delete(self, collection: str, items: Sequence[_Pending]) -> None:
        """Delete published write-once documents: every entry they will ever hold was read and
        has just been published, so nothing is lost (a redelivered write that inserts one again
        publishes its entries again, under the same event ids: consumers dedupe). One statement
        per command, where pulls take one per document."""
        ids = [item.aggregate_id for item in items]
        for start in range(0, len(ids), DELETES_PER_COMMAND):
            chunk = ids[start : start + DELETES_PER_COMMAND]
            await self._db[collection].delete_many({"_id": {"$in": chunk}})

    async def _restore_markers(self, markers: Sequence[Document]) -> None:
        try:
            await _insert_ignoring_duplicates(self._db[PENDING_COLLECTION], markers)
        except Exception:
            log.warning("could not restore %d outbox markers; sweeping next", len(markers))
            self._next_sweep = self._clock()


def pending_count(doc: dict[str, Any]) -> int:
    return len(doc.get(OUTBOX_FIELD, []))
