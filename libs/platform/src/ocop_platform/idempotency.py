"""Idempotent effects on the document store, without multi-document transactions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

from ocop_platform.mongo import Document

DUPLICATE_KEY = 11000


async def apply_if_newer(
    collection: AsyncCollection[Document],
    aggregate_id: str,
    version: int,
    fields: Document,
    *,
    version_field: str = "version",
    on_insert: Document | None = None,
) -> bool:
    """Upsert ``fields`` only if ``version`` is newer than the stored one. False: stale/repeat.

    ``on_insert`` fields are written only when the document is created (same single write).
    """
    update: Document = {"$set": {**fields, version_field: version}}
    if on_insert:
        update["$setOnInsert"] = on_insert
    try:
        await collection.update_one(
            {"_id": aggregate_id, version_field: {"$lt": version}}, update, upsert=True
        )
    except DuplicateKeyError:
        return False  # the document exists with this version or a newer one
    return True


async def insert_once(collection: AsyncCollection[Document], document: Document) -> bool:
    """Insert keyed by ``_id``; a repeat is a no-op. False when it was already there."""
    try:
        await collection.insert_one(document)
    except DuplicateKeyError:
        return False
    return True


async def insert_many_once(
    collection: AsyncCollection[Document], documents: Sequence[Document]
) -> set[Any]:
    """Insert each document keyed by ``_id`` (distinct) in one unordered write; a repeat is a
    no-op. The ``_id`` of those inserted now (the others were there already)."""
    if not documents:  # insert_many refuses an empty list
        return set()
    ids = {document["_id"] for document in documents}
    try:
        await collection.insert_many(list(documents), ordered=False)
    except BulkWriteError as exc:
        failures = exc.details.get("writeErrors", [])
        if any(failure.get("code") != DUPLICATE_KEY for failure in failures):
            raise
        return ids - {documents[failure["index"]]["_id"] for failure in failures}
    return ids


class Inbox:
    """Processed-message record keyed by (consumer, event_id), for effects that are not naturally
    idempotent (e.g. a webhook call): check before, mark after."""

    def __init__(self, collection: AsyncCollection[Document], consumer: str) -> None:
        self._collection = collection
        self._consumer = consumer

    def _key(self, event_id: Any) -> str:
        return f"{self._consumer}:{event_id}"

    async def seen(self, event_id: Any) -> bool:
        return await self._collection.find_one({"_id": self._key(event_id)}, {"_id": 1}) is not None

    async def mark(self, event_id: Any) -> bool:
        return await insert_once(self._collection, {"_id": self._key(event_id)})
