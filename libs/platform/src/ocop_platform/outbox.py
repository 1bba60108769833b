"""Transactional outbox kept inside the aggregate's own document (works without transactions).

A use case writes the new state and the events it causes in ONE single-document write: the events
go into the document's ``outbox`` array. The relay publishes pending entries (idempotent producer,
acks=all) and only then pulls them out. A crash in between republishes; consumers dedupe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ocop_contracts import Event, topic_of, utc_now
from ocop_platform.mongo import Database, Document

OUTBOX_FIELD = "outbox"
log = logging.getLogger(__name__)


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


class OutboxRelay:
    """Publishes pending outbox entries of the given collections; wakes on notify() or a poll."""

    def __init__(
        self,
        db: Database,
        collections: Sequence[str],
        sink: RecordSink,
        *,
        poll_seconds: float = 0.5,
        batch_size: int = 500,
    ) -> None:
        self._db = db
        self._collections = tuple(collections)
        self._sink = sink
        self._poll_seconds = poll_seconds
        self._batch_size = batch_size
        self._wake = asyncio.Event()
        self.published = 0

    def notify(self) -> None:
        """Called after a write with events, so they go out now instead of at the next poll."""
        self._wake.set()

    async def run_forever(self) -> None:
        while True:
            try:
                while await self.publish_pending():
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:  # keep relaying: the broker or the store may come back
                log.exception("outbox relay pass failed; retrying at the next poll")
            await self._sleep_until_woken()

    async def publish_pending(self) -> int:
        """One sweep over every collection; returns how many events went out."""
        sent = 0
        for name in self._collections:
            sent += await self._publish_collection(name)
        self.published += sent
        return sent

    async def _publish_collection(self, name: str) -> int:
        collection = self._db[name]
        cursor = collection.find({f"{OUTBOX_FIELD}.0": {"$exists": True}}, {OUTBOX_FIELD: 1})
        docs: list[Document] = await cursor.limit(self._batch_size).to_list()
        if not docs:
            return 0
        records = [_record(entry) for doc in docs for entry in doc[OUTBOX_FIELD]]
        await self._sink.send_batch(records)
        # $pullAll of the exact entries read, so entries added meanwhile stay (FerretDB v1 ignores
        # a $pull with a condition). Event ids are unique, so pulling the union is safe.
        read = [entry for doc in docs for entry in doc[OUTBOX_FIELD]]
        await collection.update_many(
            {"_id": {"$in": [doc["_id"] for doc in docs]}}, {"$pullAll": {OUTBOX_FIELD: read}}
        )
        return len(records)

    async def _sleep_until_woken(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=self._poll_seconds)
        self._wake.clear()


def pending_count(doc: dict[str, Any]) -> int:
    return len(doc.get(OUTBOX_FIELD, []))
