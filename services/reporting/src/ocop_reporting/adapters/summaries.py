"""The summaries in the store: one collection for the whole country (`summaries`), up to three
documents per unit and year (its marks, its rating ids, its producers: domain.summaries) plus the
certificate documents of each current province, written idempotently beside the facts and read by
`_id` — a province's progress or the national view is one `_id: {$in: [...]}` read, the one
filter FerretDB v1 answers without scanning, of only the kinds its figures need: FerretDB decodes
every document it returns whole, so the national view and new producers' targets read the marks
alone (a producer's `joined` mark there), not its rating ids or producers' states. The marks
document is read with every kind: written before the split, it holds them all.

Every write is a repeatable single-document update: marks go in with `$addToSet`, a producer's
state, its `joined` mark or a product's withdrawal with `$set` guarded by its version, a
certificate's fields with `$set`. So the fact writers call them on every delivery, not only when the
fact was new: a redelivery after a crash between the fact and its summary completes the summary, and
a plain redelivery changes nothing. That is also what lets a consumer batch hold its summary writes
until its end (adapters/deferred_summaries.py): a batch whose end fails is redelivered on an outage,
and otherwise applied again one event at a time with nothing held (ocop_platform.consumer).

Monitoring's count of facts recorded without their old unit is one `old_unit_unknown:<cc>`
document per current province (the facts' ids, `$addToSet`), so /metrics reads 34 ids instead of
scanning every fact collection; a database written before is noted once at start-up.

A write to a certificate document also increments its revision (`rev`, in the same update), then
recounts it into its province's `certified_counts:` document (domain.certified_counts), never
written over counts of a newer revision: of two recounts of one document in flight at once, the
newer stays. A write to a unit-year's marks document does the same with its packed copy
(`packed:<edition>:<unit>:<year>`, domain.summaries.pack), which the national view and
whole-province targets read instead of the marks: one compressed string each.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from ocop_contracts.reference import current_provinces
from ocop_platform.mongo import Database, Document
from ocop_reporting.domain.certified_counts import counts_entry, counts_id, is_counted
from ocop_reporting.domain.summaries import (
    REVISION,
    GuardedSet,
    bucket_of,
    certificate_end,
    certificate_issue,
    certified_id,
    certified_ids,
    is_marks_id,
    is_packed,
    kind_ids,
    marks_by_document,
    pack,
    packed_id,
    producer_places,
    producer_writes,
    summary_id,
    summary_of,
    unit_fields,
    unpack,
    withdrawal_entry,
    withdrawal_field,
)
from ocop_reporting.domain.units import Unit, merged_from

SUMMARIES = "summaries"
# No producer was recorded on the platform before this year (its facts' day is the day its
# event was recorded, not a day of the past).
FIRST_PRODUCER_YEAR = 2000
# Per current province, the facts recorded without their old unit (`old_unit_unknown`).
OLD_UNIT_UNKNOWN_PREFIX = "old_unit_unknown:"
OLD_UNITS_NOTED = "old_unit_unknown"  # present once the facts flagged before were noted
MARKS_PACKED = "marks_packed"  # present once the marks documents written before were packed
# FerretDB reads an `_id: {$in: [...]}` of at most 500 ids by index (patch 0003), more by a scan.
ID_BATCH = 500


class SummaryStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def _collection(self) -> AsyncCollection[Document]:
        return self._db[SUMMARIES]

    async def add_marks(self, fact: Document, marks: dict[str, str]) -> None:
        """The marks in the fact's marks document, its rating id in the rating ids' beside."""
        for summary, some in marks_by_document(summary_of(fact), marks).items():
            await self._collection().update_one(
                {"_id": summary},
                {"$set": unit_fields(fact), "$addToSet": some, **_revised(summary)},
                upsert=True,
            )
        await self.pack_marks([summary_of(fact)])

    async def put_producer(self, fact: Document) -> None:
        """The producer as its fact stands (its state and its `joined` mark), unless the summary
        holds a newer version already (a rebuild beside the running service may apply an older
        event later)."""
        writes = producer_writes(fact)
        for write in writes:
            await self._put_guarded(write, unit_fields(fact))
        await self.pack_marks(w.doc for w in writes)

    async def _put_guarded(self, write: GuardedSet, fields: Document) -> None:
        # DuplicateKeyError: the document exists and holds a newer version there.
        with contextlib.suppress(DuplicateKeyError):
            await self._collection().update_one(
                {"_id": write.doc, write.guard: {"$not": {"$gt": write.version}}},
                {"$set": {**fields, write.field: write.value}, **_revised(write.doc)},
                upsert=True,
            )

    async def remove_producer(self, fact: Document, newer_version: int) -> None:
        """Take the producer out of the summaries its fact was in (its unit or day changed):
        its state, its `joined` mark, and its state in the marks document, where a database
        written before the split has it."""
        places = producer_places(fact)
        for doc, field, guard in places:
            await self._collection().update_one(
                {"_id": doc, guard: {"$lt": newer_version}},
                {"$unset": {field: ""}, **_revised(doc)},
            )
        await self.pack_marks(doc for doc, _, _ in places)

    async def pack_marks(self, ids: Iterable[str]) -> None:
        """Pack these marks documents from what they hold now (domain.summaries.pack), each
        never over a packing of a newer revision: the same value whatever wrote them and in
        what order. Other ids are skipped."""
        for doc in await self.read(i for i in ids if is_marks_id(i)):
            await self._put_packed(doc)

    async def _put_packed(self, doc: Document) -> None:
        """The guard is a conditional update, atomic on MongoDB and, on FerretDB, with the one
        connection per process the service runs with there. Over the same revision it writes
        the same value (the same state)."""
        packed = pack(doc)
        # DuplicateKeyError: the packed copy there is of a newer revision (it stays).
        with contextlib.suppress(DuplicateKeyError):
            await self._collection().update_one(
                {"_id": packed_id(str(doc["_id"])), "r": {"$not": {"$gt": packed["r"]}}},
                {"$set": packed},
                upsert=True,
            )

    async def read_marks(self, ids: Iterable[str]) -> dict[str, Document]:
        """The marks of these unit-years' marks documents, by their `_id`, from their packed
        copies (one short value each): a missing one is a unit-year without marks."""
        wanted = {packed_id(i): i for i in ids}
        return {wanted[str(d["_id"])]: unpack(d) for d in await self.read(wanted)}

    async def fill_packed_marks(self) -> None:
        """Once per database, at startup: pack the marks documents written before their packed
        copies were kept (a scan of the summaries; the marker is written last, so a crash
        before it packs again, the same values)."""
        if await self._collection().find_one({"_id": MARKS_PACKED}, {"_id": 1}) is not None:
            return
        docs = [d async for d in self._collection().find({}) if is_marks_id(str(d["_id"]))]
        held = {str(d["_id"]): d for d in await self.read(packed_id(str(d["_id"])) for d in docs)}
        for doc in docs:
            if not is_packed(held.get(packed_id(str(doc["_id"]))), doc):
                await self._put_packed(doc)
        await self._collection().update_one(
            {"_id": MARKS_PACKED}, {"$set": {"packed": True}}, upsert=True
        )

    async def note_old_unit_unknown(self, current_code: str, fact: str) -> None:
        """A fact recorded without its old unit (`"<read model> <fact id>"`), in its current
        province's list: /metrics counts them by `_id` instead of scanning every fact."""
        await self._collection().update_one(
            {"_id": old_unit_unknown_id(current_code)},
            {"$set": {"current_code": current_code}, "$addToSet": {"facts": fact}},
            upsert=True,
        )

    async def read_old_unit_unknown(self) -> dict[str, int]:
        """How many facts each current province holds without their old unit."""
        found = await self.read(old_unit_unknown_id(cc) for cc in current_provinces())
        return {str(doc["current_code"]): len(doc.get("facts", [])) for doc in found}

    async def old_units_noted(self) -> bool:
        """Whether the facts flagged before notes were kept have been noted (once per database)."""
        found = await self._collection().find_one({"_id": OLD_UNITS_NOTED}, {"_id": 1})
        return found is not None

    async def mark_old_units_noted(self) -> None:
        await self._collection().update_one(
            {"_id": OLD_UNITS_NOTED}, {"$set": {"noted": True}}, upsert=True
        )

    async def put_certificate(self, certificate_id: str, fact: Document) -> None:
        """A certificate as issued (its fact's fields), in its product's document."""
        fields = certificate_issue(certificate_id, fact)
        await self._certified(fact["current_code"], str(fact["product_id"]), fields)

    async def end_certificate(self, certificate_id: str, current_code: str, fact: Document) -> None:
        """A certificate's expiry or revocation, beside its issue (which may come later): the
        same product, so the same document."""
        fields = certificate_end(certificate_id, fact)
        await self._certified(current_code, str(fact["product_id"]), fields)

    async def _certified(self, current_code: str, product_id: str, fields: Document) -> None:
        summary = certified_id(current_code, product_id)
        await self._collection().update_one(
            {"_id": summary},
            {"$set": {"current_code": current_code, **fields}, "$inc": {REVISION: 1}},
            upsert=True,
        )
        await self.count_certified([summary])

    async def put_withdrawal(
        self, current_code: str, product_id: str, fact: Document, version: int
    ) -> None:
        """A product's withdrawal, unless a newer version of the product's is there already."""
        field = withdrawal_field(product_id)
        summary = certified_id(current_code, product_id)
        # DuplicateKeyError: the document exists and holds a newer withdrawal of this product.
        with contextlib.suppress(DuplicateKeyError):
            await self._collection().update_one(
                {"_id": summary, f"{field}.v": {"$not": {"$gt": version}}},
                {
                    "$set": {
                        "current_code": current_code,
                        field: withdrawal_entry(product_id, fact, version),
                    },
                    "$inc": {REVISION: 1},
                },
                upsert=True,
            )
        # Even when not written: completes a recount a crash after the newer one's cut short.
        await self.count_certified([summary])

    async def count_certified(self, ids: Iterable[str]) -> None:
        """Recount these certificate documents from what they hold now (domain.certified_counts):
        the same value whatever wrote them and in what order."""
        await self._count(await self.read(ids))

    async def _count(self, docs: Iterable[Document]) -> None:
        by_province: dict[str, dict[str, Document]] = {}
        for doc in docs:
            entries = by_province.setdefault(str(doc["current_code"]), {})
            entries[bucket_of(str(doc["_id"]))] = counts_entry(doc)
        for current_code, entries in by_province.items():
            await self._put_counts(current_code, entries)

    async def _put_counts(self, current_code: str, entries: dict[str, Document]) -> None:
        """Each bucket's counts, never over counts of a newer revision. Two recounts of one bucket
        may be in flight at once (two topics' handlers in this process, or two processes on
        MongoDB): each read its document after its own write, so the newer revision stays
        whichever writes last. The guard is a conditional update, atomic on MongoDB and, on
        FerretDB, with the one connection per process the service runs with there. Over the
        same revision it writes the same steps (the same state), or replaces an entry of an
        earlier shape (the startup recount)."""
        try:
            await self._put_counts_not_over_newer(current_code, entries)
        except DuplicateKeyError:
            # A bucket's counts there are newer, or another recount inserted the document
            # between this filter and this upsert: each bucket alone, against the document now
            # there (refused again: that bucket's newer recount won, as it should).
            for bucket, entry in entries.items():
                with contextlib.suppress(DuplicateKeyError):
                    await self._put_counts_not_over_newer(current_code, {bucket: entry})

    async def _put_counts_not_over_newer(
        self, current_code: str, entries: dict[str, Document]
    ) -> None:
        # The revision travels inside `b.<bucket>` with its steps, so a recount of another
        # state always differs from the entry it replaces (FerretDB v1 took a `$set` of a
        # document with the same values under other keys for no change: fixed by our patch
        # 0004, and this keeps an unpatched store from dropping a recount).
        guard = {f"b.{b}.r": {"$not": {"$gt": e["r"]}} for b, e in entries.items()}
        await self._collection().update_one(
            {"_id": counts_id(current_code), **guard},
            {"$set": {"current_code": current_code, **{f"b.{b}": e for b, e in entries.items()}}},
            upsert=True,
        )

    async def read(self, ids: Iterable[str]) -> list[Document]:
        """Summaries by `_id`, of any provinces: one query per ID_BATCH ids."""
        wanted = sorted(set(ids))
        found: list[Document] = []
        for start in range(0, len(wanted), ID_BATCH):
            batch = wanted[start : start + ID_BATCH]
            found += [doc async for doc in self._collection().find({"_id": {"$in": batch}})]
        return found

    async def read_units(
        self, where: Unit, years: Iterable[int], *, rated: bool = False, producers: bool = False
    ) -> list[Document]:
        """The unit's marks documents of these years, and its rating ids' or producers' too."""
        return await self.read(summary_ids(where, years, rated=rated, producers=producers))

    async def read_certified_counts(self, current_codes: Iterable[str]) -> dict[str, Document]:
        """The certified counts of these current provinces, by province: one id each."""
        found = await self.read(counts_id(cc) for cc in current_codes)
        return {str(doc["current_code"]): doc for doc in found}

    async def read_all_years(self, where: Unit, last_year: int | None = None) -> list[Document]:
        """Every year of a unit up to `last_year` (the producer mix counts producers of all
        years): by `_id` from FIRST_PRODUCER_YEAR, since a producer's summary is the year its
        event was recorded; without a last year, by a filter on the unit (a scan on FerretDB)."""
        if last_year is not None:
            years = range(FIRST_PRODUCER_YEAR, last_year + 1)
            return await self.read_units(where, years, producers=True)
        codes = [u.code for u in units_counted(where)]
        editions = sorted({u.edition for u in units_counted(where)})
        flt = {"unit_code": {"$in": codes}, "edition": {"$in": editions}}
        docs = [doc async for doc in self._collection().find(flt)]
        wanted = {(u.edition, u.code) for u in units_counted(where)}
        return [d for d in docs if (d["edition"], d["unit_code"]) in wanted]

    async def ensure_indexes(self) -> None:
        # read_all_years filters on the unit (MongoDB; FerretDB scans the summaries anyway).
        await self._collection().create_index([("edition", 1), ("unit_code", 1), ("year", 1)])

    async def fill_written_before(self) -> None:
        """At startup, on every store: what a database written before the certified counts or
        the packed marks lacks."""
        await self.fill_certified_counts()
        await self.fill_packed_marks()

    async def fill_certified_counts(self) -> None:
        """At startup, the certificate documents whose counts are missing or not of their
        revision (a database written before the counts, or before their revisions) recounted."""
        codes = list(current_provinces())
        counts = await self.read_certified_counts(codes)
        docs = await self.read(i for cc in codes for i in certified_ids(cc)[1:])
        stale = []
        for doc in docs:
            province = counts.get(str(doc["current_code"]), {})
            if not is_counted(province, bucket_of(str(doc["_id"])), doc):
                stale.append(doc)
        await self._count(stale)

    async def flush(self) -> None:
        """Nothing is held: every write above is made at once (DeferredSummaryStore holds)."""

    async def drop(self) -> None:
        await self._collection().drop()

    async def count(self) -> int:
        return await self._collection().estimated_document_count()


def _revised(summary: str) -> Document:
    """A marks document's revision goes up with each write to it (what its packed copy is
    known by); other documents' writes leave theirs alone."""
    return {"$inc": {REVISION: 1}} if is_marks_id(summary) else {}


def old_unit_unknown_id(current_code: str) -> str:
    return f"{OLD_UNIT_UNKNOWN_PREFIX}{current_code}"


def units_counted(where: Unit) -> tuple[Unit, ...]:
    """The units whose facts a report of `where` counts: an old province its own; a current
    province its own and those of the old provinces merged into it."""
    if where.edition == "2008":
        return (where,)
    return (where, *merged_from(where.code))


def summary_ids(
    where: Unit, years: Iterable[int], *, rated: bool = False, producers: bool = False
) -> list[str]:
    """The unit's marks documents of these years, and its rating ids' or producers' when asked
    (domain.summaries.kind_ids)."""
    return [
        i
        for u in units_counted(where)
        for y in years
        for i in kind_ids(summary_id(u.edition, u.code, y), rated=rated, producers=producers)
    ]
