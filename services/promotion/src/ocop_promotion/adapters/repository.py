"""MongoDB storage of promotion: product copies, certificates, the feed, subscriptions and their
deliveries, venues, placements and activities. Stays in the subset FerretDB v1 supports."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from datetime import UTC, date, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from ocop_contracts import ProductRegistered
from ocop_contracts.events.evaluation import CertificateIssued
from ocop_contracts.events.registry import EntityRegistered, EntityUpdated, ProductUpdated
from ocop_contracts.vocabulary import VenueKind
from ocop_platform.aggregates import MongoAggregateStore
from ocop_platform.idempotency import (
    DUPLICATE_KEY,
    apply_if_newer,
    insert_many_once,
    insert_once,
)
from ocop_platform.mongo import Database, Document
from ocop_platform.outbox import OUTBOX_FIELD, mark_pending, outbox_entries
from ocop_promotion.adapters.stores import MOST_PRODUCTS_AT_A_VENUE, VenueStores
from ocop_promotion.domain.activities import Activity
from ocop_promotion.domain.compliance import (
    CertificatePeriod,
    CertificateStatus,
    Certification,
)
from ocop_promotion.domain.feed import Change, FeedEntry, ProductFacts
from ocop_promotion.domain.placements import ProductPlacements, VenueRef
from ocop_promotion.domain.venues import Fair, Showroom
from ocop_promotion.service_layer.queries import FeedQuery

PRODUCTS = "products"
ENTITIES = "entities"
CERTIFICATIONS = "certifications"
# Each product's latest rated stars and the evaluation version they came from, by `_id` = product
# id. It replaces a search of the rating facts and the feed by product_id, which FerretDB v1
# answers by reading both collections whole (no secondary index is used): 77% of the time of a
# national load went there, on every placement, listing and lapse.
LATEST_RATINGS = "latest_ratings"
# Fields of a certifications document beside the certificate in force: every certificate the
# product held and the revocations, for placements entered as history.
CERTIFICATES_HELD = "certificates_held"
REVOCATIONS = "revocations"
# The rating facts and the feed entries carried the latest rating before LATEST_RATINGS: read
# once, to fill it in a database that predates it.
RATINGS = "ratings"
FEED = "feed"
SUBSCRIPTIONS = "subscriptions"
DELIVERIES = "deliveries"
# The deliveries still to attempt (`_id` = the delivery's), each with its subscription and next
# attempt: the delivery worker's poll (every 0.5 s and after every new delivery) searches this
# small collection, not the ever-growing deliveries, which FerretDB v1 reads whole for any
# filter but `_id`. A marker is written before its delivery and taken off once the delivery is
# delivered, failed or cancelled; one out of step is put right by the drain that reads it.
PENDING_DELIVERIES = "pending_deliveries"
FAIRS = "fairs"
SHOWROOMS = "showrooms"
PLACEMENTS = "placements"
# Which products were ever placed at a venue: flat facts, because FerretDB v1 does not reliably
# match a field of a later element of an array of documents ("entries.venue_id").
VENUE_INDEX = "venue_index"
# The same facts as one document per venue (`_id` = venue id, its products in an array), so the
# products at a venue are one `_id` read: FerretDB v1 scans the whole index for a venue_id filter,
# and a fair's booth check, a fair's or showroom's page and a listing's look-up all need them.
VENUE_PRODUCTS = "venue_products"
ACTIVITIES = "activities"
# The events of a feed entry wait in a small collection of their own, emptied as the relay
# drains it: the relay finds pending events by scanning, which on FerretDB costs a full pass
# over the collection — over the ever-growing feed it slowed every rating down (see README).
FEED_OUTBOX = "feed_outbox"
# Collections whose documents carry an outbox of events to publish.
OUTBOX_COLLECTIONS: tuple[str, ...] = (FEED_OUTBOX, FAIRS, SHOWROOMS, PLACEMENTS, ACTIVITIES)
# Those whose documents are inserted with all their events and never updated (insert-once): the
# relay deletes one once published, with one delete per pass, instead of a $pullAll statement
# (a SQLite transaction on FerretDB) per feed entry.
WRITE_ONCE_OUTBOXES: tuple[str, ...] = (FEED_OUTBOX,)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class MongoPromotionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[FEED].create_index([("recorded_at", DESCENDING), ("_id", ASCENDING)])
        await self._db[DELIVERIES].create_index(
            [("status", ASCENDING), ("next_attempt_at", ASCENDING)]
        )
        await self._db[DELIVERIES].create_index(
            [("subscription_id", ASCENDING), ("created_at", DESCENDING)]
        )
        await self._db[PENDING_DELIVERIES].create_index([("next_attempt_at", ASCENDING)])
        await self._db[PENDING_DELIVERIES].create_index(
            [("subscription_id", ASCENDING), ("created_at", ASCENDING)]
        )
        await self._db[VENUE_INDEX].create_index([("venue_id", ASCENDING)])
        await self._db[VENUE_INDEX].create_index([("venue_kind", ASCENDING)])
        await self._db[FAIRS].create_index([("starts_on", DESCENDING)])
        # The hourly sweep of certificates that ran out (MongoDB; FerretDB scans).
        await self._db[CERTIFICATIONS].create_index(
            [("status", ASCENDING), ("valid_until", ASCENDING)]
        )
        await self.fill_latest_ratings()
        await self.fill_pending_deliveries()
        await MongoVenueIndex(self._db).fill_venue_products()

    async def fill_latest_ratings(self) -> int:
        """Once, in a database written before LATEST_RATINGS: the latest rating of every product
        from the rating facts and the feed (a scan of both, at startup only). Returns how many
        ratings were applied."""
        if await self._db[LATEST_RATINGS].find_one({}, {"_id": 1}) is not None:
            return 0
        applied = 0
        for collection, version, stars in (
            (RATINGS, "version", "stars"),
            (FEED, "rating_version", "to_stars"),
        ):
            async for doc in self._db[collection].find({}, {"product_id": 1, version: 1, stars: 1}):
                if doc.get(version) is not None and doc.get(stars) is not None:
                    product_id, rated = str(doc["product_id"]), int(doc[stars])
                    applied += await self.record_rating(product_id, int(doc[version]), rated)
        return applied

    # --- copies of other services' facts -------------------------------------------------

    async def remember_product(self, event: ProductRegistered | ProductUpdated) -> bool:
        fields = {
            "name": event.name,
            "province_code": event.province_code,
            "commune_code": event.commune_code,
            "scoring_set_code": event.scoring_set_code,
            "entity_id": event.entity_id,
            "product_code": event.product_code,
        }
        return await apply_if_newer(
            self._db[PRODUCTS], event.product_id, event.aggregate_version, fields
        )

    async def remember_entity(self, event: EntityRegistered | EntityUpdated) -> bool:
        fields = {"name": event.name, "legal_form": event.legal_form.value}
        return await apply_if_newer(
            self._db[ENTITIES], event.entity_id, event.aggregate_version, fields
        )

    async def product_name(self, product_id: str) -> str | None:
        doc = await self._db[PRODUCTS].find_one({"_id": product_id}, {"name": 1})
        return None if doc is None else str(doc["name"])

    async def product(self, product_id: str) -> Document | None:
        return await self._db[PRODUCTS].find_one({"_id": product_id})

    async def product_facts(self, product_id: str) -> ProductFacts:
        product = await self._db[PRODUCTS].find_one({"_id": product_id})
        if product is None:
            return ProductFacts()
        entity_name = None
        if product.get("entity_id"):
            entity = await self._db[ENTITIES].find_one({"_id": product["entity_id"]}, {"name": 1})
            entity_name = None if entity is None else entity.get("name")
        return ProductFacts(
            name=product.get("name"),
            commune_code=product.get("commune_code"),
            entity_id=product.get("entity_id"),
            entity_name=entity_name,
        )

    async def facts_of(self, product_ids: Sequence[str]) -> dict[str, ProductFacts]:
        """`product_facts` of many products with one `$in` per collection (a consumer batch's
        ratings); a product promotion does not know yet has empty facts."""
        cursor = self._db[PRODUCTS].find(
            {"_id": {"$in": list(product_ids)}}, {"name": 1, "commune_code": 1, "entity_id": 1}
        )
        products = {str(doc["_id"]): doc async for doc in cursor}
        entity_ids = sorted({str(p["entity_id"]) for p in products.values() if p.get("entity_id")})
        names: dict[str, Any] = {}
        if entity_ids:
            found = self._db[ENTITIES].find({"_id": {"$in": entity_ids}}, {"name": 1})
            names = {str(doc["_id"]): doc.get("name") async for doc in found}
        facts = {}
        for product_id in product_ids:
            product = products.get(product_id)
            if product is None:
                facts[product_id] = ProductFacts()
                continue
            entity_id = product.get("entity_id")
            facts[product_id] = ProductFacts(
                name=product.get("name"),
                commune_code=product.get("commune_code"),
                entity_id=entity_id,
                entity_name=names.get(entity_id) if entity_id else None,
            )
        return facts

    async def apply_evaluation(self, product_id: str, version: int, fields: Document) -> bool:
        return await apply_if_newer(self._db[CERTIFICATIONS], product_id, version, fields)

    async def apply_certificate_issued(self, event: CertificateIssued) -> bool:
        fields = {
            "certificate_id": event.certificate_id,
            "stars": event.stars,
            "valid_until": event.valid_until.isoformat(),
            "issued_on": event.issued_on.isoformat(),
            "decision_ref": event.decision_ref,
            "status": CertificateStatus.VALID.value,
            "province_code": event.province_code,
        }
        applied = await self.apply_evaluation(event.product_id, event.aggregate_version, fields)
        # Every certificate the product held, kept beside the one in force (a set: a
        # redelivery adds nothing; an older certificate arriving late is kept all the same).
        period = {
            "certificate_id": event.certificate_id,
            "stars": event.stars,
            "issued_on": event.issued_on.isoformat(),
            "valid_until": event.valid_until.isoformat(),
        }
        await self._add_to_certification(event.product_id, CERTIFICATES_HELD, period)
        return applied

    async def remember_revocation(self, product_id: str, certificate_id: str, on: date) -> None:
        """The day a certificate was revoked, whether or not it is the one in force."""
        revocation = {"certificate_id": certificate_id, "revoked_on": on.isoformat()}
        await self._add_to_certification(product_id, REVOCATIONS, revocation)

    async def _add_to_certification(self, product_id: str, field: str, fact: Document) -> None:
        # No upsert: a document made here, without a version, would refuse every versioned
        # write after it; the certificate's own CertificateIssued (same key, earlier) made it.
        await self._db[CERTIFICATIONS].update_one({"_id": product_id}, {"$addToSet": {field: fact}})

    async def apply_lapse(
        self, product_id: str, version: int, certificate_id: str, status: CertificateStatus
    ) -> bool:
        """The certificate expired or was revoked (evaluation's event)."""
        fields = {"certificate_id": certificate_id, "status": status.value}
        return await self.apply_evaluation(product_id, version, fields)

    async def record_rating(self, product_id: str, version: int, stars: int) -> bool:
        """Keep the product's latest rated stars: one upsert by `_id`, applied only when
        ``version`` is newer than the one kept, so a redelivered or older rating never replaces
        a newer one. False: a repeat or an older rating."""
        return await apply_if_newer(self._db[LATEST_RATINGS], product_id, version, {"stars": stars})

    async def record_ratings(self, ratings: Sequence[tuple[str, int, int]]) -> None:
        """`record_rating` of a consumer batch's ratings ((product, version, stars)), each
        product at its newest rating of the batch (an older one would change nothing after
        it): a product rated for the first time is one document of an insert-once
        `insert_many` (an insert costs the store a third of an update), the others one
        version-guarded upsert each in one update command (FerretDB v1 hangs on a collection's
        bulk_write; the plain command works)."""
        newest: dict[str, tuple[int, int]] = {}
        for product_id, version, stars in ratings:
            if product_id not in newest or version > newest[product_id][0]:
                newest[product_id] = (version, stars)
        docs = [
            {"_id": product_id, "stars": stars, "version": version}
            for product_id, (version, stars) in newest.items()
        ]
        inserted = await insert_many_once(self._db[LATEST_RATINGS], docs)
        rated_before = {p: newest[p] for p in newest if p not in inserted}
        if rated_before:
            await self._record_newer(rated_before)

    async def _record_newer(self, ratings: dict[str, tuple[int, int]]) -> None:
        """Version-guarded upserts of products already rated. One at that version or a newer
        one is a duplicate key, as with one upsert; FerretDB v1 then skips the rest of even an
        unordered command (and names the wrong statement), so they are all applied again one
        by one (a redelivered batch, an older rating late)."""
        updates = [
            {
                "q": {"_id": product_id, "version": {"$lt": version}},
                "u": {"$set": {"stars": stars, "version": version}},
                "upsert": True,
            }
            for product_id, (version, stars) in ratings.items()
        ]
        result = await self._db.command("update", LATEST_RATINGS, updates=updates, ordered=False)
        errors = result.get("writeErrors", [])
        if failed := [e for e in errors if e.get("code") != DUPLICATE_KEY]:
            raise RuntimeError(f"latest ratings not recorded: {failed}")
        if errors:
            for product_id, (version, stars) in ratings.items():
                await self.record_rating(product_id, version, stars)

    async def latest_rated_stars(self, product_id: str) -> int | None:
        """Stars of the product's latest rating (one read by `_id`)."""
        doc = await self._db[LATEST_RATINGS].find_one({"_id": product_id}, {"stars": 1})
        return None if doc is None else int(doc["stars"])

    async def certification(self, product_id: str) -> Certification | None:
        doc = await self._db[CERTIFICATIONS].find_one({"_id": product_id})
        rated = await self.latest_rated_stars(product_id)
        if doc is None and rated is None:
            return None
        doc = doc or {}
        return Certification(
            product_id=product_id,
            certificate_id=doc.get("certificate_id"),
            stars=doc.get("stars"),
            valid_until=_day(doc.get("valid_until")),
            status=CertificateStatus(doc["status"]) if doc.get("status") else None,
            rated_stars=rated,
            province_code=doc.get("province_code"),
            issued_on=_day(doc.get("issued_on")),
            periods=_periods(doc),
        )

    async def lapsed_certificates(self, today: date, limit: int) -> list[tuple[str, str]]:
        """(product, certificate) still marked valid whose last valid day is before ``today``."""
        cursor = self._db[CERTIFICATIONS].find(
            {"status": CertificateStatus.VALID.value, "valid_until": {"$lt": today.isoformat()}},
            {"certificate_id": 1},
        )
        return [(str(d["_id"]), str(d["certificate_id"])) async for d in cursor.limit(limit)]

    async def mark_lapsed(self, product_id: str, certificate_id: str) -> bool:
        """Mark a certificate expired by date, keeping the version: evaluation's own
        CertificateExpired (or a renewal) still applies when it comes."""
        result = await self._db[CERTIFICATIONS].update_one(
            {
                "_id": product_id,
                "certificate_id": certificate_id,
                "status": CertificateStatus.VALID.value,
            },
            {"$set": {"status": CertificateStatus.EXPIRED.value, "lapsed_by": "date"}},
        )
        return result.modified_count == 1

    # --- the feed -------------------------------------------------------------------------

    async def add_feed_entry(self, entry: FeedEntry, events: list[Any]) -> bool:
        """The entry, then its events (both inserts keyed by the entry id, so a redelivery after
        a crash between the two writes the missing one; the events carry ids derived from the
        entry id, so one published twice is recognised by consumers). False: already there."""
        added = await insert_once(self._db[FEED], {"_id": entry.entry_id, **_feed_doc(entry)})
        pending = {"_id": entry.entry_id, OUTBOX_FIELD: outbox_entries(events)}
        await insert_once(self._db[FEED_OUTBOX], pending)
        # Marked even when it was there already: a crash may have come before its marker.
        await mark_pending(self._db[FEED_OUTBOX], [entry.entry_id])
        return added

    async def add_feed_entries(self, entries: Sequence[tuple[FeedEntry, list[Any]]]) -> set[str]:
        """`add_feed_entry` of a consumer batch's entries with one write per collection: the
        entries, then their events (each insert-once). Returns the ids of the entries added
        now (the others were there already: a redelivered batch)."""
        docs = [{"_id": entry.entry_id, **_feed_doc(entry)} for entry, _ in entries]
        added = await insert_many_once(self._db[FEED], docs)
        pending = [
            {"_id": entry.entry_id, OUTBOX_FIELD: outbox_entries(events)}
            for entry, events in entries
        ]
        await insert_many_once(self._db[FEED_OUTBOX], pending)
        # All marked, the repeats too: a crash may have come before their markers.
        await mark_pending(self._db[FEED_OUTBOX], [entry.entry_id for entry, _ in entries])
        return {str(entry_id) for entry_id in added}

    async def forget_published_feed_events(self) -> int:
        """Delete feed outbox documents drained by a pull: the relay deletes what it publishes
        (WRITE_ONCE_OUTBOXES), but a database written before that holds pulled ones."""
        result = await self._db[FEED_OUTBOX].delete_many({OUTBOX_FIELD: []})
        return result.deleted_count

    async def feed_entry(self, entry_id: str) -> FeedEntry | None:
        doc = await self._db[FEED].find_one({"_id": entry_id}, {OUTBOX_FIELD: 0})
        return None if doc is None else (await self._named([_entry(doc)]))[0]

    async def _named(self, entries: list[FeedEntry]) -> list[FeedEntry]:
        """Fill in names the registry sent after the rating (its topic is consumed apart)."""
        missing = sorted({e.product_id for e in entries if e.product_name is None})
        if not missing:
            return entries
        cursor = self._db[PRODUCTS].find({"_id": {"$in": missing}}, {"name": 1})
        names = {doc["_id"]: doc.get("name") async for doc in cursor}
        return [
            replace(e, product_name=names.get(e.product_id)) if e.product_name is None else e
            for e in entries
        ]

    async def feed(self, query: FeedQuery) -> tuple[list[FeedEntry], int]:
        flt = _feed_filter(query)
        total = await self._db[FEED].count_documents(flt)
        cursor = (
            self._db[FEED]
            .find(flt, {OUTBOX_FIELD: 0})
            .sort([("recorded_at", DESCENDING), ("_id", ASCENDING)])
            .skip((query.page - 1) * query.page_size)
            .limit(query.page_size)
        )
        return await self._named([_entry(doc) async for doc in cursor]), total

    async def feed_since(self, query: FeedQuery, since: datetime, limit: int) -> list[FeedEntry]:
        """Entries recorded at or after ``since``, oldest first (for the live stream)."""
        flt = {**_feed_filter(query), "recorded_at": {"$gte": since}}
        cursor = (
            self._db[FEED]
            .find(flt, {OUTBOX_FIELD: 0})
            .sort([("recorded_at", ASCENDING), ("_id", ASCENDING)])
            .limit(limit)
        )
        return await self._named([_entry(doc) async for doc in cursor])

    # --- subscriptions and deliveries ------------------------------------------------------

    async def add_subscription(self, doc: Document) -> None:
        await self._db[SUBSCRIPTIONS].insert_one(doc)

    async def subscription(self, subscription_id: str) -> Document | None:
        return await self._db[SUBSCRIPTIONS].find_one({"_id": subscription_id})

    async def subscriptions(self, *, active_only: bool = True) -> list[Document]:
        flt: Document = {"active": True} if active_only else {}
        return await self._db[SUBSCRIPTIONS].find(flt).sort("created_at", ASCENDING).to_list()

    async def deactivate_subscription(self, subscription_id: str, now: datetime) -> bool:
        result = await self._db[SUBSCRIPTIONS].update_one(
            {"_id": subscription_id, "active": True},
            {"$set": {"active": False, "deleted_at": now}},
        )
        await self._db[DELIVERIES].update_many(
            {"subscription_id": subscription_id, "status": "pending"},
            {"$set": {"status": "cancelled"}},
        )
        await self._db[PENDING_DELIVERIES].delete_many({"subscription_id": subscription_id})
        return result.modified_count == 1

    async def add_delivery(self, doc: Document) -> bool:
        """The pending marker, then the delivery (both insert-once: a crash between the two is
        completed by the redelivered rating; a marker left for a delivery already attempted is
        taken off by the drain). False: the delivery was there already."""
        await insert_once(self._db[PENDING_DELIVERIES], _pending(doc))
        return await insert_once(self._db[DELIVERIES], doc)

    async def fill_pending_deliveries(self) -> int:
        """At startup: a marker for every pending delivery (a database written before the
        markers, or a crash between a reset and its marker). Returns how many were missing."""
        added = 0
        async for doc in self._db[DELIVERIES].find(
            {"status": "pending"}, {"subscription_id": 1, "next_attempt_at": 1, "created_at": 1}
        ):
            added += await insert_once(self._db[PENDING_DELIVERIES], _pending(doc))
        return added

    async def delivery(self, delivery_id: str) -> Document | None:
        return await self._db[DELIVERIES].find_one({"_id": delivery_id})

    async def deliveries(
        self, subscription_id: str, status: str | None, page: int, page_size: int
    ) -> tuple[list[Document], int]:
        flt: Document = {"subscription_id": subscription_id}
        if status:
            flt["status"] = status
        total = await self._db[DELIVERIES].count_documents(flt)
        cursor = (
            self._db[DELIVERIES]
            .find(flt)
            .sort([("created_at", DESCENDING), ("_id", ASCENDING)])
            .skip((page - 1) * page_size)
            .limit(page_size)
        )
        return await cursor.to_list(), total

    async def subscriptions_with_due_deliveries(self, now: datetime, limit: int) -> set[str]:
        cursor = self._db[PENDING_DELIVERIES].find(
            {"next_attempt_at": {"$lte": now}}, {"subscription_id": 1}
        )
        return {doc["subscription_id"] async for doc in cursor.limit(limit)}

    async def due_deliveries(
        self, subscription_id: str, now: datetime, limit: int
    ) -> list[Document]:
        """The subscription's due pending deliveries, oldest first: the markers, then the
        deliveries by `_id`; a marker out of step with its delivery is put right."""
        markers = (
            await self._db[PENDING_DELIVERIES]
            .find({"subscription_id": subscription_id, "next_attempt_at": {"$lte": now}})
            .sort([("created_at", ASCENDING), ("_id", ASCENDING)])
            .limit(limit)
            .to_list()
        )
        ids = [marker["_id"] for marker in markers]
        found = {d["_id"]: d async for d in self._db[DELIVERIES].find({"_id": {"$in": ids}})}
        due = []
        for delivery_id in ids:
            delivery = found.get(delivery_id)
            if delivery is None or delivery.get("status") != "pending":
                await self._db[PENDING_DELIVERIES].delete_one({"_id": delivery_id})
            elif delivery["next_attempt_at"] > now:
                await self._set_next_attempt(delivery_id, delivery["next_attempt_at"])
            else:
                due.append(delivery)
        return due

    async def claim_delivery(self, delivery_id: str, now: datetime, lease_until: datetime) -> bool:
        """Take a due delivery for one attempt, so two instances never send it at once."""
        result = await self._db[DELIVERIES].update_one(
            {
                "_id": delivery_id,
                "status": "pending",
                "next_attempt_at": {"$lte": now},
                "lease_until": {"$lte": now},
            },
            {"$set": {"lease_until": lease_until}},
        )
        return result.modified_count == 1

    async def record_attempt(self, delivery_id: str, attempt: Document, fields: Document) -> None:
        await self._db[DELIVERIES].update_one(
            {"_id": delivery_id},
            {"$set": {**fields, "lease_until": EPOCH}, "$push": {"attempts": attempt}},
        )
        if fields.get("status") == "pending":
            await self._set_next_attempt(delivery_id, fields["next_attempt_at"])
        else:
            await self._db[PENDING_DELIVERIES].delete_one({"_id": delivery_id})

    async def _set_next_attempt(self, delivery_id: str, at: datetime) -> None:
        await self._db[PENDING_DELIVERIES].update_one(
            {"_id": delivery_id}, {"$set": {"next_attempt_at": at}}
        )

    async def reset_delivery(self, delivery_id: str, now: datetime) -> bool:
        delivery = await self._db[DELIVERIES].find_one({"_id": delivery_id})
        if delivery is None:
            return False
        # The marker first (a reset refused leaves one the drain takes off).
        marker = _pending({**delivery, "next_attempt_at": now})
        await self._db[PENDING_DELIVERIES].replace_one({"_id": delivery_id}, marker, upsert=True)
        result = await self._db[DELIVERIES].update_one(
            {"_id": delivery_id, "status": {"$in": ["delivered", "failed", "cancelled"]}},
            {
                "$set": {
                    "status": "pending",
                    "attempt_count": 0,
                    "next_attempt_at": now,
                    "lease_until": EPOCH,
                    "redelivery_requested_at": now,
                }
            },
        )
        return result.modified_count == 1


class MongoVenueIndex:
    """Which products were ever placed at a venue: flat (venue, product) facts for the queries
    by kind, and one document per venue for the products at a venue (an `_id` read)."""

    def __init__(self, db: Database) -> None:
        self._index = db[VENUE_INDEX]
        self._venues = db[VENUE_PRODUCTS]

    async def remember(self, venue: VenueRef, product_id: str) -> None:
        """Written before the placement; readers look at the placements themselves, so a stray
        fact does no harm. Both writes are idempotent, so a retry completes a half-done one."""
        doc = {"venue_id": venue.venue_id, "venue_kind": venue.kind.value, "product_id": product_id}
        await insert_once(self._index, {"_id": f"{venue.venue_id}|{product_id}", **doc})
        await self._venues.update_one(
            {"_id": venue.venue_id}, {"$addToSet": {"products": product_id}}, upsert=True
        )

    async def products_at(self, venue_id: str) -> list[str]:
        doc = await self._venues.find_one({"_id": venue_id}, {"products": 1})
        return [] if doc is None else sorted(doc.get("products", []))[:MOST_PRODUCTS_AT_A_VENUE]

    async def products_listed_online(self, product_id: str | None) -> list[str]:
        flt: Document = {"venue_kind": VenueKind.ONLINE.value}
        if product_id:
            flt["product_id"] = product_id
        return await self._products(flt)

    async def fill_venue_products(self) -> int:
        """Once, in a database written before VENUE_PRODUCTS: one document per venue from the
        flat facts (a scan of them, at startup only). Returns how many venues."""
        if await self._venues.find_one({}, {"_id": 1}) is not None:
            return 0
        venues: dict[str, set[str]] = {}
        async for doc in self._index.find({}, {"venue_id": 1, "product_id": 1}):
            venues.setdefault(str(doc["venue_id"]), set()).add(str(doc["product_id"]))
        for venue_id, products in venues.items():
            await self._venues.update_one(
                {"_id": venue_id},
                {"$addToSet": {"products": {"$each": sorted(products)}}},
                upsert=True,
            )
        return len(venues)

    async def _products(self, flt: Document) -> list[str]:
        cursor = self._index.find(flt, {"product_id": 1}).limit(MOST_PRODUCTS_AT_A_VENUE)
        return sorted({doc["product_id"] async for doc in cursor})


def mongo_venue_stores(
    db: Database, repository: MongoPromotionRepository, notify: Callable[[], None] = lambda: None
) -> VenueStores:
    """The venue and placement stores; ``notify`` (the relay's) publishes right after a write."""
    return VenueStores(
        fairs=MongoAggregateStore(db, FAIRS, Fair, after_write=notify),
        showrooms=MongoAggregateStore(db, SHOWROOMS, Showroom, after_write=notify),
        activities=MongoAggregateStore(db, ACTIVITIES, Activity, after_write=notify),
        placements=MongoAggregateStore(db, PLACEMENTS, ProductPlacements, after_write=notify),
        venue_index=MongoVenueIndex(db),
        certifications=repository,
    )


def _pending(delivery: Document) -> Document:
    """A delivery's pending marker."""
    fields = ("subscription_id", "next_attempt_at", "created_at")
    return {"_id": delivery["_id"], **{field: delivery.get(field) for field in fields}}


def _feed_filter(query: FeedQuery) -> Document:
    flt: Document = {"to_stars": {"$gte": query.min_stars}}
    if query.stars is not None:
        flt["to_stars"] = query.stars
    if query.province_code:
        flt["province_code"] = query.province_code
    if query.sector_code:
        flt["sector_code"] = query.sector_code
    if query.group_code:
        flt["group_code"] = query.group_code
    if query.change:
        flt["change"] = query.change.value
    return flt


def _feed_doc(entry: FeedEntry) -> Document:
    doc = asdict(entry)
    doc["rated_on"] = entry.rated_on.isoformat()
    doc["change"] = entry.change.value if entry.change else None
    return doc


def _entry(doc: Document) -> FeedEntry:
    fields = {k: v for k, v in doc.items() if k not in ("_id", OUTBOX_FIELD)}
    fields["rated_on"] = date.fromisoformat(fields["rated_on"])
    if fields.get("change"):
        fields["change"] = Change(fields["change"])
    known = FeedEntry.__dataclass_fields__
    return FeedEntry(**{k: v for k, v in fields.items() if k in known})


def _periods(doc: Document) -> tuple[CertificatePeriod, ...]:
    revoked = {
        str(r["certificate_id"]): date.fromisoformat(r["revoked_on"])
        for r in doc.get(REVOCATIONS, [])
    }
    return tuple(
        CertificatePeriod(
            certificate_id=str(p["certificate_id"]),
            stars=int(p["stars"]),
            issued_on=date.fromisoformat(p["issued_on"]),
            valid_until=date.fromisoformat(p["valid_until"]),
            revoked_on=revoked.get(str(p["certificate_id"])),
        )
        for p in doc.get(CERTIFICATES_HELD, [])
    )


def _day(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)
