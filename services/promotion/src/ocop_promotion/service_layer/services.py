"""Promotion's reactions to other services' events, the newly-starred feed and subscriptions."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ocop_contracts import Event, ProductRated, ProductRegistered, utc_now
from ocop_contracts.events.evaluation import (
    CertificateExpired,
    CertificateIssued,
    CertificateRevoked,
)
from ocop_contracts.events.promotion import ProductNewlyStarred
from ocop_contracts.events.registry import (
    EntityRegistered,
    EntityUpdated,
    ProductUpdated,
    ProductWithdrawn,
)
from ocop_contracts.vocabulary import DelistReason
from ocop_platform.batch_reads import BatchReads
from ocop_platform.errors import Conflict, NotFound
from ocop_platform.logging import correlation_scope, trace_fields
from ocop_platform.mongo import Document
from ocop_promotion.domain.compliance import CertificateStatus, lapse_applies
from ocop_promotion.domain.feed import (
    FeedEntry,
    FeedFilter,
    ProductFacts,
    change_of,
    entry_id_of,
    feed_entry_for,
)
from ocop_promotion.domain.placements import SERVICE
from ocop_promotion.domain.webhooks import DeliveryStatus
from ocop_promotion.service_layer.placements import PlacementService
from ocop_promotion.service_layer.queries import FeedQuery

if TYPE_CHECKING:
    from ocop_promotion.adapters.repository import MongoPromotionRepository

__all__ = ["FeedQuery", "PromotionService"]
log = logging.getLogger(__name__)
# A subscription created on another instance is seen within this time.
SUBSCRIPTIONS_TTL = timedelta(seconds=1)


class PromotionService:
    def __init__(
        self,
        repository: MongoPromotionRepository,
        placements: PlacementService,
        *,
        notify_outbox: Callable[[], None] = lambda: None,
        wake_deliveries: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._repo = repository
        self._placements = placements
        self._notify_outbox = notify_outbox
        self._wake_deliveries = wake_deliveries
        self._clock = clock
        self._feed_waiters: set[asyncio.Event] = set()
        self._subscriptions_cache: tuple[datetime, list[Document]] | None = None
        # Feed entries a consumer batch's prefetch wrote, by entry id (see prefetch_ratings).
        self._written: BatchReads[FeedEntry] = BatchReads("feed-entries")
        # The newest rating version of each product whose stars the batch's prefetch recorded.
        self._recorded: BatchReads[int] = BatchReads("rated-versions")

    def now(self) -> datetime:
        """The instant by the service's clock (feed entries are stamped with it)."""
        return self._clock()

    # --- registry ---------------------------------------------------------------------------

    async def on_product_registered(self, event: ProductRegistered | ProductUpdated) -> None:
        await self._repo.remember_product(event)

    async def on_entity_registered(self, event: EntityRegistered | EntityUpdated) -> None:
        await self._repo.remember_entity(event)

    async def on_product_withdrawn(self, event: ProductWithdrawn) -> None:
        await self._placements.delist_everywhere(
            event.product_id, DelistReason.PRODUCT_WITHDRAWN, None
        )

    # --- evaluation -------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def prefetch_ratings(self, events: Sequence[Event]) -> AsyncIterator[None]:
        """A consumer batch's ratings recorded together before they are handled: the latest
        stars of its products with one write; then its feed entries, the products' and
        producers' facts read with one `$in` each, the entries and their ProductNewlyStarred
        with one write each (insert-once, so a redelivered batch adds nothing) — instead of
        two reads and three writes per rating. Each rating's handler then finds its stars
        recorded and takes its entry from here; an entry not written now (already there: a
        redelivery) is handled as before, one by one. Dropped when the batch ends."""
        rated = [e for e in events if isinstance(e, ProductRated)]
        await self._repo.record_ratings(
            [(e.product_id, e.aggregate_version, e.stars) for e in rated]
        )
        recorded = {e.product_id: 0 for e in rated}
        for e in rated:
            recorded[e.product_id] = max(recorded[e.product_id], e.aggregate_version)
        ratings = [e for e in rated if change_of(e) is not None]
        if not ratings:
            with self._recorded.scope(recorded):
                yield
            return
        facts = await self._repo.facts_of(list(dict.fromkeys(e.product_id for e in ratings)))
        now = self._clock()
        entries: dict[str, tuple[FeedEntry, list[Any]]] = {}
        for event in ratings:
            entry = _entry_for(event, facts[event.product_id], now)
            with correlation_scope(str(event.correlation_id), causation_id=str(event.event_id)):
                entries[entry.entry_id] = (entry, [_newly_starred(event, entry)])
        added = await self._repo.add_feed_entries(list(entries.values()))
        if added:
            self._wake_feed()
        written = {entry_id: entries[entry_id][0] for entry_id in added}
        with self._recorded.scope(recorded), self._written.scope(written):
            yield

    async def on_product_rated(self, event: ProductRated) -> None:
        # The latest stars by product (one version-guarded upsert by `_id`: a repeat or an
        # older rating changes nothing), so a certificate look-up is a read by `_id`; recorded
        # by the batch's prefetch, or here. Only a rating that newly certifies or upgrades a
        # product reaches the feed: its entry too was written by the prefetch, or is here.
        if not self._recorded_by_batch(event):
            await self._repo.record_rating(event.product_id, event.aggregate_version, event.stars)
        if change_of(event) is None:
            return
        entry = self._written_by_batch(entry_id_of(event)) or await self._add_entry(event)
        await self._fan_out(entry)

    def _recorded_by_batch(self, event: ProductRated) -> bool:
        """The batch's prefetch recorded this rating's stars, or a newer rating's of the same
        product (after which this one would change nothing)."""
        hit, version = self._recorded.cached(event.product_id)
        return hit and version is not None and version >= event.aggregate_version

    def _written_by_batch(self, entry_id: str) -> FeedEntry | None:
        """The entry the batch's prefetch wrote for this rating (used up once: a retry of the
        message finds it stored, as a redelivery does)."""
        hit, entry = self._written.cached(entry_id)
        if hit:
            self._written.drop(entry_id)
        return entry

    async def _add_entry(self, event: ProductRated) -> FeedEntry:
        """Write the rating's feed entry on its own; an entry already stored (a redelivery) is
        returned as stored, to fan out (a crash may have come before that)."""
        facts = await self._repo.product_facts(event.product_id)
        entry = _entry_for(event, facts, self._clock())
        if await self._repo.add_feed_entry(entry, [_newly_starred(event, entry)]):
            self._wake_feed()
            return entry
        return await self._repo.feed_entry(entry.entry_id) or entry

    def _wake_feed(self) -> None:
        # The relay is not woken per entry: its poll (OCOP_RELAY_POLL_SECONDS) publishes a
        # burst of entries with one write instead of one write each.
        for waiter in self._feed_waiters:
            waiter.set()

    async def on_certificate_issued(self, event: CertificateIssued) -> None:
        await self._repo.apply_certificate_issued(event)

    async def on_certificate_expired(self, event: CertificateExpired) -> None:
        await self._lapse(
            event.product_id,
            event.aggregate_version,
            event.certificate_id,
            CertificateStatus.EXPIRED,
            DelistReason.CERTIFICATE_EXPIRED,
        )

    async def on_certificate_revoked(self, event: CertificateRevoked) -> None:
        await self._repo.remember_revocation(
            event.product_id, event.certificate_id, event.revoked_on
        )
        await self._lapse(
            event.product_id,
            event.aggregate_version,
            event.certificate_id,
            CertificateStatus.REVOKED,
            DelistReason.CERTIFICATE_REVOKED,
        )

    async def _lapse(
        self,
        product_id: str,
        version: int,
        certificate_id: str,
        status: CertificateStatus,
        reason: DelistReason,
    ) -> None:
        current = await self._repo.certification(product_id)
        if not lapse_applies(current.certificate_id if current else None, certificate_id):
            return  # an older certificate, already replaced by the one in force
        await self._repo.apply_lapse(product_id, version, certificate_id, status)
        # Always enforce (idempotent): a crash may have come between the two writes.
        now = await self._repo.certification(product_id)
        if now is not None and now.certificate_id == certificate_id and now.status is status:
            await self._placements.delist_everywhere(product_id, reason, certificate_id)

    async def sweep_lapsed_certificates(self, today: date, limit: int = 1_000) -> int:
        """Take down every product whose certificate ran out before ``today`` even if
        evaluation's CertificateExpired has not arrived (yet). Returns how many products."""
        swept = 0
        for product_id, certificate_id in await self._repo.lapsed_certificates(today, limit):
            await self._repo.mark_lapsed(product_id, certificate_id)
            await self._placements.delist_everywhere(
                product_id, DelistReason.CERTIFICATE_EXPIRED, certificate_id
            )
            swept += 1
        if swept:
            log.info("delisted products whose certificate ran out", extra={"n": swept})
        return swept

    # --- the feed ---------------------------------------------------------------------------

    async def feed(self, query: FeedQuery) -> tuple[list[FeedEntry], int]:
        return await self._repo.feed(query)

    async def feed_since(self, query: FeedQuery, since: datetime, limit: int) -> list[FeedEntry]:
        return await self._repo.feed_since(query, since, limit)

    async def feed_entry(self, entry_id: str) -> FeedEntry:
        entry = await self._repo.feed_entry(entry_id)
        if entry is None:
            raise NotFound(f"no feed entry {entry_id}")
        return entry

    async def wait_for_feed(self, max_wait: float) -> None:
        """Return when this process adds a feed entry, or after ``max_wait`` seconds (entries
        added by other instances are found by the caller's next poll)."""
        waiter = asyncio.Event()
        self._feed_waiters.add(waiter)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter.wait(), max_wait)
        finally:
            self._feed_waiters.discard(waiter)

    # --- subscriptions ----------------------------------------------------------------------

    async def create_subscription(
        self, name: str, url: str, flt: FeedFilter, created_by: str
    ) -> Document:
        now = self._clock()
        doc: Document = {
            "_id": f"sub-{uuid.uuid4().hex[:12]}",
            "name": name,
            "url": url,
            "secret": f"whsec_{secrets.token_urlsafe(32)}",
            "filter": {
                "province_codes": list(flt.province_codes),
                "classification_codes": list(flt.classification_codes),
                "min_stars": flt.min_stars,
                "changes": [c.value for c in flt.changes],
            },
            "active": True,
            "created_at": now,
            "created_by": created_by,
        }
        await self._repo.add_subscription(doc)
        self._subscriptions_cache = None
        return doc

    async def subscription(self, subscription_id: str) -> Document:
        doc = await self._repo.subscription(subscription_id)
        if doc is None:
            raise NotFound(f"no subscription {subscription_id}")
        return doc

    async def subscriptions(self, *, active_only: bool) -> list[Document]:
        return await self._repo.subscriptions(active_only=active_only)

    async def delete_subscription(self, subscription_id: str) -> None:
        await self.subscription(subscription_id)
        await self._repo.deactivate_subscription(subscription_id, self._clock())
        self._subscriptions_cache = None

    async def deliveries(
        self, subscription_id: str, status: DeliveryStatus | None, page: int, page_size: int
    ) -> tuple[list[Document], int]:
        await self.subscription(subscription_id)
        return await self._repo.deliveries(
            subscription_id, status.value if status else None, page, page_size
        )

    async def redeliver(self, subscription_id: str, delivery_id: str) -> Document:
        subscription = await self.subscription(subscription_id)
        delivery = await self._repo.delivery(delivery_id)
        if delivery is None or delivery["subscription_id"] != subscription_id:
            raise NotFound(f"no delivery {delivery_id} for subscription {subscription_id}")
        if not subscription.get("active"):
            raise Conflict("the subscription was deleted", field="subscription_id")
        if not await self._repo.reset_delivery(delivery_id, self._clock()):
            raise Conflict(f"delivery {delivery_id} is already pending", field="delivery_id")
        self._wake_deliveries()
        found = await self._repo.delivery(delivery_id)
        assert found is not None
        return found

    async def _active_subscriptions(self) -> list[Document]:
        """Active subscriptions, read at most once a second (every rating needs them)."""
        now = self._clock()
        if self._subscriptions_cache is None or now >= self._subscriptions_cache[0]:
            found = await self._repo.subscriptions(active_only=True)
            self._subscriptions_cache = (now + SUBSCRIPTIONS_TTL, found)
        return self._subscriptions_cache[1]

    async def _fan_out(self, entry: FeedEntry) -> None:
        """One delivery per (subscription, entry), for the subscriptions that existed when the
        entry was recorded and whose filter matches it."""
        recorded_at = entry.recorded_at or self._clock()
        created = 0
        for sub in await self._active_subscriptions():
            if sub["created_at"] > recorded_at or not filter_of(sub).matches(entry):
                continue
            doc: Document = {
                "_id": f"{sub['_id']}:{entry.entry_id}",
                "subscription_id": sub["_id"],
                "entry_id": entry.entry_id,
                "product_id": entry.product_id,
                "status": DeliveryStatus.PENDING.value,
                "attempt_count": 0,
                "attempts": [],
                "created_at": self._clock(),
                "next_attempt_at": self._clock(),
                "lease_until": datetime(1970, 1, 1, tzinfo=recorded_at.tzinfo),
                "delivered_at": None,
            }
            created += await self._repo.add_delivery(doc)
        if created:
            self._wake_deliveries()


