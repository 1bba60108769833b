"""The read models derived from the other services' events: one writer per event type, listed in
`WRITERS`, the one table that live consumption and `ocop-reporting-rebuild` both route through.

Every writer is repeatable: a fact keyed by event id is inserted once, an aggregate's fact is
applied only when newer, and its summary marks are sets. So a redelivery, or a rebuild beside the
running service, changes nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import date
from types import MappingProxyType
from typing import Any, Final

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from ocop_contracts import Event, ProductRated, ProductRegistered
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
from ocop_contracts.reference import find_scoring_set
from ocop_contracts.reference.errors import ReferenceDataError, UnknownReferenceCodeError
from ocop_platform.idempotency import apply_if_newer, insert_once
from ocop_platform.mongo import Database, Document, is_ferretdb
from ocop_reporting.adapters.deferred_summaries import DeferredSummaryStore
from ocop_reporting.adapters.facts import (
    ACTIVITIES,
    CERTIFICATES,
    ENTITIES,
    FACT_INDEXES,
    FAIRS,
    PRODUCTS,
    PROPOSALS,
    RATINGS,
    SHOWCASES,
    HeldFacts,
    fact_collection,
    fact_collections,
    province_of,
)
from ocop_reporting.adapters.old_units import OldUnitWarnings
from ocop_reporting.adapters.summaries import SummaryStore
from ocop_reporting.domain.knowledge import known_on
from ocop_reporting.domain.summaries import proposal_marks, rating_marks, summary_of
from ocop_reporting.domain.units import attributed

log = logging.getLogger(__name__)

# The summary writes and facts held for the consumer batch being handled
# (`MongoProjections.batch`), with the projections they belong to. A context variable: each
# subscriber's batches run in a task of their own, so batches of two topics handled at once
# never share one.
_BATCH: ContextVar[tuple[MongoProjections, DeferredSummaryStore, HeldFacts] | None] = ContextVar(
    "reporting_batch_summaries", default=None
)


class MongoProjections:
    def __init__(self, db: Database, *, deferred_summaries: bool = False) -> None:
        """`deferred_summaries`: hold every summary write until `flush` (the rebuild's batches,
        adapters/deferred_summaries.py); live, a consumer batch holds its own (`batch`)."""
        self._db = db
        self._deferred = deferred_summaries
        self._own_summaries = DeferredSummaryStore(db) if deferred_summaries else SummaryStore(db)
        self._own_facts = HeldFacts() if deferred_summaries else None
        self._indexed: set[str] = set()  # province collections whose indexes this process made
        self._secondary_indexes: bool | None = None  # None: not asked the server yet
        self.old_units = OldUnitWarnings(log)  # rate-limited: a rebuild may meet thousands

    @property
    def event_types(self) -> tuple[type[Event], ...]:
        return tuple(WRITERS)

    @property
    def _summaries(self) -> SummaryStore:
        """Where a writer puts its summary writes: the current batch's, if any."""
        held = _BATCH.get()
        return held[1] if held is not None and held[0] is self else self._own_summaries

    @property
    def _held_facts(self) -> HeldFacts | None:
        """Where a writer puts its event facts: the current batch's, if any (None: now)."""
        held = _BATCH.get()
        return held[2] if held is not None and held[0] is self else self._own_facts

    async def flush(self) -> None:
        """Write the facts and summary writes held (none unless `deferred_summaries`)."""
        if self._held_facts is not None:
            await self._held_facts.flush()
        await self._summaries.flush()

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[None]:
        """The summary writes of the events applied inside, held and written once per document,
        and their event facts, held and inserted together, when it exits without an error: a
        consumer batch's, before its offsets are committed. On an error nothing held is
        written: the batch is redelivered (an outage) or applied again one event at a time
        with nothing held (any other error: ocop_platform.consumer), and since every writer
        makes its summary writes on every delivery (repeatable), that second application
        makes them."""
        if self._deferred:  # the rebuild holds them already, until its own `flush`
            yield
            return
        held, facts = DeferredSummaryStore(self._db), HeldFacts()
        token = _BATCH.set((self, held, facts))
        try:
            yield
            await facts.flush()
            await held.flush()
        finally:
            _BATCH.reset(token)

    async def apply(self, event: Event) -> bool:
        """Write `event` into the read model it feeds; False when it changed nothing (a
        redelivery, an older version). DomainError for a province unknown on the event's day."""
        return await WRITERS[type(event)](self, event)

    # --- the read models' collections ----------------------------------------------------------

    async def ensure_indexes(self) -> None:
        for name in await fact_collections(self._db):
            await self._index_province(province_of(name))
        await self.note_old_units_written_before()
        # On FerretDB too (its indexes are not declared): a database written before the certified
        # counts or the packed marks gets them here.
        await self._own_summaries.fill_written_before()

    async def drop_read_models(self) -> None:
        for name in await fact_collections(self._db):
            await self._db[name].drop()
        await self._summaries.drop()
        self._indexed.clear()

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
        await self._summaries.ensure_indexes()

    async def _where(self, event: Event, day: date) -> Document:
        """The unit fields of `event`'s fact dated `day` (domain/units.attributed: by its schema
        version, its province and its legacy unit); its province's collections get their
        indexes first."""
        legacy = getattr(event, "legacy_unit", None)
        found = attributed(event.province_code, day, event.schema_version, legacy)
        await self._index_province(found.unit.current_code)
        where: Document = {
            "unit_code": found.unit.code,
            "edition": found.unit.edition,
            "current_code": found.unit.current_code,
        }
        # Only what is known, so facts of other days and of version 1 keep their shape.
        if found.old_district_code:
            where["old_district_code"] = found.old_district_code
        if found.old_commune_code:
            where["old_commune_code"] = found.old_commune_code
        if found.old_commune_unknown:  # commune_code is today's, not a commune of that time
            where["old_commune_unknown"] = True
        if found.old_unit_unknown:
            # Counted in today's province only; the registry lacks the product's old unit.
            where["old_unit_unknown"] = True
            self.old_units.record(str(event.event_id), event.type, str(day), where["current_code"])
        return where

    async def _note_old_unit(self, base: str, where: Document, key: str) -> None:
        """A fact written without its old unit, noted for /metrics (on every delivery: a crash
        between the fact and the note is completed by the redelivery; a set adds it once)."""
        if where.get("old_unit_unknown"):
            await self._summaries.note_old_unit_unknown(where["current_code"], f"{base} {key}")

    async def note_old_units_written_before(self) -> None:
        """Once per database: note the facts flagged before notes were kept (a scan of every
        fact collection, at startup; a rebuild drops the summaries, so the scan runs again)."""
        if await self._own_summaries.old_units_noted():
            return
        held = DeferredSummaryStore(self._db)  # one write per province
        for name in await fact_collections(self._db):
            base = name.rsplit("_", 1)[0]
            cursor = self._db[name].find({"old_unit_unknown": True}, {"current_code": 1})
            async for fact in cursor:
                await held.note_old_unit_unknown(fact["current_code"], f"{base} {fact['_id']}")
        await held.flush()
        await self._own_summaries.mark_old_units_noted()

    def _facts(self, base: str, where: Document) -> AsyncCollection[Document]:
        return self._db[fact_collection(base, where["current_code"])]

    async def _insert_fact(self, facts: AsyncCollection[Document], fact: Document) -> bool:
        """A fact keyed by event id, inserted once; in a batch, held until its end (and then
        reported as new: whether it was is known only then, and nothing here depends on it)."""
        held = self._held_facts
        if held is None:
            return await insert_once(facts, fact)
        held.add(facts, fact)
        return True

    async def _upsert_newer(
        self,
        facts: AsyncCollection[Document],
        key: str,
        version: int,
        fields: Document,
        on_insert: Document | None = None,
    ) -> bool:
        """The aggregate's fact, applied only when `version` is newer; `on_insert` only for the
        first one."""
        # Most aggregates arrive once (version 1): an insert costs a fraction of an update.
        try:
            await facts.insert_one({"_id": key, **fields, **(on_insert or {}), "version": version})
        except DuplicateKeyError:
            return await apply_if_newer(facts, key, version, fields)
        return True

    # --- from the registry ---------------------------------------------------------------------

    async def record_entity(self, event: EntityRegistered | EntityUpdated) -> bool:
        day = _registered_on(event)
        fields = {
            **await self._where(event, day),
            "commune_code": event.commune_code,
            "legal_form": event.legal_form.value,
            "women_led": event.women_led,
            "ethnic_minority_led": event.ethnic_minority_led,
            "disability_led": event.disability_led,
            "known": known_on(event.occurred_at),
        }
        facts = self._facts(ENTITIES, fields)
        fact = {"_id": event.entity_id, **fields, "day": day.isoformat()}
        fact["version"] = event.aggregate_version
        try:  # most producers arrive once (version 1): an insert costs a fraction of an update
            await facts.insert_one(fact)
        except DuplicateKeyError:
            applied = await self._update_entity(facts, fact)
        else:
            await self._summaries.put_producer(fact)
            applied = True
        await self._note_old_unit(ENTITIES, fields, event.entity_id)
        return applied

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
        # The day it was registered and became known stay those of its first version.
        later = {k: v for k, v in event_fact.items() if k not in _FIRST_VERSION}
        updated = {**stored, **later}
        if summary_of(updated) != summary_of(stored):  # recorded in another unit now
            await self._summaries.remove_producer(stored, updated["version"])
        await self._summaries.put_producer(updated)
        fields = {k: v for k, v in later.items() if k not in ("_id", "version")}
        return await apply_if_newer(facts, updated["_id"], updated["version"], fields)

    async def record_product(self, event: ProductRegistered | ProductUpdated) -> bool:
        day = _registered_on(event)
        fields = {
            **await self._where(event, day),
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
        # When it was registered and became known: a later update keeps them.
        first_day = {"day": day.isoformat(), "known": known_on(event.occurred_at)}
        facts = self._facts(PRODUCTS, fields)
        version = event.aggregate_version
        applied = await self._upsert_newer(facts, event.product_id, version, fields, first_day)
        await self._note_old_unit(PRODUCTS, fields, event.product_id)
        return applied

    async def record_withdrawal(self, event: ProductWithdrawn) -> bool:
        where = await self._where(event, event.withdrawn_on)
        fields = {
            "withdrawn_on": event.withdrawn_on.isoformat(),
            "withdrawn_known": known_on(event.occurred_at),
        }
        facts = self._facts(PRODUCTS, where)
        applied = await apply_if_newer(facts, event.product_id, event.aggregate_version, fields)
        # Every delivery (repeatable): completes a summary a crash after the fact cut short.
        await self._summaries.put_withdrawal(
            where["current_code"], event.product_id, fields, event.aggregate_version
        )
        return applied

    # --- from evaluation -----------------------------------------------------------------------

    async def record_rating(self, event: ProductRated) -> bool:
        # Keyed by event id: a redelivered event is the same fact, never a second one.
        where = await self._where(event, event.rated_on)
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
            "known": known_on(event.occurred_at),
        }
        inserted = await self._insert_fact(self._facts(RATINGS, where), fact)
        await self._note_old_unit(RATINGS, where, fact["_id"])
        # On every delivery, not only a new fact: a redelivery after a crash between the two
        # writes completes the summary, and $addToSet adds nothing twice.
        await self._summaries.add_marks(fact, rating_marks(fact))
        return inserted

    async def record_proposal(self, event: ProductProposedForNational) -> bool:
        where = await self._where(event, event.proposed_on)
        fact: Document = {
            "_id": str(event.event_id),
            **where,
            "product_id": event.product_id,
            "score": event.score,
            "day": event.proposed_on.isoformat(),
            "known": known_on(event.occurred_at),
        }
        inserted = await self._insert_fact(self._facts(PROPOSALS, where), fact)
        await self._note_old_unit(PROPOSALS, where, fact["_id"])
        await self._summaries.add_marks(fact, proposal_marks(fact))  # every delivery, as ratings
        return inserted

    async def record_certificate(self, event: CertificateIssued) -> bool:
        fields = {
            **await self._where(event, event.issued_on),
            "product_id": event.product_id,
            "stars": event.stars,
            "day": event.issued_on.isoformat(),
            "valid_until": event.valid_until.isoformat(),
            "known": known_on(event.occurred_at),
        }
        certificates = self._facts(CERTIFICATES, fields)
        try:  # usually the first event of the certificate: an insert is far cheaper
            await certificates.insert_one({"_id": event.certificate_id, **fields})
        except DuplicateKeyError:  # a redelivery, or its end arrived first: same values again
            await certificates.update_one(
                {"_id": event.certificate_id}, {"$set": fields}, upsert=True
            )
        await self._summaries.put_certificate(event.certificate_id, fields)
        await self._note_old_unit(CERTIFICATES, fields, event.certificate_id)
        return True

    async def end_certificate(self, event: CertificateExpired | CertificateRevoked) -> bool:
        on = event.expired_on if isinstance(event, CertificateExpired) else event.revoked_on
        reason = "expired" if isinstance(event, CertificateExpired) else "revoked"
        fields = {
            "ended_on": on.isoformat(),
            "ended_reason": reason,
            "ended_known": known_on(event.occurred_at),
            "product_id": event.product_id,
        }
        where = await self._where(event, on)
        await self._facts(CERTIFICATES, where).update_one(
            {"_id": event.certificate_id}, {"$set": fields}, upsert=True
        )
        await self._summaries.end_certificate(event.certificate_id, where["current_code"], fields)
        return True

    # --- from promotion ------------------------------------------------------------------------

    async def record_fair(self, event: FairScheduled) -> bool:
        fields = {
            **await self._where(event, event.starts_on),
            "name": event.name,
            "day": event.starts_on.isoformat(),
            "commune_code": event.commune_code,
            "known": known_on(event.occurred_at),
        }
        facts = self._facts(FAIRS, fields)
        applied = await self._upsert_newer(facts, event.fair_id, event.aggregate_version, fields)
        await self._note_old_unit(FAIRS, fields, event.fair_id)
        return applied

    async def record_showcase(self, event: ProductShowcased) -> bool:
        where = await self._where(event, event.since)
        fact = {
            "_id": str(event.event_id),
            **where,
            "product_id": event.product_id,
            "venue_kind": event.venue_kind.value,
            "venue_id": event.venue_id,
            "day": event.since.isoformat(),
            "known": known_on(event.occurred_at),
        }
        inserted = await self._insert_fact(self._facts(SHOWCASES, where), fact)
        await self._note_old_unit(SHOWCASES, where, fact["_id"])
        return inserted

    async def record_activity(self, event: PromotionActivityRecorded) -> bool:
        fields = {
            **await self._where(event, event.occurred_on),
            "kind": event.kind.value,
            "title": event.title,
            "day": event.occurred_on.isoformat(),
            "known": known_on(event.occurred_at),
        }
        facts = self._facts(ACTIVITIES, fields)
        version = event.aggregate_version
        applied = await self._upsert_newer(facts, event.activity_id, version, fields)
        await self._note_old_unit(ACTIVITIES, fields, event.activity_id)
        return applied


