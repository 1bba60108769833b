"""MongoDB state of reporting: the targets and activity reports it owns (each with its outbox),
and the read models (facts) derived from the other services' events.

Facts are insert-style: one document per event id (ratings, proposals, placements) or one per
aggregate applied only when newer (products, producers, fairs, media activities), so a redelivery
never counts twice; every figure is derived by query. Each fact carries the unit it was recorded in
(`unit_code`, `edition`) and the current province it rolls up to (`current_code`).
"""

from __future__ import annotations

from datetime import date, timedelta

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from ocop_contracts import ProductRated, ProductRegistered, TargetMetric, TargetUnit, TargetUpdated
from ocop_contracts.events.evaluation import (
    CertificateExpired,
    CertificateIssued,
    CertificateRevoked,
    ProductProposedForNational,
)
from ocop_contracts.events.promotion import (
    FairScheduled,
    ProductShowcased,
    PromotionActivityRecorded,
)
from ocop_contracts.events.registry import (
    EntityRegistered,
    EntityUpdated,
    ProductUpdated,
    ProductWithdrawn,
)
from ocop_contracts.events.reporting import ActivityReported
from ocop_contracts.reference import find_scoring_set
from ocop_contracts.reference.errors import ReferenceDataError, UnknownReferenceCodeError
from ocop_contracts.vocabulary import ActivityKind, VenueKind
from ocop_platform.idempotency import apply_if_newer, insert_once
from ocop_platform.mongo import Database, Document, is_ferretdb
from ocop_platform.outbox import insert_with_events, update_with_events
from ocop_reporting.adapters.summaries import SUMMARIES, SummaryStore, summary_ids
from ocop_reporting.domain.progress import Target
from ocop_reporting.domain.summaries import (
    SUMMARY_METRICS,
    SummaryView,
    Window,
    proposal_marks,
    rating_marks,
    summary_of,
)
from ocop_reporting.domain.units import Edition, Unit, unit, unit_of_fact

RATINGS = "rating_facts"
PROPOSALS = "proposal_facts"
PRODUCTS = "product_facts"
ENTITIES = "entity_facts"
CERTIFICATES = "certificate_facts"
FAIRS = "fair_facts"
SHOWCASES = "showcase_facts"
ACTIVITIES = "activity_facts"
TARGETS = "targets"
REPORTS = "activity_reports"
OUTBOX_COLLECTIONS = (TARGETS, REPORTS)
# Dropped and rebuilt from the topics by `ocop-reporting-rebuild`; targets and activity reports
# are reporting's own state (their events are on ocop.reporting.v1) and are kept.
READ_MODELS = (
    RATINGS,
    PROPOSALS,
    PRODUCTS,
    ENTITIES,
    CERTIFICATES,
    FAIRS,
    SHOWCASES,
    ACTIVITIES,
    SUMMARIES,
)
# The fields the queries on each province's facts filter on (MongoDB uses these indexes; FerretDB
# v1 creates them and scans anyway). The unit: `edition` + `unit_code` (an old province) or the
# whole collection (`current_code` is the same in every document of it).
_UNIT_DAY = [("edition", 1), ("unit_code", 1), ("day", 1)]
FACT_INDEXES: dict[str, list[list[tuple[str, int]]]] = {
    RATINGS: [_UNIT_DAY, [("day", 1)], [("year", 1)], [("commune_code", 1), ("day", 1)]],
    PROPOSALS: [_UNIT_DAY, [("day", 1)]],
    PRODUCTS: [],
    ENTITIES: [_UNIT_DAY, [("day", 1)]],
    CERTIFICATES: [[("valid_until", 1)]],
    FAIRS: [_UNIT_DAY, [("day", 1)]],
    SHOWCASES: [_UNIT_DAY, [("venue_kind", 1), ("day", 1)]],
    ACTIVITIES: [_UNIT_DAY, [("kind", 1), ("day", 1)]],
}
EXPIRY_WINDOW = timedelta(days=183)  # "the next 6 months"


def fact_collection(base: str, current_code: str) -> str:
    """Facts live in one collection per current province (`rating_facts_19`…): every report reads
    one province, and on FerretDB a filtered query scans its whole collection, so a province's
    reports cost what that province holds, not what the country holds."""
    return f"{base}_{current_code}"