def filter_of(subscription: Document) -> FeedFilter:
    from ocop_promotion.domain.feed import Change

    flt = subscription.get("filter", {})
    return FeedFilter(
        province_codes=tuple(flt.get("province_codes", [])),
        classification_codes=tuple(flt.get("classification_codes", [])),
        min_stars=int(flt.get("min_stars", 3)),
        changes=tuple(Change(c) for c in flt.get("changes", [])),
    )


def _entry_for(event: ProductRated, facts: ProductFacts, now: datetime) -> FeedEntry:
    """The feed entry of a rating that newly certifies or upgrades, recorded `now`."""
    entry = feed_entry_for(event, facts.name, facts)
    assert entry is not None
    return replace(entry, recorded_at=now)


def _newly_starred(event: ProductRated, entry: FeedEntry) -> ProductNewlyStarred:
    assert entry.change is not None
    return ProductNewlyStarred(
        # Derived from the entry: published again after a crash, it is recognisably the same.
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"ocop:promotion:newly-starred:{entry.entry_id}"),
        producer=SERVICE,
        aggregate_id=event.product_id,
        aggregate_version=event.aggregate_version,
        province_code=event.province_code,
        feed_entry_id=entry.entry_id,
        product_id=entry.product_id,
        product_name=entry.product_name,
        change=entry.change.value,
        from_stars=entry.from_stars,
        to_stars=entry.to_stars,
        score=entry.score,
        rated_on=entry.rated_on,
        scoring_set_code=entry.scoring_set_code,
        sector_code=entry.sector_code,
        group_code=entry.group_code,
        commune_code=entry.commune_code,
        entity_id=entry.entity_id,
        entity_name=entry.entity_name,
        **trace_fields(),
    )
