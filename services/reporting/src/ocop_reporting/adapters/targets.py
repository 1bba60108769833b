"""What reporting owns: the targets and the activity reports, each written with its events in its
own document (the outbox), versioned, and read back for the reports.

A target document holds the target as it stands (and its events until the relay has sent them);
its earlier versions, read by as-of reports, are kept beside it (adapters.target_history).
"""

from __future__ import annotations

from datetime import date

from pymongo.errors import DuplicateKeyError

from ocop_contracts import TargetMetric, TargetUnit, TargetUpdated
from ocop_contracts.events.reporting import ActivityReported
from ocop_platform.mongo import Database, Document
from ocop_platform.outbox import insert_with_events, update_with_events
from ocop_reporting.adapters.facts import commune_filter, day_range, target_unit_filter
from ocop_reporting.adapters.target_history import TargetHistory, version_of
from ocop_reporting.adapters.target_index import (
    TargetIndex,
    chunks,
    target_keys,
    unit_key,
    year_key,
)
from ocop_reporting.domain.figures import ActivityReport
from ocop_reporting.domain.knowledge import known_on, known_version
from ocop_reporting.domain.progress import Target
from ocop_reporting.domain.units import Edition, Unit, edition_on, unit

TARGETS = "targets"
REPORTS = "activity_reports"
OUTBOX_COLLECTIONS = (TARGETS, REPORTS)
# What a report never reads of a target (history and ingested: a document not yet split).
_NOT_SHOWN = {"outbox": 0, "source_event_id": 0, "history": 0, "ingested": 0}


class MongoTargetStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        # Targets are read by province and year through `_id` documents (adapters.target_index),
        # so no index on the targets' own fields is needed.
        self._index = TargetIndex(db, TARGETS)
        self._history = TargetHistory(db)

    async def ensure_indexes(self) -> None:
        await self._db[REPORTS].create_index([("unit_code", 1), ("metric", 1)])
        await self._db[REPORTS].create_index([("edition", 1), ("unit_code", 1), ("metric", 1)])
        await self._db[REPORTS].create_index([("current_code", 1), ("metric", 1)])
        await self._index.fill()  # a database written before the index
        await self._history.split(self._db[TARGETS])  # before the versions were kept apart

    # --- targets -------------------------------------------------------------------------------

    async def current_target_version(self, target_id: str) -> int:
        return await self._version(TARGETS, target_id)

    async def target_unit(self, target_id: str) -> Unit | None:
        """The unit a target was set for (who owns it); None for a new target."""
        doc = await self._db[TARGETS].find_one(
            {"_id": target_id}, {"province_code": 1, "province_edition": 1}
        )
        return None if doc is None else unit(doc["province_code"], doc["province_edition"])

    async def has_ingested(self, target_id: str, source_event_id: str) -> bool:
        """The target first, then its history: a next version copies the message to the history
        before it takes it off the target, so one of the two reads sees it."""
        doc = await self._db[TARGETS].find_one(
            {"_id": target_id}, {"source_event_id": 1, "ingested": 1}
        )
        if doc is None:
            return False
        if source_event_id == doc.get("source_event_id") or source_event_id in doc.get(
            "ingested", ()
        ):
            return True
        return await self._history.has_ingested(target_id, source_event_id)

    async def save_target(self, event: TargetUpdated, source_event_id: str | None) -> bool:
        fields = {**_target_fields(event), "source_event_id": source_event_id}
        await self._index.add([event.target_id], target_keys(fields))  # before: never missing
        if event.aggregate_version == 1:
            return await self._insert(TARGETS, {"_id": event.target_id, **fields}, event)
        before = await self._db[TARGETS].find_one({"_id": event.target_id}, {"outbox": 0})
        if before is None or before["version"] != event.aggregate_version - 1:
            return False  # another writer was first
        await self._history.keep(before)  # the version this one replaces, for as-of reports
        # One write: the new state and its event (and what a document not yet split held).
        update: Document = {"$set": fields, "$unset": {"history": "", "ingested": ""}}
        return await self._update(TARGETS, event.target_id, event.aggregate_version, update, event)

    async def targets(
        self, where: Unit, year: int | None, as_of: date | None = None
    ) -> list[Target]:
        """Targets issued by `where` (an old unit) or rolling up to it (a new one), whose period
        covers `year`; each as it stood on `as_of` (versions set later are ignored)."""
        keys = [unit_key(where)] + ([] if year is None else [year_key(year)])
        docs = [
            doc
            for doc in await self._filed(keys)
            if _issued_by(doc, where) and (year is None or _covers(doc, year))
        ]
        found = await self._as_of(docs, as_of)
        if year is not None:
            found = [t for t in found if t.year_from <= year <= t.year_to]
        return found

    async def targets_of_year(self, year: int, as_of: date | None = None) -> list[Target]:
        """Every target whose period covers `year` (the national view)."""
        docs = [doc for doc in await self._filed([year_key(year)]) if _covers(doc, year)]
        found = await self._as_of(docs, as_of)
        return [t for t in found if t.year_from <= year <= t.year_to]

    async def _filed(self, keys: list[str]) -> list[Document]:
        """The targets filed under all the keys, by `_id`: one read of the index, then `_id`
        reads of the targets. Readers re-check each: an index entry may be stale (see
        adapters.target_index)."""
        docs: list[Document] = []
        for chunk in chunks(await self._index.ids(keys)):
            found = self._db[TARGETS].find({"_id": {"$in": chunk}}, _NOT_SHOWN)
            docs += [d async for d in found.batch_size(len(chunk))]
        return sorted(docs, key=lambda d: str(d["_id"]))

    async def _as_of(self, docs: list[Document], as_of: date | None) -> list[Target]:
        """Each target as it stood on `as_of`: its earlier versions read only then, and only of
        the targets that have some."""
        if as_of is None:
            return [_target(doc) for doc in docs]
        changed = [str(doc["_id"]) for doc in docs if int(doc["version"]) > 1]
        earlier = await self._history.earlier_versions(changed)
        return [
            _target(_as_of_version(doc, earlier.get(str(doc["_id"]), []), as_of)) for doc in docs
        ]

    async def targets_by_province(self) -> dict[str, int]:
        """How many targets each current province holds (monitoring: a scan of the targets,
        one small document each)."""
        counts: dict[str, int] = {}
        async for doc in self._db[TARGETS].find({}, {"current_code": 1, "province_code": 1}):
            code = str(doc.get("current_code") or doc["province_code"])
            counts[code] = counts.get(code, 0) + 1
        return counts

    # --- activity reports ----------------------------------------------------------------------

    async def current_report_version(self, report_id: str) -> int:
        return await self._version(REPORTS, report_id)

    async def report_unit(self, report_id: str) -> Unit | None:
        """The unit an activity report was made for; None for a new report."""
        doc = await self._db[REPORTS].find_one({"_id": report_id}, {"unit_code": 1, "edition": 1})
        return None if doc is None else unit(doc["unit_code"], doc["edition"])

    async def save_report(self, event: ActivityReported) -> bool:
        fields = _report_fields(event)
        version = {k: fields[k] for k in _REPORT_VERSION}  # kept for as-known reports
        if event.aggregate_version == 1:
            doc = {"_id": event.report_id, **fields, "history": [version]}
            return await self._insert(REPORTS, doc, event)
        update = {"$set": fields, "$push": {"history": version}}
        return await self._update(REPORTS, event.report_id, event.aggregate_version, update, event)

    async def activity_reports(
        self, target: Target, last: date, cut: date | None = None
    ) -> list[ActivityReport]:
        """The reports that count towards a target, up to `last` (in its period), by day; as
        known on `cut` (domain.knowledge): each report as its version recorded by then."""
        flt = {**target_unit_filter(target), "metric": target.metric.value}
        flt |= commune_filter(target)
        period = day_range(target.first_day, min(last, target.last_day))
        if cut is None:
            cursor = self._db[REPORTS].find(flt | period, {"outbox": 0}).sort("day", 1)
            return [_activity_report(doc) async for doc in cursor]
        window = period["day"]
        found = []
        async for doc in self._db[REPORTS].find(flt, {"outbox": 0}):
            known = known_version(doc, cut)
            if known is not None and window["$gte"] <= known["day"] <= window["$lte"]:
                found.append(_activity_report({**doc, **known}))
        return sorted(found, key=lambda r: r.day)

    # --- one document, its events with it ------------------------------------------------------

    async def _version(self, collection: str, key: str) -> int:
        doc = await self._db[collection].find_one({"_id": key}, {"version": 1})
        return 0 if doc is None else int(doc["version"])

    async def _insert(
        self, collection: str, doc: Document, event: TargetUpdated | ActivityReported
    ) -> bool:
        """Version 1; False when another writer created it first."""
        try:
            await insert_with_events(self._db[collection], doc, [event])
        except DuplicateKeyError:
            return False
        return True

    async def _update(
        self,
        collection: str,
        key: str,
        version: int,
        update: Document,
        event: TargetUpdated | ActivityReported,
    ) -> bool:
        """The next version, only over the one before it; False when another writer was first."""
        query = {"_id": key, "version": version - 1}
        result = await update_with_events(self._db[collection], query, update, [event])
        return result.modified_count == 1