class UnknownUnit(Exception):
    """A fact whose province code did not exist on its date (the service dead-letters it)."""


def _unit_fields(code: str, day: date) -> Document:
    found = unit_of_fact(code, day)
    if found is None:
        raise UnknownUnit(f"province code {code} did not exist on {day.isoformat()}")
    return {"unit_code": found.code, "edition": found.edition, "current_code": found.current_code}


def _sector(scoring_set_code: str) -> str | None:
    try:
        return find_scoring_set(scoring_set_code).sector_code
    except (ReferenceDataError, UnknownReferenceCodeError, LookupError):
        return None  # an older classification's code: the fact counts, without a sector


def unit_filter(where: Unit) -> Document:
    """Facts of a unit: an old province's own facts, or everything that rolls up to a new one."""
    if where.edition == "2008":
        return {"edition": "2008", "unit_code": where.code}
    return {"current_code": where.code}


def _day_range(first: date | None, last: date | None) -> Document:
    bounds: Document = {}
    if first is not None:
        bounds["$gte"] = first.isoformat()
    if last is not None:
        bounds["$lte"] = last.isoformat()
    return {"day": bounds} if bounds else {}


class MongoReportingRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._summaries = SummaryStore(db)
        self._indexed: set[str] = set()  # province collections whose indexes this process made
        self._secondary_indexes: bool | None = None  # None: not asked the server yet

    @property
    def db(self) -> Database:
        return self._db

    async def ensure_indexes(self) -> None:
        await self._db[TARGETS].create_index([("current_code", 1), ("year_from", 1)])
        await self._db[TARGETS].create_index([("province_code", 1), ("year_from", 1)])
        await self._db[REPORTS].create_index([("unit_code", 1), ("metric", 1)])
        await self._db[REPORTS].create_index([("edition", 1), ("unit_code", 1), ("metric", 1)])
        await self._db[REPORTS].create_index([("current_code", 1), ("metric", 1)])
        for name in await self._fact_collections():
            await self._index_province(name.rsplit("_", 1)[1])

    async def _index_province(self, current_code: str) -> None:
        """The indexes of one province's read models, once per process (they are created with
        the province's first fact, and again by ensure_indexes after a restart)."""
        if current_code in self._indexed:
            return
        self._indexed.add(current_code)
        if self._secondary_indexes is None:
            # FerretDB v1 never uses them for a query but maintains them on every write, which
            # slows the one store all four services share: declared for MongoDB only.
            self._secondary_indexes = not await is_ferretdb(self._db)
        if not self._secondary_indexes:
            return
        for base, indexes in FACT_INDEXES.items():
            for keys in indexes:
                await self._db[fact_collection(base, current_code)].create_index(keys)
        await self._summaries.ensure_indexes(current_code)

    async def _where(self, code: str, day: date) -> Document:
        """The unit fields of a fact; its province's collections get their indexes first."""
        fields = _unit_fields(code, day)
        await self._index_province(fields["current_code"])
        return fields

    async def drop_read_models(self) -> None:
        for name in await self._fact_collections():
            await self._db[name].drop()
        self._indexed.clear()

    async def _fact_collections(self, base: str | None = None) -> list[str]:
        bases = (base,) if base else READ_MODELS
        names = await self._db.list_collection_names()
        return sorted(n for n in names if any(n.startswith(f"{b}_") for b in bases))

    # --- facts from the registry ---------------------------------------------------------------

    async def record_entity(self, event: EntityRegistered | EntityUpdated) -> bool:
        day = event.occurred_at.date()
        fields = {
            **await self._where(event.province_code, day),
            "commune_code": event.commune_code,
            "legal_form": event.legal_form.value,
            "women_led": event.women_led,
            "ethnic_minority_led": event.ethnic_minority_led,
            "disability_led": event.disability_led,
        }
        facts = self._db[fact_collection(ENTITIES, fields["current_code"])]
        fact = {"_id": event.entity_id, **fields, "day": day.isoformat()}
        fact["version"] = event.aggregate_version
        try:  # most producers arrive once (version 1): an insert costs a fraction of an update
            await facts.insert_one(fact)
        except DuplicateKeyError:
            return await self._update_entity(facts, fact)
        await self._summaries.put_producer(fact)
        return True

    async def _update_entity(self, facts: AsyncCollection[Document], event_fact: Document) -> bool:
        """A later version (or a redelivery) of a producer already recorded. Its summary is
        written first and the fact last: a crash in between leaves the fact as it was, so the
        redelivered event does both again (each write is repeatable)."""
        key, version = event_fact["_id"], event_fact["version"]
        stored = await facts.find_one({"_id": key})
        if stored is None:  # dropped meanwhile (a rebuild): record it afresh
            fields = {k: v for k, v in event_fact.items() if k not in ("_id", "version")}
            applied = await apply_if_newer(facts, key, version, fields)
            await self._summaries.put_producer(event_fact)
            return applied
        if event_fact["version"] <= stored["version"]:
            await self._summaries.put_producer(stored)  # completes a write a crash cut short
            return False
        updated = {**stored, **{k: v for k, v in event_fact.items() if k != "day"}}
        if summary_of(updated) != summary_of(stored):  # recorded in another unit now
            await self._summaries.remove_producer(stored, updated["version"])
        await self._summaries.put_producer(updated)
        fields = {k: v for k, v in event_fact.items() if k not in ("_id", "day", "version")}
        return await apply_if_newer(facts, updated["_id"], updated["version"], fields)

    async def record_product(self, event: ProductRegistered | ProductUpdated) -> bool:
        day = event.occurred_at.date()
        fields = {
            **await self._where(event.province_code, day),
            "province_code": event.province_code,
            "commune_code": event.commune_code,
            "scoring_set_code": event.scoring_set_code,
            "sector": _sector(event.scoring_set_code),
            "entity_id": event.entity_id,
            "name": event.name,
            "legal_form": event.legal_form.value,
            "women_led": event.women_led,
            "ethnic_minority_led": event.ethnic_minority_led,
        }
        name = fact_collection(PRODUCTS, fields["current_code"])
        return await self._upsert_newer(
            name, event.product_id, event.aggregate_version, fields, {"day": day.isoformat()}
        )

    async def record_withdrawal(self, event: ProductWithdrawn) -> bool:
        fields = {"withdrawn_on": event.withdrawn_on.isoformat()}
        where = (await self._where(event.province_code, event.withdrawn_on))["current_code"]
        return await apply_if_newer(
            self._db[fact_collection(PRODUCTS, where)],
            event.product_id,
            event.aggregate_version,
            fields,
        )

    async def _upsert_newer(
        self, name: str, key: str, version: int, fields: Document, on_insert: Document
    ) -> bool:
        # Most aggregates arrive once (version 1): an insert costs a fraction of an update.
        try:
            await self._db[name].insert_one({"_id": key, **fields, **on_insert, "version": version})
        except DuplicateKeyError:
            return await apply_if_newer(self._db[name], key, version, fields)
        return True

    # --- facts from evaluation -----------------------------------------------------------------

    async def record_rating(self, event: ProductRated) -> bool:
        # Keyed by event id: a redelivered event is the same fact, never a second one.
        where = await self._where(event.province_code, event.rated_on)
        fact: Document = {
            "_id": str(event.event_id),
            **where,
            "product_id": event.product_id,
            "province_code": event.province_code,
            "commune_code": event.commune_code,
            "scoring_set_code": event.scoring_set_code,
            "sector": _sector(event.scoring_set_code),
            "stars": event.stars,
            "previous_stars": event.previous_stars,
            "upgraded": event.upgraded,
            "score": event.score,
            "level": event.level.value,
            "round_id": event.round_id,
            "day": event.rated_on.isoformat(),
            "year": event.rated_on.year,
        }
        inserted = await insert_once(
            self._db[fact_collection(RATINGS, where["current_code"])], fact
        )
        # On every delivery, not only a new fact: a redelivery after a crash between the two
        # writes completes the summary, and $addToSet adds nothing twice.
        await self._summaries.add_marks(fact, rating_marks(fact))
        return inserted

    async def record_proposal(self, event: ProductProposedForNational) -> bool:
        where = await self._where(event.province_code, event.proposed_on)
        fact: Document = {
            "_id": str(event.event_id),
            **where,
            "product_id": event.product_id,
            "score": event.score,
            "day": event.proposed_on.isoformat(),
        }
        proposals = self._db[fact_collection(PROPOSALS, where["current_code"])]
        inserted = await insert_once(proposals, fact)
        await self._summaries.add_marks(fact, proposal_marks(fact))  # every delivery, as ratings
        return inserted

    async def record_certificate(self, event: CertificateIssued) -> bool:
        fields = {
            **await self._where(event.province_code, event.issued_on),
            "product_id": event.product_id,
            "stars": event.stars,
            "day": event.issued_on.isoformat(),
            "valid_until": event.valid_until.isoformat(),
        }
        certificates = self._db[fact_collection(CERTIFICATES, fields["current_code"])]
        try:  # usually the first event of the certificate: an insert is far cheaper
            await certificates.insert_one({"_id": event.certificate_id, **fields})
        except DuplicateKeyError:  # a redelivery, or its end arrived first: same values again
            await certificates.update_one(
                {"_id": event.certificate_id}, {"$set": fields}, upsert=True
            )
        return True

    async def end_certificate(self, event: CertificateExpired | CertificateRevoked) -> bool:
        on = event.expired_on if isinstance(event, CertificateExpired) else event.revoked_on
        reason = "expired" if isinstance(event, CertificateExpired) else "revoked"
        fields = {
            "ended_on": on.isoformat(),
            "ended_reason": reason,
            "product_id": event.product_id,
        }
        where = (await self._where(event.province_code, on))["current_code"]
        await self._db[fact_collection(CERTIFICATES, where)].update_one(
            {"_id": event.certificate_id}, {"$set": fields}, upsert=True
        )
        return True

    # --- facts from promotion ------------------------------------------------------------------

    async def record_fair(self, event: FairScheduled) -> bool:
        fields = {
            **await self._where(event.province_code, event.starts_on),
            "name": event.name,
            "day": event.starts_on.isoformat(),
            "commune_code": event.commune_code,
        }
        name = fact_collection(FAIRS, fields["current_code"])
        return await self._upsert_newer(name, event.fair_id, event.aggregate_version, fields, {})

    async def record_showcase(self, event: ProductShowcased) -> bool:
        where = await self._where(event.province_code, event.since)
        return await insert_once(
            self._db[fact_collection(SHOWCASES, where["current_code"])],
            {
                "_id": str(event.event_id),
                **where,
                "product_id": event.product_id,
                "venue_kind": event.venue_kind.value,
                "venue_id": event.venue_id,
                "day": event.since.isoformat(),
            },
        )

    async def record_activity(self, event: PromotionActivityRecorded) -> bool:
        fields = {
            **await self._where(event.province_code, event.occurred_on),
            "kind": event.kind.value,
            "title": event.title,
            "day": event.occurred_on.isoformat(),
        }
        name = fact_collection(ACTIVITIES, fields["current_code"])
        return await self._upsert_newer(
            name, event.activity_id, event.aggregate_version, fields, {}
        )

    # --- targets (owned, with outbox) ----------------------------------------------------------

    async def current_target_version(self, target_id: str) -> int:
        doc = await self._db[TARGETS].find_one({"_id": target_id}, {"version": 1})
        return 0 if doc is None else int(doc["version"])

    async def target_unit(self, target_id: str) -> Unit | None:
        """The unit a target was set for (who owns it); None for a new target."""
        doc = await self._db[TARGETS].find_one(
            {"_id": target_id}, {"province_code": 1, "province_edition": 1}
        )
        return None if doc is None else unit(doc["province_code"], doc["province_edition"])

    async def has_ingested(self, target_id: str, source_event_id: str) -> bool:
        found = await self._db[TARGETS].find_one(
            {"_id": target_id, "ingested": source_event_id}, {"_id": 1}
        )
        return found is not None

    async def save_target(self, event: TargetUpdated, source_event_id: str | None) -> bool:
        fields = _target_fields(event)
        version = {k: v for k, v in fields.items() if k != "history"}
        if event.aggregate_version == 1:
            doc = {"_id": event.target_id, **fields, "history": [version]}
            doc["ingested"] = [source_event_id] if source_event_id else []
            try:
                await insert_with_events(self._db[TARGETS], doc, [event])
            except DuplicateKeyError:
                return False
            return True
        # One write: the new state, its event, and the version kept for as-of reports.
        update: Document = {"$set": fields, "$push": {"history": version}}
        if source_event_id:
            update["$addToSet"] = {"ingested": source_event_id}
        query = {"_id": event.target_id, "version": event.aggregate_version - 1}
        result = await update_with_events(self._db[TARGETS], query, update, [event])
        return result.modified_count == 1

    async def targets(
        self, where: Unit, year: int | None, as_of: date | None = None
    ) -> list[Target]:
        """Targets issued by `where` (an old unit) or rolling up to it (a new one), whose period
        covers `year`; each as it stood on `as_of` (versions set later are ignored)."""
        flt: Document = (
            {"current_code": where.code}
            if where.edition == "2025"
            else {"province_code": where.code, "province_edition": "2008"}
        )
        if year is not None:
            flt |= {"year_from": {"$lte": year}, "year_to": {"$gte": year}}
        cursor = self._db[TARGETS].find(flt, {"outbox": 0, "ingested": 0})
        found: list[Target] = []
        async for doc in cursor.sort("_id", 1):
            found.append(_target(_as_of_version(doc, as_of)))
        if year is not None:
            found = [t for t in found if t.year_from <= year <= t.year_to]
        return found

    async def targets_of_year(self, year: int, as_of: date | None = None) -> list[Target]:
        """Every target whose period covers `year` (one query: the national view)."""
        flt = {"year_from": {"$lte": year}, "year_to": {"$gte": year}}
        cursor = self._db[TARGETS].find(flt, {"outbox": 0, "ingested": 0})
        found = [_target(_as_of_version(doc, as_of)) async for doc in cursor.sort("_id", 1)]
        return [t for t in found if t.year_from <= year <= t.year_to]

    async def all_targets(self) -> list[Target]:
        cursor = self._db[TARGETS].find({}, {"outbox": 0, "ingested": 0, "history": 0})
        return [_target(doc) async for doc in cursor]

    # --- activity reports (owned, with outbox) -------------------------------------------------

    async def current_report_version(self, report_id: str) -> int:
        doc = await self._db[REPORTS].find_one({"_id": report_id}, {"version": 1})
        return 0 if doc is None else int(doc["version"])

    async def report_unit(self, report_id: str) -> Unit | None:
        """The unit an activity report was made for; None for a new report."""
        doc = await self._db[REPORTS].find_one({"_id": report_id}, {"unit_code": 1, "edition": 1})
        return None if doc is None else unit(doc["unit_code"], doc["edition"])

    async def save_report(self, event: ActivityReported) -> bool:
        day = event.occurred_on
        edition: Edition = event.province_edition or ("2025" if day >= date(2025, 7, 1) else "2008")
        where = unit(event.province_code, edition)
        fields = {
            **event.model_dump(
                mode="json",
                include={
                    "report_id",
                    "province_code",
                    "metric",
                    "quantity",
                    "evidence",
                    "commune_code",
                    "note",
                },
            ),
            "unit_code": where.code,
            "edition": where.edition,
            "current_code": where.current_code,
            "day": day.isoformat(),
            "reported_at": event.occurred_at.isoformat(),
            "version": event.aggregate_version,
        }
        if event.aggregate_version == 1:
            try:
                await insert_with_events(
                    self._db[REPORTS], {"_id": event.report_id, **fields}, [event]
                )
            except DuplicateKeyError:
                return False
            return True
        query = {"_id": event.report_id, "version": event.aggregate_version - 1}
        result = await update_with_events(self._db[REPORTS], query, {"$set": fields}, [event])
        return result.modified_count == 1

    async def activity_reports(self, target: Target, last: date) -> list[Document]:
        flt = {
            **_target_unit_filter(target),
            "metric": target.metric.value,
            **_day_range(target.first_day, min(last, target.last_day)),
        }
        flt |= _commune_filter(target)
        cursor = self._db[REPORTS].find(flt, {"outbox": 0})
        return [doc async for doc in cursor.sort("day", 1)]

    # --- derived figures -----------------------------------------------------------------------

    async def derived_actual(self, target: Target, as_of: date | None = None) -> int:
        last = target.last_day if as_of is None else min(as_of, target.last_day)
        base: Document = {**_target_unit_filter(target), **_day_range(target.first_day, last)}
        base |= _commune_filter(target)
        stars = target.min_stars or 3
        cc = target.current_code

        def facts(base: str) -> AsyncCollection[Document]:
            return self._db[fact_collection(base, cc)]

        flt: Document
        match target.metric:
            case TargetMetric.CERTIFIED_PRODUCTS:
                flt = {"stars": {"$gte": stars}, "previous_stars": {"$lt": stars}}
                return await self._distinct(fact_collection(RATINGS, cc), "product_id", base | flt)
            case TargetMetric.UPGRADED_PRODUCTS:
                flt = {"upgraded": True, "stars": {"$gte": max(stars, 4)}}
                return await self._distinct(fact_collection(RATINGS, cc), "product_id", base | flt)
            case TargetMetric.NATIONAL_PROPOSALS:
                rated = await facts(RATINGS).distinct("product_id", base | {"score": {"$gte": 90}})
                proposed = await facts(PROPOSALS).distinct("product_id", base)
                return len(set(rated) | set(proposed))
            case TargetMetric.FIVE_STAR_PRODUCTS:
                flt = {"stars": 5, "previous_stars": {"$lt": 5}}
                return await self._distinct(fact_collection(RATINGS, cc), "product_id", base | flt)
            case TargetMetric.EVALUATION_ROUNDS:
                rounds = await facts(RATINGS).distinct(
                    "round_id", base | {"level": "province", "round_id": {"$ne": None}}
                )
                return len([r for r in rounds if r])
            case TargetMetric.NEW_PRODUCERS:
                return await facts(ENTITIES).count_documents(base)
            case TargetMetric.FAIRS:
                return await facts(FAIRS).count_documents(base)
            case TargetMetric.SALES_POINTS:
                flt = {"venue_kind": VenueKind.SHOWROOM.value}
                return await self._distinct(fact_collection(SHOWCASES, cc), "venue_id", base | flt)
            case TargetMetric.MEDIA_ITEMS:
                flt = {"kind": ActivityKind.NEWS_ITEM.value}
                return await facts(ACTIVITIES).count_documents(base | flt)
            case TargetMetric.TV_REPORTS:
                flt = {"kind": ActivityKind.TV_REPORT.value}
                return await facts(ACTIVITIES).count_documents(base | flt)
            case _:
                raise ValueError(f"{target.metric} is not derived from events")

    async def derived_actuals(self, targets: list[Target], as_of: date | None) -> dict[str, int]:
        """Actuals of many derived targets: a whole province's from its summaries (one read of
        a handful of documents per province); the rating-based ones of a commune or district
        from one read of the province's ratings; the others one query each."""
        found = await self._summary_actuals([t for t in targets if _summarised(t)], as_of)
        by_province: dict[str, list[Target]] = {}
        for target in targets:
            if target.target_id in found:
                continue
            if target.metric in _RATING_METRICS:
                by_province.setdefault(target.current_code, []).append(target)
            else:
                found[target.target_id] = await self.derived_actual(target, as_of)
        for cc, group in by_province.items():
            cursor = self._db[fact_collection(RATINGS, cc)].find({}, _RATING_FIELDS)
            ratings = [doc async for doc in cursor]
            for target in group:
                found[target.target_id] = await self._rating_actual(target, ratings, as_of)
        return found

    async def _summary_actuals(self, targets: list[Target], as_of: date | None) -> dict[str, int]:
        by_province: dict[str, list[Target]] = {}
        for target in targets:
            by_province.setdefault(target.current_code, []).append(target)
        found: dict[str, int] = {}
        for cc, group in by_province.items():
            ids = [i for t in group for i in summary_ids(_target_unit(t), _years(t))]
            docs = {doc["_id"]: doc for doc in await self._summaries.read(cc, ids)}
            for t in group:
                mine = summary_ids(_target_unit(t), _years(t))
                view = SummaryView(docs[i] for i in mine if i in docs)
                last = t.last_day if as_of is None else min(as_of, t.last_day)
                found[t.target_id] = view.actual(
                    t.metric, t.min_stars, Window.of(t.first_day, last)
                )
        return found

    async def _rating_actual(
        self, target: Target, ratings: list[Document], as_of: date | None
    ) -> int:
        """Same rules as `derived_actual`'s queries, applied to ratings already read."""
        last = target.last_day if as_of is None else min(as_of, target.last_day)
        first_day, last_day = target.first_day.isoformat(), last.isoformat()
        communes = (
            {target.commune_code} if target.commune_code else set(target.commune_codes) or None
        )
        old_unit = target.province_edition == "2008"
        stars = target.min_stars or 3
        keys: set[str] = set()
        for r in ratings:
            if old_unit and (
                r.get("edition") != "2008" or r.get("unit_code") != target.province_code
            ):
                continue
            if not first_day <= r["day"] <= last_day:
                continue
            if communes is not None and r.get("commune_code") not in communes:
                continue
            match target.metric:
                case TargetMetric.CERTIFIED_PRODUCTS:
                    hit = r["stars"] >= stars and r["previous_stars"] < stars
                case TargetMetric.UPGRADED_PRODUCTS:
                    hit = bool(r.get("upgraded")) and r["stars"] >= max(stars, 4)
                case TargetMetric.NATIONAL_PROPOSALS:
                    hit = r["score"] >= 90
                case TargetMetric.FIVE_STAR_PRODUCTS:
                    hit = r["stars"] == 5 and r["previous_stars"] < 5
                case _:  # EVALUATION_ROUNDS
                    if r.get("level") == "province" and r.get("round_id"):
                        keys.add(str(r["round_id"]))
                    continue
            if hit:
                keys.add(str(r["product_id"]))
        if target.metric is TargetMetric.NATIONAL_PROPOSALS:
            base: Document = {**_target_unit_filter(target), **_day_range(target.first_day, last)}
            base |= _commune_filter(target)
            proposed = self._db[fact_collection(PROPOSALS, target.current_code)]
            keys |= {str(p) for p in await proposed.distinct("product_id", base)}
        return len(keys)

    async def _distinct(self, name: str, key: str, flt: Document) -> int:
        return len(await self._db[name].distinct(key, flt))

    async def rating_count(self, where: Unit, year: int) -> int:
        # Kept a count of the facts: a set of every rating's id in the summary would make each
        # summary write rewrite a document growing with the province's ratings.
        if where.edition == "2025" and where.code == where.current_code:
            flt: Document = {"current_code": where.code, "year": year}
        else:
            flt = {"unit_code": where.code, "edition": where.edition, "year": year}
        return await self._db[fact_collection(RATINGS, where.current_code)].count_documents(flt)

    async def latest_stars(self, where: Unit, as_of: date | None) -> dict[str, Document]:
        """Each product's latest rating on or before `as_of`, keyed by product id."""
        flt = unit_filter(where) | _day_range(None, as_of)
        cursor = self._db[fact_collection(RATINGS, where.current_code)].find(
            flt, {"product_id": 1, "stars": 1, "day": 1, "sector": 1, "commune_code": 1}
        )
        latest: dict[str, Document] = {}
        async for doc in cursor:
            seen = latest.get(doc["product_id"])
            if seen is None or (doc["day"], doc["stars"]) >= (seen["day"], seen["stars"]):
                latest[doc["product_id"]] = doc
        return latest

    async def new_certified_by_year(self, where: Unit, years: list[int]) -> dict[int, int]:
        """New ≥3★ products per year, from the unit's summaries of those years."""
        docs = await self._summaries.read_units(where, years)
        by_year: dict[int, list[Document]] = {y: [] for y in years}
        for doc in docs:
            by_year[int(doc["year"])].append(doc)
        return {
            y: SummaryView(found).certified(3, Window.of(date(y, 1, 1), date(y, 12, 31)))
            for y, found in by_year.items()
        }

    async def producer_mix(self, where: Unit, as_of: date | None) -> Document:
        """Producers recorded up to `as_of` (all years), from the unit's summaries."""
        view = SummaryView(await self._summaries.read_all_years(where))
        return view.producer_mix(Window.of(None, as_of or date.max))

    async def expiring_certificates(self, where: Unit, as_of: date) -> list[Document]:
        flt = unit_filter(where) | {
            "valid_until": {
                "$gte": as_of.isoformat(),
                "$lte": (as_of + EXPIRY_WINDOW).isoformat(),
            }
        }
        found = []
        certificates = self._db[fact_collection(CERTIFICATES, where.current_code)]
        async for doc in certificates.find(flt).sort("valid_until", 1):
            if doc.get("ended_on") and doc["ended_on"] <= as_of.isoformat():
                continue
            found.append(
                {
                    "certificate_id": doc["_id"],
                    "product_id": doc["product_id"],
                    "stars": doc.get("stars"),
                    "valid_until": doc["valid_until"],
                }
            )
        return found

    async def product_names(self, where: Unit, product_ids: list[str]) -> dict[str, str]:
        if not product_ids:
            return {}
        cursor = self._db[fact_collection(PRODUCTS, where.current_code)].find(
            {"_id": {"$in": product_ids}}, {"name": 1}
        )
        return {doc["_id"]: doc.get("name", "") async for doc in cursor}

    async def national_certified(self, year: int) -> dict[str, int]:
        """New ≥3★ products of `year` per current province, from each province's summaries."""
        whole_year = Window.of(date(year, 1, 1), date(year, 12, 31))
        found: dict[str, int] = {}
        for name in await self._fact_collections(SUMMARIES):
            cc = name.rsplit("_", 1)[1]
            docs = await self._summaries.read_units(unit(cc, "2025"), [year])
            found[cc] = SummaryView(docs).certified(3, whole_year)
        return found

    async def ratings_by_province(self) -> dict[tuple[str, int], int]:
        pipeline: list[Document] = [
            {"$match": {"stars": {"$gte": 3}}},
            {"$group": {"_id": {"p": "$current_code", "s": "$stars"}, "n": {"$sum": 1}}},
        ]
        found: dict[tuple[str, int], int] = {}
        for name in await self._fact_collections(RATINGS):
            cursor = await self._db[name].aggregate(pipeline)
            found |= {(str(d["_id"]["p"]), int(d["_id"]["s"])): int(d["n"]) async for d in cursor}
        return found

    async def fact_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(READ_MODELS, 0)
        for name in await self._fact_collections():
            base = name.rsplit("_", 1)[0]
            counts[base] += await self._db[name].estimated_document_count()
        return counts


