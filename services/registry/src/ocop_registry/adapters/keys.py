"""Lookups by value answered with ``_id`` reads: a key index kept beside the aggregates.

FerretDB v1 answers only ``_id`` filters (one id, or an ``$in`` of ids with our patch 0003)
from an index; a filter on any other field reads the whole collection. So each value the
registry looks products or producers up by is also a document whose ``_id`` is the value:
``{_id: "code:82-29869-1-2026", e: {"prd-…": "tom kho ca mau"}}`` names the aggregates it leads
to, each with the values filed beside it (a product's folded names, for the near-duplicate
check): ``{_id: "code:…", e: {"prd-…": {"<digest>": "tom kho ca mau"}}}``.

A name key is *crowded* once ``CROWDED_AFTER`` products have been filed under it: it keeps the
products it holds and takes no more (its ``n`` counts the filings). Without the cap, a province
registering a numbered series ("Sản phẩm số 1", "… số 2", …) grows the keys every name shares
with every product, and each registration reads and rewrites all of them: 500 such
registrations took 538 s. A crowded key still leads to the products it holds, so a new name is
compared with them, and with every product sharing one of its other keys; only a product filed
after the cap and sharing nothing but crowded keys with the new name goes unseen. The warning is
advisory (the office looks before certifying), and such a product is one of hundreds alike.
Keys that must be complete (codes, certificates, a producer's products) are never capped.

Written before the aggregate, removed after it: a crash in between, or a save refused, leaves a
key that leads to an aggregate no longer (or never) carrying that value, or an extra value
beside it, never an aggregate missing its key or its current value. Readers therefore load what
a key leads to and check the aggregate itself.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
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
FILINGS = "n"  # how many products were filed under a capped key (never decremented)
CROWDED_AFTER = 50
CAPPED_PREFIX = "name:"
KNOWN_KEYS = 20_000  # key documents a KeyIndex remembers having seen (see KeyIndex)

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
    """Remembers the key documents it has read or written, with their filings: a registration
    reads its name's keys for the near-duplicate check, then files the product under them, so
    the second read is saved when one KeyIndex serves both. Safe as a hint: key documents are
    never deleted and their filings only grow; a key remembered absent that another writer
    inserted meanwhile is a duplicate on insert, handled as before."""

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection
        self._known: OrderedDict[str, int] = OrderedDict()

    async def add(self, entries: Sequence[Entry]) -> None:
        """File each aggregate under its keys, its value beside it (added to those there);
        a crowded key takes no more."""
        wanted = sorted({key for _, keys, _ in entries for key in keys})
        filings = await self._filings(wanted)
        fresh: dict[str, Document] = {}
        for aggregate_id, keys, value in entries:
            for key in keys - filings.keys():
                fresh.setdefault(key, {})[_field(aggregate_id)] = {_digest(value): value}
        filings.update(await self._insert(fresh))
        self._remember({key: len(entries) for key, entries in fresh.items()})
        self._remember({key: filings[key] + 1 for key in filings if _capped(key)})
        by_key: dict[str, Document] = {}
        for aggregate_id, keys, value in entries:
            for key in keys & filings.keys():
                by_key.setdefault(key, {})[_path(aggregate_id, value)] = value
        if len(entries) > 1:  # a batch: each key document rewritten once, whatever its size
            for key, fields in by_key.items():
                await self._file(key, fields, filings[key])
            return
        for aggregate_id, keys, value in entries:
            path = _path(aggregate_id, value)
            capped = {key for key in keys & filings.keys() if _capped(key)}
            await self._update((keys & filings.keys()) - capped, {"$set": {path: value}})
            with_room = sorted(key for key in capped if filings[key] < CROWDED_AFTER)
            await self._update(with_room, _filed({path: value}), _not_crowded())

    async def _file(self, key: str, fields: Document, filed: int) -> None:
        """One key document's share of a batch (as much as a capped key has room for)."""
        if not _capped(key):
            await self._collection.update_one({"_id": key}, {"$set": fields})
            return
        room = CROWDED_AFTER - filed
        if room > 0:
            kept = dict(list(fields.items())[:room])
            await self._collection.update_one({"_id": key, **_not_crowded()}, _filed(kept))

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
                self._remember({document["_id"]: int(document.get(FILINGS, 0))})
                for field, values in document.get(ENTRIES, {}).items():
                    found.setdefault(_aggregate_id(field), set()).update(values.values())
        return found

    def _remember(self, filings: Mapping[str, int]) -> None:
        for key, filed in filings.items():
            self._known[key] = max(filed, self._known.get(key, 0))
            self._known.move_to_end(key)
        while len(self._known) > KNOWN_KEYS:
            self._known.popitem(last=False)

    async def _update(
        self, keys: Collection[str], update: Document, condition: Document | None = None
    ) -> None:
        for chunk in chunks(sorted(keys)):
            await self._collection.update_many({"_id": {"$in": chunk}, **(condition or {})}, update)

    async def _filings(self, keys: Sequence[str]) -> dict[str, int]:
        """The stored keys among these, each with the products filed under it (0 if uncounted:
        an uncapped key, or one from before the cap)."""
        found = {key: self._known[key] for key in keys if key in self._known}
        for chunk in chunks([key for key in keys if key not in found]):
            cursor = self._collection.find({"_id": {"$in": chunk}}, {FILINGS: 1})
            read = {d["_id"]: int(d.get(FILINGS, 0)) async for d in cursor}
            self._remember(read)
            found.update(read)
        return found

    async def _insert(self, fresh: Mapping[str, Document]) -> dict[str, int]:
        """Insert new key documents (a capped one with at most ``CROWDED_AFTER`` products);
        returns those another writer inserted first, as unknown filings (0: the conditional
        update that follows still refuses a crowded one)."""
        if not fresh:
            return {}
        documents = [_key_document(key, entries) for key, entries in fresh.items()]
        try:
            await self._collection.insert_many(documents, ordered=False)
        except BulkWriteError as error:
            failures = error.details.get("writeErrors", [])
            if any(failure.get("code") != DUPLICATE_KEY for failure in failures):
                raise
            return {documents[failure["index"]]["_id"]: 0 for failure in failures}
        return {}


def _capped(key: str) -> bool:
    return key.startswith(CAPPED_PREFIX)


def _not_crowded() -> Document:
    # Also matches a key document from before the cap (it has no count).
    return {FILINGS: {"$not": {"$gte": CROWDED_AFTER}}}


def _filed(fields: Document) -> Document:
    return {"$set": fields, "$inc": {FILINGS: len(fields)}}


def _key_document(key: str, entries: Document) -> Document:
    if not _capped(key):
        return {"_id": key, ENTRIES: entries}
    kept = dict(list(entries.items())[:CROWDED_AFTER])
    return {"_id": key, ENTRIES: kept, FILINGS: len(kept)}


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
