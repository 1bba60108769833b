"""Registry use cases: load → check the caller's rights → call the aggregate → save.

The aggregates check the rules and record the events (``domain/producers.py``,
``domain/products.py``); the stores write state and events in one write (``adapters/``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import date
from typing import TypeVar, get_args
from uuid import uuid4

from ocop_contracts import Event
from ocop_contracts.clock import SYSTEM_CLOCK, Clock
from ocop_platform.aggregates import Aggregate, AggregateStore, ConcurrencyConflict, change
from ocop_platform.batch_reads import BatchCachedStore, BatchReads
from ocop_platform.errors import Conflict, DomainError, NotFound
from ocop_platform.mongo import Document
from ocop_registry.adapters.stores import RegistryStores
from ocop_registry.domain import rules
from ocop_registry.domain.codes import GivenCode, check_given_code, lookup_key, parse_product_code
from ocop_registry.domain.commands import (
    AddAccount,
    RegisterEntity,
    RegisterProduct,
    UpdateEntity,
    UpdateProduct,
    WithdrawProduct,
)
from ocop_registry.domain.duplicates import NearDuplicate, near_duplicates
from ocop_registry.domain.idempotency import IdempotentRequest
from ocop_registry.domain.ingest import ENTITY_PREFIX, PRODUCT_PREFIX, IngestSource
from ocop_registry.domain.lifecycle import EvaluationEvent
from ocop_registry.domain.model import product_code
from ocop_registry.domain.producers import Producer
from ocop_registry.domain.products import Product
from ocop_registry.domain.search import MAX_PAGE_SIZE, SearchFilters
from ocop_registry.service_layer.access import (
    Caller,
    ensure_backfill,
    ensure_write,
    may_read,
)

A = TypeVar("A", bound=Aggregate)
T = TypeVar("T")
PRODUCER_CHANGED = "the producer changed meanwhile; reload and retry"
PRODUCT_CHANGED = "the product changed meanwhile; reload and retry"
EDIT_ATTEMPTS = 3  # a caller's edit, redone after another save in between


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid4().hex[:12]}"


class RegistryService:
    def __init__(self, stores: RegistryStores, clock: Clock = SYSTEM_CLOCK) -> None:
        self._stores = stores
        self._products = stores.products
        self._producers = stores.producers
        self._catalogue = stores.catalogue
        self._clock = clock
        # The products a batch of evaluation's events is about, read with one $in per batch
        # (see prefetch_evaluated); outside a batch, the products store itself.
        self._evaluated_reads: BatchReads[Document] = BatchReads("registry-evaluated")
        self._evaluated = BatchCachedStore(stores.products, Product, self._evaluated_reads)

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def stores(self) -> RegistryStores:
        return self._stores

    # --- producers -----------------------------------------------------------------------

    async def register_entity(
        self,
        cmd: RegisterEntity,
        caller: Caller,
        *,
        entity_id: str | None = None,
        source: IngestSource | None = None,
        fingerprint: str | None = None,
    ) -> Producer:
        """``entity_id`` and ``source`` (the province system's record): set by the ingest;
        ``entity_id`` and ``fingerprint``: by an idempotent request (register_entity_once)."""
        rules.check_unit(cmd.province_code, cmd.commune_code)
        ensure_write(caller, cmd.province_code, cmd.commune_code)
        self._ensure_may_date(caller, cmd.registered_on, cmd.province_code)
        now = self._clock.now()
        producer = Producer.register(
            entity_id or new_id(ENTITY_PREFIX),
            cmd,
            now,
            source=source,
            request_fingerprint=fingerprint,
        )
        await self._refuse_second_registration(producer)
        await self._producers.add(producer)
        return producer

    async def register_entity_once(
        self, cmd: RegisterEntity, caller: Caller, key: str
    ) -> tuple[Producer, bool]:
        """POST /entities with an Idempotency-Key: the producer and whether an earlier request
        with this key (and this body) registered it (domain/idempotency.py)."""
        request = IdempotentRequest(caller.subject, key, cmd)
        entity_id = request.aggregate_id(ENTITY_PREFIX)

        async def earlier() -> Producer | None:
            producer = await self._producers.get(entity_id)
            if producer is not None:
                _ensure_producer_write(caller, producer)
                request.check_repeat(entity_id, producer.request_fingerprint)
            return producer

        return await create_once(
            earlier,
            lambda: self.register_entity(
                cmd, caller, entity_id=entity_id, fingerprint=request.fingerprint
            ),
        )

    def _ensure_may_date(self, caller: Caller, day: date | None, province_code: str) -> None:
        """Only a province office back-dates a registration (today's date is anyone's)."""
        if day is not None and day < self._clock.today():
            ensure_backfill(caller, province_code)

    async def _refuse_second_registration(self, producer: Producer) -> None:
        key = producer.registration_key
        if key is None:
            return
        existing = (await self._catalogue.producers_registered_as([key])).get(key)
        if existing is not None:
            raise Conflict(
                f"a producer with this registration is already registered: {existing.id}",
                field="tax_code" if producer.tax_code else "registration_number",
            )

    async def get_entity(self, entity_id: str) -> Producer:
        producer = await self._producers.get(entity_id)
        if producer is None:
            raise NotFound(f"no producer {entity_id}", field="entity_id")
        return producer

    def may_see_personal_data(self, producer: Producer, caller: Caller | None) -> bool:
        if caller is None:
            return False
        return may_read(
            caller,
            producer.province_code,
            producer.commune_code,
            entity_id=producer.id,
            accounts=producer.accounts,
        )

    async def update_entity(self, entity_id: str, cmd: UpdateEntity, caller: Caller) -> Producer:
        producer = await self.get_entity(entity_id)
        _ensure_producer_write(caller, producer)
        if (unit := producer.moves_to(cmd)) is not None:
            rules.check_unit(*unit)
            ensure_write(caller, *unit)
        producer.update(cmd, self._clock.now())
        await _save(self._producers, producer, PRODUCER_CHANGED, "entity_id")
        for product in await self._catalogue.products_of(producer.id):
            await _save_or_redo(self._products, product, lambda p: p.follow(producer))
        return producer

    async def add_account(self, entity_id: str, cmd: AddAccount, caller: Caller) -> Producer:
        producer = await self.get_entity(entity_id)
        _ensure_producer_write(caller, producer)
        if producer.add_account(cmd.subject):
            await _save(
                self._producers, producer, "the producer changed meanwhile; retry", "entity_id"
            )
        return producer

    # --- products ------------------------------------------------------------------------

    async def register_product(
        self,
        cmd: RegisterProduct,
        caller: Caller,
        *,
        product_id: str | None = None,
        source: IngestSource | None = None,
        fingerprint: str | None = None,
    ) -> tuple[Product, list[NearDuplicate]]:
        """``product_id`` and ``source`` (the province system's record): set by the ingest;
        ``product_id`` and ``fingerprint``: by an idempotent request (register_product_once)."""
        producer = await self._producers.get(cmd.entity_id)
        if producer is None:
            raise DomainError(f"no producer {cmd.entity_id}", field="entity_id")
        _ensure_producer_write(caller, producer)
        self._ensure_may_date(caller, cmd.registered_on, producer.province_code)
        classification = rules.classify(
            cmd.scoring_set_code, producer.legal_form, cmd.legacy_classification
        )
        given = await self._given_code(cmd, producer)
        candidates = await self._catalogue.near_duplicate_candidates(
            producer.province_code, cmd.name
        )
        warnings = near_duplicates(cmd.name, producer.commune_code, candidates)
        product = Product.draft(
            product_id or new_id(PRODUCT_PREFIX),
            cmd,
            producer,
            classification,
            self._clock.now(),
            given=given,
            warnings=warnings,
            source=source,
            request_fingerprint=fingerprint,
        )
        if not cmd.draft:
            await self._register(product)
        await self._products.add(product)
        return product, warnings

    async def register_product_once(
        self, cmd: RegisterProduct, caller: Caller, key: str
    ) -> tuple[tuple[Product, list[NearDuplicate]], bool]:
        """POST /products with an Idempotency-Key: the product with the warnings of its
        registration, and whether an earlier request with this key (and this body) registered
        it (domain/idempotency.py). An attempt cut short after its code was allocated leaves
        that number unused (as any failed registration does); never a second product."""
        request = IdempotentRequest(caller.subject, key, cmd)
        product_id = request.aggregate_id(PRODUCT_PREFIX)

        async def earlier() -> tuple[Product, list[NearDuplicate]] | None:
            product = await self._products.get(product_id)
            if product is None:
                return None
            await self._ensure_product_write(caller, product)
            request.check_repeat(product_id, product.request_fingerprint)
            return product, list(product.near_duplicates)

        return await create_once(
            earlier,
            lambda: self.register_product(
                cmd, caller, product_id=product_id, fingerprint=request.fingerprint
            ),
        )

    async def _given_code(self, cmd: RegisterProduct, producer: Producer) -> GivenCode:
        """The code the registration gives, checked; a legacy code must be free."""
        legacy_address = producer.legacy_address
        given = check_given_code(
            cmd.product_code,
            cmd.year,
            producer.province_code,
            producer.commune_code,
            legacy_address.province_code if legacy_address else None,
        )
        code = given.legacy_code
        if code is not None and await self._catalogue.taken_legacy_codes([code]):
            raise Conflict(f"product code {code} is taken", field="product_code")
        return given

    async def _register(self, product: Product) -> None:
        """Allocate the product's code (or keep its given number) and register it."""
        product.check_registrable()
        sequence = await self._stores.sequences.next(
            product.province_code,
            product.commune_code,
            product.year,
            at_least=product.given_sequence,
        )
        code = product_code(product.province_code, product.commune_code, sequence, product.year)
        product.register(code, self._clock.now())

    async def submit_draft(self, product_id: str, caller: Caller) -> Product:
        """Register a draft: allocate its code and publish ProductRegistered."""
        product = await self.get_product(product_id)
        await self._ensure_product_write(caller, product)
        await self._register(product)
        await _save(self._products, product, "the draft changed meanwhile; retry", "product_id")
        return product

    async def get_product(self, product_id: str) -> Product:
        product = await self._products.get(product_id)
        if product is None:
            raise NotFound(f"no product {product_id}", field="product_id")
        return product

    async def _ensure_product_write(self, caller: Caller, product: Product) -> None:
        producer = await self._producers.get(product.entity_id)
        ensure_write(
            caller,
            product.province_code,
            product.commune_code,
            entity_id=product.entity_id,
            accounts=producer.accounts if producer else (),
        )

    async def update_product(self, product_id: str, cmd: UpdateProduct, caller: Caller) -> Product:
        now = self._clock.now()
        return await self._edit_product(product_id, caller, lambda p: p.update(cmd, now))

    async def withdraw_product(
        self, product_id: str, cmd: WithdrawProduct, caller: Caller
    ) -> Product:
        day = cmd.withdrawn_on or self._clock.today()
        return await self._edit_product(
            product_id, caller, lambda p: p.withdraw(day, cmd.reason, caller.subject)
        )

    async def _edit_product(
        self, product_id: str, caller: Caller, edit: Callable[[Product], object]
    ) -> Product:
        """A caller's edit, made again from a fresh load when a reaction (evaluation's stars)
        saved the product in between: the request names no version, so nothing the caller saw
        is contradicted. Still changing after EDIT_ATTEMPTS: the caller's 409."""
        for attempt in range(1, EDIT_ATTEMPTS + 1):
            product = await self.get_product(product_id)
            await self._ensure_product_write(caller, product)
            edit(product)
            try:
                await self._products.save(product)
            except ConcurrencyConflict as conflict:
                if attempt == EDIT_ATTEMPTS:
                    raise Conflict(PRODUCT_CHANGED, field="product_id") from conflict
                continue
            return product
        raise AssertionError("unreachable")  # pragma: no cover

    # --- reading -------------------------------------------------------------------------

    async def lookup(self, payload: str) -> Product:
        """Find a product by its code (QĐ26 or legacy), a certificate number or a QR payload."""
        key = lookup_key(payload)
        if not key:
            raise DomainError("nothing to look up", field="q")
        parsed = parse_product_code(key)
        if parsed is None:
            field = "certificate.certificate_id"
        else:
            field = "legacy_product_code" if parsed.legacy else "code_key"
        product = await self._catalogue.product_with(field, key)
        if product is None or product.is_draft:
            raise NotFound(f"no OCOP product or certificate {key!r}", field="q")
        return product

    async def search(
        self, filters: SearchFilters, page: int, page_size: int
    ) -> tuple[list[Product], int]:
        size = min(page_size, MAX_PAGE_SIZE)
        return await self._catalogue.search(filters, skip=(page - 1) * size, limit=size)

    # --- evaluation's events -------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def prefetch_evaluated(self, events: Sequence[Event]) -> AsyncIterator[None]:
        """Read the products of a batch of evaluation's events with one ``$in`` and serve them
        to its handling (a product saved in the batch is served as saved)."""
        evaluated = get_args(EvaluationEvent)
        ids = [e.product_id for e in events if isinstance(e, evaluated)]
        with self._evaluated_reads.scope(await self._evaluated.read_many(ids)):
            yield

    async def on_evaluation_event(self, event: EvaluationEvent) -> None:
        """Keep stars, certificate and status current; older or repeated events change nothing."""
        product = await self._evaluated.get(event.product_id)
        if product is None:
            raise DomainError(f"no product {event.product_id} in the registry", field="product_id")
        await _save_or_redo(self._evaluated, product, lambda p: p.apply_evaluation(event))


def _ensure_producer_write(caller: Caller, producer: Producer) -> None:
    ensure_write(
        caller,
        producer.province_code,
        producer.commune_code,
        entity_id=producer.id,
        accounts=producer.accounts,
    )


async def create_once(
    earlier: Callable[[], Awaitable[T | None]], create: Callable[[], Awaitable[T]]
) -> tuple[T, bool]:
    """What an idempotent request created earlier (True), else what it creates now (False).
    The record's id (an aggregate's, an import job's) comes from the request's key, so its
    insert is the guard: an attempt of the same request that saved it meanwhile (in flight
    alongside) makes this one's insert, or a uniqueness check before it, a Conflict, answered
    with what that attempt saved."""
    if (found := await earlier()) is not None:
        return found, True
    try:
        created = await create()
    except Conflict:
        if (found := await earlier()) is None:
            raise
        return found, True
    # Answered as stored (times to the millisecond, as BSON keeps them), so that a repeat's
    # answer is the first one's to the letter.
    return await earlier() or created, False


async def _save(store: AggregateStore[A], loaded: A, changed: str, field: str) -> None:
    """Save a change a caller asked for; someone else's save in between is the caller's 409."""
    try:
        await store.save(loaded)
    except ConcurrencyConflict as conflict:
        raise Conflict(changed, field=field) from conflict


async def _save_or_redo(store: AggregateStore[A], loaded: A, command: Callable[[A], bool]) -> None:
    """Apply ``command`` (False: nothing to do) to an aggregate already loaded and save it; when
    another writer saved it meanwhile, again from a fresh load (a reaction: no one to answer
    with a 409)."""
    if not command(loaded):
        return
    try:
        await store.save(loaded)
    except ConcurrencyConflict:
        await change(store, loaded.id, command, kind=loaded.kind, attempts=5)