_RATING_METRICS = frozenset(
    {
        TargetMetric.CERTIFIED_PRODUCTS,
        TargetMetric.UPGRADED_PRODUCTS,
        TargetMetric.NATIONAL_PROPOSALS,
        TargetMetric.FIVE_STAR_PRODUCTS,
        TargetMetric.EVALUATION_ROUNDS,
    }
)
_RATING_FIELDS = dict.fromkeys(
    (
        "product_id",
        "unit_code",
        "edition",
        "commune_code",
        "day",
        "stars",
        "previous_stars",
        "upgraded",
        "score",
        "level",
        "round_id",
    ),
    1,
)


def _summarised(target: Target) -> bool:
    """A whole province's target of a metric the summaries keep (not a commune's or district's)."""
    return target.metric in SUMMARY_METRICS and not _commune_filter(target)


def _target_unit(target: Target) -> Unit:
    edition: Edition = "2008" if target.province_edition == "2008" else "2025"
    return unit(target.province_code, edition)


def _years(target: Target) -> range:
    return range(target.first_day.year, target.last_day.year + 1)


def _target_unit_filter(target: Target) -> Document:
    if target.province_edition == "2008":
        return {"edition": "2008", "unit_code": target.province_code}
    return {"current_code": target.province_code}


def _commune_filter(target: Target) -> Document:
    if target.commune_code:
        return {"commune_code": target.commune_code}
    if target.commune_codes:
        return {"commune_code": {"$in": list(target.commune_codes)}}
    return {}


def _as_of_version(doc: Document, as_of: date | None) -> Document:
    """The version in force on `as_of`. A plan entered after that day (a past plan typed in
    later) shows as first entered: it was the plan then, only not yet in the system."""
    if as_of is None:
        return doc
    history: list[Document] = doc.get("history") or [doc]
    versions = [v for v in history if v.get("set_on", "") <= as_of.isoformat()]
    return versions[-1] if versions else history[0]


def _target_fields(event: TargetUpdated) -> Document:
    fields = event.model_dump(
        mode="json",
        include={
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
        },
    )
    edition: Edition = event.province_edition or "2025"
    where = unit(event.province_code, edition)
    fields["province_edition"] = where.edition
    fields["current_code"] = where.current_code
    fields["province_name"] = where.name
    fields["version"] = event.aggregate_version
    fields["set_on"] = event.occurred_at.date().isoformat()
    return fields


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
    )
