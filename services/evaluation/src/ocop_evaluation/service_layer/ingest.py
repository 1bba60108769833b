"""What evaluation consumes: the registry's products and the certificates a province's register
declares for them, and province systems' ratings.

A province system's rating is checked against the rules (``domain/ingest.py``), then re-emitted as
the product's next canonical ProductRated, held until its product is known, acknowledged as a
re-send of a rating already received (``domain/resends.py``), or refused with a DomainError (a
dead letter with the reason).

The ratings of a consumer's batch are prefetched (:meth:`Ingest.prefetch`): the registry's facts
and the products they rate are read with one ``$in`` each for the whole batch, and each rating
reads them from there (``ocop_platform.batch_reads``); a product saved in the batch is served
as saved to the batch's next rating of it. The check that a held rating's product has not
arrived meanwhile always reads the store. The source ratings of the batch's ratings that pass
their checks are recorded then too, with one write: still each before its product's save (a
record written after it would be missing after a crash between the two, and a re-send under a
new event id would then be re-emitted); a rating rejected later forgets its record as before,
and a redelivered batch finds them recorded by the same messages (handled as the first time).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence

from ocop_contracts import Event, ProductRated, ProductRegistered
from ocop_contracts.events.registry import PriorCertificateDeclared, ProductUpdated
from ocop_evaluation.adapters.stores import ParkedRating, Stores
from ocop_evaluation.domain.ingest import check_province_rating
from ocop_evaluation.domain.products import Product, RegisteredProduct
from ocop_evaluation.domain.resends import Resend, SourceRating, classify, conflict_reason
from ocop_evaluation.service_layer.base import ATTEMPTS, R, TodayFn, UseCases
from ocop_platform.aggregates import ConcurrencyConflict, change
from ocop_platform.batch_reads import BatchCachedStore, BatchReads
from ocop_platform.consumer import Outcome
from ocop_platform.errors import Conflict, DomainError
from ocop_platform.mongo import Document

log = logging.getLogger(__name__)


class Ingest(UseCases):
    def __init__(self, stores: Stores, today: TodayFn) -> None:
        super().__init__(stores, today)
        self._facts: BatchReads[RegisteredProduct] = BatchReads("ingest-facts")
        self._products: BatchReads[Document] = BatchReads("ingest-products")
        # Source-rating key → the event id whose record the batch wrote (used up once).
        self._recorded: BatchReads[str] = BatchReads("ingest-recorded")

    @contextlib.asynccontextmanager
    async def prefetch(self, events: Sequence[Event]) -> AsyncIterator[None]:
        """Read the facts and products a batch's ratings need, one ``$in`` each, record their
        source ratings with one write, and serve all that to the batch's handling; dropped when
        the batch ends."""
        ratings = [e for e in events if isinstance(e, ProductRated)]
        ids = list(dict.fromkeys(e.product_id for e in ratings))
        if not ids:
            yield
            return
        known = await self.stores.registered.get_many(ids)
        # Products only of known facts: a rating of an unknown product is held, not applied.
        products = await self._cached_products().read_many([i for i in ids if i in known])
        facts: dict[str, RegisteredProduct | None] = {i: known.get(i) for i in ids}
        sources = _first_sources(ratings, known)
        recorded = await self.stores.sources.record_many(sources)
        mine = {s.key: s.event_id for s in sources if s.key in recorded}
        with self._facts.scope(facts), self._products.scope(products), self._recorded.scope(mine):
            yield

    async def change_product(self, product_id: str, command: Callable[[Product], R]) -> R:
        """As every use case's, with the product as the batch read or saved it."""
        return await change(
            self._cached_products(), product_id, command, kind="product", attempts=ATTEMPTS
        )

    def _cached_products(self) -> BatchCachedStore[Product]:
        return BatchCachedStore(self.stores.products, Product, self._products)

    async def on_product_registered(self, event: ProductRegistered | ProductUpdated) -> None:
        """Registered or updated (same fields): keep what evaluation needs, newest wins."""
        # The product's aggregate first: a product known here always has one.
        await self.stores.products.add_many([Product(id=event.product_id)])
        await self.stores.registered.remember(event)
        if await self.stores.parked.any():
            await self._release_held(event.product_id)

    async def on_prior_certificate_declared(self, event: PriorCertificateDeclared) -> None:
        """Adopt a certificate issued before the platform (origin imported), once; a DomainError
        (its number held by another product, rules it breaks) dead-letters it with the reason."""
        facts = await self.registered(event.product_id)  # its ProductRegistered came first
        await self._claim_prior(event)
        try:
            await self.change_product(
                facts.product_id, lambda product: product.adopt_prior_certificate(facts, event)
            )
        except DomainError:
            product = await self.product(facts.product_id)
            if not product.holds(event.certificate_id):  # never adopted: the number is free
                await self.stores.certificates.release(event.certificate_id)
            raise

    async def _claim_prior(self, event: PriorCertificateDeclared) -> None:
        """Index the number for this product; already this product's: a redelivery, or an
        earlier attempt that stopped before the product's write."""
        if await self.stores.certificates.claim(event.certificate_id, event.product_id):
            return
        holder = await self.stores.certificates.product_of(event.certificate_id)
        if holder != event.product_id:
            raise Conflict(
                f"certificate {event.certificate_id} is held by product {holder}",
                field="certificate_id",
            )

    async def on_ingested_rating(self, event: ProductRated) -> Outcome | None:
        """Check a province system's rating; re-emit it, hold it, acknowledge a re-send
        (Outcome.DUPLICATE), or raise DomainError (→ dead letter with the reason)."""
        check_province_rating(event)
        facts = await self._registered_or_none(event.product_id)
        if facts is not None:
            facts.ensure_rated_in_its_province(event)
        source = SourceRating.of(event)
        if source is not None and await self._is_resend(source, event):
            return Outcome.DUPLICATE
        try:
            if facts is None:
                await self._hold(event)
            else:
                await self._apply(facts, event)
        except DomainError:
            await self._forget(source)
            raise
        return None

    async def _registered_or_none(self, product_id: str) -> RegisteredProduct | None:
        """The facts as the batch read them (see the module's docstring), or the store's."""
        hit, facts = self._facts.cached(product_id)
        return facts if hit else await self.stores.registered.get(product_id)

    async def _is_resend(self, source: SourceRating, event: ProductRated) -> bool:
        """Record the first message of a source rating; True for a duplicate of it, DomainError
        for a conflicting one."""
        if self._recorded_by_batch(source):
            return False
        for _ in range(3):  # the first message's record may be forgotten meanwhile (rejected)
            if await self.stores.sources.record(source):
                return False
            first = await self.stores.sources.get(source.key)
            if first is None:
                continue
            verdict = classify(first, source)
            if verdict is Resend.CONFLICT:
                raise DomainError(conflict_reason(first, source), field="source_rating_id")
            if verdict is Resend.DUPLICATE:
                log.info(
                    "duplicate ingest rating acknowledged",
                    extra={
                        "source_rating_id": source.source_rating_id,
                        "source_system": event.producer,
                        "event_id": source.event_id,
                        "first_event_id": first.event_id,
                        "product_id": event.product_id,
                    },
                )
                return True
            return False  # the same message redelivered: handled as the first time
        raise RuntimeError(f"could not record source rating {source.key}")

    def _recorded_by_batch(self, source: SourceRating) -> bool:
        """This very message's record was written by the batch's prefetch (once: a retry of
        the message then finds it recorded by itself, as a redelivery does)."""
        hit, event_id = self._recorded.cached(source.key)
        if not hit or event_id != source.event_id:
            return False
        self._recorded.drop(source.key)
        return True

    async def _forget(self, source: SourceRating | None) -> None:
        """A rejected rating never became its source rating's rating."""
        if source is not None:
            await self.stores.sources.forget(source)

    async def _hold(self, event: ProductRated) -> None:
        if await self.stores.parked.park(event, await self.today()):
            log.info(
                "held ingest rating until its product is known",
                extra={"event_id": str(event.event_id), "product_id": event.product_id},
            )
        # The product may have arrived while this was parked: release it now if so.
        if await self.stores.registered.get(event.product_id) is not None:
            await self._release_held(event.product_id)

    async def _apply(self, facts: RegisteredProduct, event: ProductRated) -> None:
        try:
            await self.change_product(
                facts.product_id, lambda product: product.rate_from_province_system(facts, event)
            )
        except ConcurrencyConflict as exc:
            # Busy, not wrong: the consumer retries the message instead of dead-lettering it.
            raise RuntimeError(f"could not apply ingest rating {event.event_id}: busy") from exc

    async def _release_held(self, product_id: str) -> None:
        facts = await self.stores.registered.get(product_id)
        if facts is None:
            return
        for parked in await self.stores.parked.of_product(product_id):
            await self._release(facts, parked)

    async def _release(self, facts: RegisteredProduct, parked: ParkedRating) -> None:
        try:
            await self._apply(facts, parked.rating)
        except DomainError as exc:
            await self.stores.parked.reject(parked, exc.message)
            await self._forget(SourceRating.of(parked.rating))
            log.warning("held ingest rating rejected", extra={"reason": exc.message})
            return
        await self.stores.parked.release(parked)


def _first_sources(
    ratings: Sequence[ProductRated], known: dict[str, RegisteredProduct]
) -> list[SourceRating]:
    """The source ratings a batch may record before handling it: of ratings that pass the
    checks made before recording (the others are never recorded), the first of each key."""
    sources: dict[str, SourceRating] = {}
    for rating in ratings:
        source = SourceRating.of(rating)
        if source is None or source.key in sources:
            continue
        try:
            check_province_rating(rating)
            if (facts := known.get(rating.product_id)) is not None:
                facts.ensure_rated_in_its_province(rating)
        except DomainError:
            continue
        sources[source.key] = source
    return list(sources.values())
