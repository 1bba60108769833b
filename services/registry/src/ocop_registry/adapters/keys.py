"""Lookups by value answered with ``_id`` reads: a key index kept beside the aggregates.

FerretDB v1 answers only ``_id`` filters (one id, or an ``$in`` of ids with our patch 0003)
from an index; a filter on any other field reads the whole collection. So each value the
registry looks products or producers up by is also a document whose ``_id`` is the value:
``{_id: "code:82-29869-1-2026", e: {"prd-…": "tom kho ca mau"}}`` names the aggregates it leads
to, each with the values filed beside it (a product's folded names, for the near-duplicate
check): ``{_id: "code:…", e: {"prd-…": {"<digest>": "tom kho ca mau"}}}``.

Written before the aggregate, removed after it: a crash in between, or a save refused, leaves a
key that leads to an aggregate no longer (or never) carrying that value, or an extra value
beside it, never an aggregate missing its key or its current value. Readers therefore load what
a key leads to and check the aggregate itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from ocop_platform.mongo import Document
from ocop_registry.domain.duplicates import index_keys
from ocop_registry.domain.model import ProductStatus

IN_CHUNK = 500  # FerretDB patch 0003 pushes an _id $in of at most 500 down to the index
DUPLICATE_KEY = 11000
ENTRIES = "e"

Entry = tuple[str, set[str], Any]  # an aggregate id, its keys, the value kept beside the id


def chunks(values: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), IN_CHUNK):
        yield list(values[start : start + IN_CHUNK])


def _field(aggregate_id: str) -> str:
    """An aggregate id as a field name (no dots, no leading $)."""
    return aggregate_id.replace("%", "%25").replace(".", "%2E").replace("$", "%24")


def _aggregate_id(field: str) -> str:
    return field.replace("%24", "$").replace("%2E", ".").replace("%25", "%")


def _digest(value: Any) -> str:
    return hashlib.sha1(repr(value).encode()).hexdigest()[:12]


def _path(aggregate_id: str, value: Any) -> str:
    return f"{ENTRIES}.{_field(aggregate_id)}.{_digest(value)}"


class KeyIndex:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def add(self, entries: Sequence[Entry]) -> None:
        """File each aggregate under its keys, its value beside it (added to those there)."""
        wanted = sorted({key for _, keys, _ in entries for key in keys})
        existing = await self._existing(wanted)
        fresh: dict[str, Document] = {}
        for aggregate_id, keys, value in entries:
            for key in keys - existing:
                fresh.setdefault(key, {})[_field(aggregate_id)] = {_digest(value): value}
        existing |= await self._insert(fresh)
        by_key: dict[str, Document] = {}
        for aggregate_id, keys, value in entries:
            for key in keys & existing:
                by_key.setdefault(key, {})[_path(aggregate_id, value)] = value
        if len(entries) > 1:  # a batch: each key document rewritten once, whatever its size
            for key, fields in by_key.items():
                await self._collection.update_one({"_id": key}, {"$set": fields})
            return
        for aggregate_id, keys, value in entries:
            update = {"$set": {_path(aggregate_id, value): value}}
            await self._update(keys & existing, update)

    async def remove(self, aggregate_id: str, keys: Collection[str]) -> None:
        """The aggregate no longer has these keys."""
        await self._update(keys, {"$unset": {f"{ENTRIES}.{_field(aggregate_id)}": ""}})

    async def forget(self, aggregate_id: str, keys: Collection[str], value: Any) -> None:
        """The aggregate keeps these keys, no longer with this value."""
        await self._update(keys, {"$unset": {_path(aggregate_id, value): ""}})

    async def lookup(self, keys: Iterable[str]) -> dict[str, set[Any]]:
        """The aggregates the keys lead to, each with the values filed beside it."""
        found: dict[str, set[Any]] = {}
        for chunk in chunks(sorted(set(keys))):
            async for document in self._collection.find({"_id": {"$in": chunk}}):
                for field, values in document.get(ENTRIES, {}).items():
                    found.setdefault(_aggregate_id(field), set()).update(values.values())
        return found

    async def _update(self, keys: Collection[str], update: Document) -> None:
        for chunk in chunks(sorted(keys)):
            await self._collection.update_many({"_id": {"$in": chunk}}, update)

    async def _existing(self, keys: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in chunks(keys):
            cursor = self._collection.find({"_id": {"$in": chunk}}, {"_id": 1})
            found.update([document["_id"] async for document in cursor])
        return found

    async def _insert(self, fresh: Mapping[str, Document]) -> set[str]:
        """Insert new key documents; returns those another writer inserted first."""
        if not fresh:
            return set()
        documents = [{"_id": key, ENTRIES: entries} for key, entries in fresh.items()]
        try:
            await self._collection.insert_many(documents, ordered=False)
        except BulkWriteError as error:
            failures = error.details.get("writeErrors", [])
            if any(failure.get("code") != DUPLICATE_KEY for failure in failures):
                raise
            return {documents[failure["index"]]["_id"] for failure in failures}
        return set()


# --- what products and producers are filed under -------------------------------------------------

PRODUCT_FIELDS = {
    "code_key": 1,
    "legacy_product_code": 1,
    "certificate.certificate_id": 1,
    "declared_certificate.certificate_id": 1,
    "entity_id": 1,
    "province_code": 1,
    "name_fold": 1,
    "status": 1,
}


CERTIFICATES = ("certificate", "declared_certificate")


def code_key(value: str) -> str:
    return f"code:{value}"


def legacy_key(value: str) -> str:
    return f"legacy:{value}"


def certificate_key(value: str) -> str:
    return f"cert:{value}"


def producer_key(entity_id: str) -> str:
    return f"entity:{entity_id}"


def name_key(province_code: str, key: str) -> str:
    return f"name:{province_code}:{key}"


def registration_key(value: str) -> str:
    return f"registration:{value}"


def product_keys(document: Mapping[str, Any]) -> set[str]:
    """The keys of a product's stored document (its projection on PRODUCT_FIELDS is enough)."""
    keys = {code_key(document["code_key"]), producer_key(document["entity_id"])}
    if legacy := document.get("legacy_product_code"):
        keys.add(legacy_key(legacy))
    for held in CERTIFICATES:  # its certificate, or one a register row declared
        if certificate_id := (document.get(held) or {}).get("certificate_id"):
            keys.add(certificate_key(certificate_id))
    if document.get("status") != ProductStatus.WITHDRAWN.value:  # withdrawn: never a duplicate
        province = document["province_code"]
        keys.update(name_key(province, key) for key in index_keys(document["name_fold"]))
    return keys


def producer_keys(document: Mapping[str, Any]) -> set[str]:
    key = document.get("registration_key")
    return {registration_key(key)} if key else set()