_FIRST_VERSION = frozenset({"day", "known"})


def _registered_on(
    event: EntityRegistered | EntityUpdated | ProductRegistered | ProductUpdated,
) -> date:
    """The registration's day: the one the registry back-filled (registered_on, onboarded
    history), else the day it was recorded."""
    return event.registered_on or event.occurred_at.date()


Writer = Callable[[MongoProjections, Any], Awaitable[bool]]

# Every event type reporting derives figures from, and the writer of its read model.
WRITERS: Final[Mapping[type[Event], Writer]] = MappingProxyType(
    {
        EntityRegistered: MongoProjections.record_entity,
        EntityUpdated: MongoProjections.record_entity,
        ProductRegistered: MongoProjections.record_product,
        ProductUpdated: MongoProjections.record_product,
        ProductWithdrawn: MongoProjections.record_withdrawal,
        ProductRated: MongoProjections.record_rating,
        ProductProposedForNational: MongoProjections.record_proposal,
        CertificateIssued: MongoProjections.record_certificate,
        CertificateExpired: MongoProjections.end_certificate,
        CertificateRevoked: MongoProjections.end_certificate,
        FairScheduled: MongoProjections.record_fair,
        ProductShowcased: MongoProjections.record_showcase,
        PromotionActivityRecorded: MongoProjections.record_activity,
    }
)


def _sector(scoring_set_code: str) -> str | None:
    try:
        return find_scoring_set(scoring_set_code).sector_code
    except (ReferenceDataError, UnknownReferenceCodeError, LookupError):
        return None  # an older classification's code: the fact counts, without a sector