def _issued_by(doc: Document, where: Unit) -> bool:
    """A new unit's targets roll up to it; an old unit's were issued by it in the 2008 edition."""
    if where.edition == "2025":
        return bool(doc.get("current_code") == where.code)
    return bool(doc.get("province_code") == where.code and doc.get("province_edition") == "2008")


def _covers(doc: Document, year: int) -> bool:
    return bool(doc["year_from"] <= year <= doc["year_to"])


def _as_of_version(doc: Document, earlier: list[Document], as_of: date) -> Document:
    """The version in force on `as_of`, of the current one and those before it (oldest first).
    A plan entered after that day (a past plan typed in later) shows as first entered: it was
    the plan then, only not yet in the system."""
    current = int(doc["version"])
    history = [*(v for v in earlier if int(v["version"]) < current), version_of(doc)]
    versions = [v for v in history if v.get("set_on", "") <= as_of.isoformat()]
    return versions[-1] if versions else history[0]


_TARGET_FIELDS = {
    "target_id",
    "province_code",
    "plan_ref",
    "label",
    "metric",
    "unit",
    "year_from",
    "year_to",
    "minimum",
    "maximum",
    "base",
    "min_stars",
    "commune_code",
    "period_start",
    "period_end",
    "district_name",
    "commune_codes",
    "from_stars",
    "legal_forms",
}
_REPORT_VERSION = ("quantity", "day", "evidence", "note", "known", "version")
_REPORT_FIELDS = {
    "report_id",
    "province_code",
    "metric",
    "quantity",
    "evidence",
    "commune_code",
    "note",
}


def _target_fields(event: TargetUpdated) -> Document:
    fields = event.model_dump(mode="json", include=_TARGET_FIELDS)
    edition: Edition = event.province_edition or "2025"
    where = unit(event.province_code, edition)
    fields["province_edition"] = where.edition
    fields["current_code"] = where.current_code
    fields["province_name"] = where.name
    fields["version"] = event.aggregate_version
    fields["set_on"] = event.occurred_at.date().isoformat()
    return fields


def _report_fields(event: ActivityReported) -> Document:
    day = event.occurred_on
    edition: Edition = event.province_edition or edition_on(day)
    where = unit(event.province_code, edition)
    return {
        **event.model_dump(mode="json", include=_REPORT_FIELDS),
        "unit_code": where.code,
        "edition": where.edition,
        "current_code": where.current_code,
        "day": day.isoformat(),
        "reported_at": event.occurred_at.isoformat(),
        "known": known_on(event.occurred_at),
        "version": event.aggregate_version,
    }


def _target(doc: Document) -> Target:
    return Target(
        target_id=doc["target_id"],
        province_code=doc["province_code"],
        plan_ref=doc["plan_ref"],
        label=doc["label"],
        metric=TargetMetric(doc["metric"]),
        year_from=doc["year_from"],
        year_to=doc["year_to"],
        minimum=doc["minimum"],
        maximum=doc["maximum"],
        min_stars=doc["min_stars"],
        version=doc["version"],
        unit=TargetUnit(doc.get("unit", "count")),
        base=doc.get("base"),
        commune_code=doc.get("commune_code"),
        province_edition=doc.get("province_edition", "2025"),
        current_code=str(doc.get("current_code") or doc["province_code"]),
        province_name=doc.get("province_name", ""),
        period_start=date.fromisoformat(doc["period_start"]) if doc.get("period_start") else None,
        period_end=date.fromisoformat(doc["period_end"]) if doc.get("period_end") else None,
        district_name=doc.get("district_name"),
        commune_codes=tuple(doc.get("commune_codes") or ()),
        from_stars=doc.get("from_stars"),
        legal_forms=tuple(doc.get("legal_forms") or ()),
    )


def _activity_report(doc: Document) -> ActivityReport:
    return ActivityReport(
        report_id=doc["report_id"],
        quantity=float(doc["quantity"]),
        day=doc["day"],
        evidence=doc.get("evidence", ""),
        note=doc.get("note", ""),
    )
