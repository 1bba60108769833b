"""At-least-once consumption in batches, with bounded retries and a dead-letter topic.

Each subscription lists the event types it handles (one routing table per service). A poll
returns up to ``batch_size`` records; each one, in order: decode and validate → on failure,
dead-letter it with the reason; run the handler → on a domain rule it breaks, dead-letter it at
once; on any other error retry a bounded number of times, then dead-letter; on a store or broker
outage, stop and raise, so nothing of the batch is committed and Kafka redelivers all of it
(nothing is dead-lettered for an outage). The offsets are committed once, after the whole batch,
so a crash redelivers and the handlers (idempotent by design) absorb the repeat.

A subscription's ``prefetch`` hook is given the batch's readable events before they are handled
and wraps their handling: a handler set reads what the batch needs with one query per
collection (``ocop_platform.batch_reads``) instead of one per message. It only saves reads: each
message is still handled, retried and dead-lettered on its own. Its context exits before the
batch's offsets are committed, so it may also hold writes of the batch's handlers and make them
once at the end (reporting's summaries); the outbox markers of the batch's writes are held and
written at its end too (``ocop_platform.outbox.markers_deferred``).

The batch's end (those held writes) may fail. On an outage it is as above: raise, nothing is
committed, Kafka redelivers the batch and its handlers make the writes again. Any other error
there (a document too large, a write the store refuses, a bug) would fail the same way on every
redelivery and stall the partition: so it is logged and the batch's records are applied again,
one at a time, without holding anything (no prefetch; each write's markers written with it), so
that a message whose own writes fail is retried and dead-lettered alone, with its reason, and
the batch is committed. The handlers are idempotent, so applying a message twice is safe. A
record dead-lettered in the first pass is not applied again (its letter is sent already), and
the counters count each record once, by its final outcome: ``handled`` and ``duplicates`` as the
first pass found them, less a handled message the second pass dead-lettered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, Protocol

from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.annotations import KafkaMessage
from pymongo.errors import ConnectionFailure

from ocop_contracts import Event, UnknownEventType, UnreadableEvent, parse_event, type_name
from ocop_contracts.topics import INGEST, dead_letter_topic, ingest_limit
from ocop_platform.errors import DomainError
from ocop_platform.logging import correlation_scope
from ocop_platform.outbox import markers_deferred

Handler = Callable[[Any], Awaitable[object]]
# Given a batch's readable events, in poll order; its context wraps their handling.
Prefetch = Callable[[Sequence[Event]], AbstractAsyncContextManager[None]]
log = logging.getLogger(__name__)

# An outage is not the message's fault: redeliver it later instead of dead-lettering it.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionFailure,
    KafkaConnectionError,
    KafkaTimeoutError,
    TimeoutError,
)


class Outcome(StrEnum):
    """What a handler may return to say more than "handled" (None says just that)."""

    DUPLICATE = "duplicate"  # a re-send of something already handled: acknowledged, no effect


class _Applied(StrEnum):
    """What became of one record (the dispatcher counts it by this)."""

    HANDLED = "handled"
    DUPLICATE = "duplicate"  # handled, and its handler recognised a re-send
    DEAD_LETTERED = "dead-lettered"
    SKIPPED = "skipped"  # an unknown type on a canonical topic


@dataclass(frozen=True)
class Subscription:
    """One topic and the handler of each event type this service reacts to on it."""

    topic: str
    handlers: Mapping[type[Event], Handler]
    # Canonical topics grow additively, so an unknown type is skipped; on an ingest topic it is
    # a province system's mistake and goes to the dead-letter topic.
    unknown_types: Literal["skip", "dead_letter"] = "skip"
    # Rules a publisher must know (AsyncAPI), after the list of accepted types.
    description: str = ""
    # Reads for the whole batch before its messages are handled (see the module's docstring).
    # An optimisation only: the handlers must read the store themselves on a miss. Its exit runs
    # before the commit and may make held writes: an outage there redelivers the batch, any
    # other error applies its records again one by one without it (and dead-letters alone those
    # whose writes fail).
    prefetch: Prefetch | None = None
    # Records per poll on this topic, when not the service's OCOP_CONSUMER_BATCH_SIZE: e.g. an
    # ingest topic that receives a province's whole round at once, whose batch costs a few
    # store round trips of its own (prefetch, markers, a relay pass) however many it holds.
    batch_size: int | None = None
    accepted: Mapping[str, type[Event]] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "accepted", {type_name(cls): cls for cls in self.handlers})

    @property
    def from_outside(self) -> bool:
        """An ingest topic: province systems publish here, so sizes are limited."""
        return self.topic in INGEST

    def oversize(self, raw: bytes, type_name: str | None) -> str | None:
        """Why ``raw`` is too large for this topic (None when it is not). Before parsing,
        ``type_name`` is None and the largest limit of the accepted types applies."""
        if not self.from_outside:
            return None
        names = [type_name] if type_name is not None else list(self.accepted)
        limit = max((ingest_limit(name) for name in names), default=0)
        if len(raw) <= limit:
            return None
        what = type_name or f"message (unread; accepted: {', '.join(names)})"
        return f"{what} of {len(raw):,} bytes exceeds the ingest limit of {limit:,} bytes"


@dataclass(frozen=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    reason: str
    attempts: int


class DeadLetterSink(Protocol):
    """Where the dispatcher puts what it rejects (a replay only counts them: sent live already)."""

    async def send(self, letter: DeadLetter) -> None: ...


class DeadLetterPublisher:
    """Writes the original bytes to ``<topic>.dlq`` with the reason in headers."""

    def __init__(self, broker: KafkaBroker, consumer_name: str) -> None:
        self._broker = broker
        self._consumer_name = consumer_name

    async def send(self, letter: DeadLetter) -> None:
        headers = {
            "x-dlq-reason": letter.reason[:2000],
            "x-dlq-consumer": self._consumer_name,
            "x-original-topic": letter.topic,
            "x-original-partition": str(letter.partition),
            "x-original-offset": str(letter.offset),
            "x-dlq-attempts": str(letter.attempts),
        }
        await self._broker.publish(
            letter.value, dead_letter_topic(letter.topic), key=letter.key, headers=headers
        )
        log.warning(
            "dead-lettered message",
            extra={"topic": letter.topic, "offset": letter.offset, "reason": letter.reason},
        )


class Dispatcher:
    """Routes Kafka messages (one, or a batch) to their handlers, with the policy above."""

    def __init__(
        self,
        dead_letters: DeadLetterSink,
        *,
        max_attempts: int = 3,
        backoff_seconds: float = 0.2,
    ) -> None:
        self._dead_letters = dead_letters
        self._max_attempts = max_attempts
        self._backoff_seconds = backoff_seconds
        self.handled = 0
        self.dead_lettered = 0
        self.duplicates = 0  # handled messages a handler recognised as re-sends

    async def dispatch(self, subscription: Subscription, msg: KafkaMessage) -> None:
        """Apply one message, or a batch in poll order (which keeps each partition's order, so
        each key's). An outage propagates at once: the caller must not commit the batch.
        The outbox markers of the batch's writes are written once, at its end (and before
        the commit): one marker insert and one relay pass per batch, not per message. When
        that end fails otherwise, the records are applied again one by one (module docstring)."""
        records = _records(msg)
        decoded = [_decode(subscription, raw) for _, raw in records]
        first: list[_Applied] = []
        try:
            await self._apply_batch(subscription, records, decoded, first)
        except TRANSIENT_ERRORS:
            raise
        except Exception:
            if len(first) < len(records):  # a record's own failure, not the batch's end
                raise
            log.exception(
                "a batch's end failed; its records are applied again one at a time",
                extra={"topic": subscription.topic, "records": len(records)},
            )
            await self._apply_alone(subscription, records, decoded, first)

    async def dispatch_record(self, subscription: Subscription, record: Any, raw: bytes) -> None:
        """Apply one record read from Kafka (its topic, partition, offset, key) whose bytes are
        ``raw``. Public for replays: a rebuild reads the topics itself and applies each record
        with the same parsing, routing and policy as live consumption."""
        self._count(await self._apply(subscription, record, raw, _decode(subscription, raw)))

    async def _apply_batch(
        self,
        subscription: Subscription,
        records: list[tuple[Any, bytes]],
        decoded: list[Decoded],
        applied: list[_Applied],
    ) -> None:
        """Apply the records inside the batch's contexts, appending what became of each to
        ``applied`` (so the caller knows, on an error, whether all of them were applied)."""
        events = [item for item in decoded if isinstance(item, Event)]
        async with markers_deferred(), contextlib.AsyncExitStack() as batch:
            await self._prefetch(batch, subscription, events)
            for (record, raw), item in zip(records, decoded, strict=True):
                applied.append(await self._apply(subscription, record, raw, item))
                self._count(applied[-1])
                # Let waiting tasks run between records. pymongo's pool hands a returned
                # connection to whoever asks first, and the loop asks again at once: on
                # FerretDB's single connection a batch applied back to back would starve the
                # HTTP requests.
                await asyncio.sleep(0)

    async def _apply_alone(
        self,
        subscription: Subscription,
        records: list[tuple[Any, bytes]],
        decoded: list[Decoded],
        first: list[_Applied],
    ) -> None:
        """Apply the records again outside the batch's contexts: each one's writes (and their
        outbox markers, ``markers_deferred`` not being entered) are made as it is handled. Only a
        record this pass dead-letters changes the counters: it was counted handled before."""
        for (record, raw), item, before in zip(records, decoded, first, strict=True):
            if before is _Applied.DEAD_LETTERED:
                continue  # its letter is sent already
            if await self._apply(subscription, record, raw, item) is _Applied.DEAD_LETTERED:
                self._uncount(before)
            await asyncio.sleep(0)  # as in _apply_batch

    def _count(self, applied: _Applied) -> None:
        """Count a record handled (dead letters are counted as they are sent)."""
        if applied in (_Applied.HANDLED, _Applied.DUPLICATE):
            self.handled += 1
        if applied is _Applied.DUPLICATE:
            self.duplicates += 1

    def _uncount(self, applied: _Applied) -> None:
        if applied in (_Applied.HANDLED, _Applied.DUPLICATE):
            self.handled -= 1
        if applied is _Applied.DUPLICATE:
            self.duplicates -= 1

    async def _prefetch(
        self, batch: contextlib.AsyncExitStack, subscription: Subscription, events: list[Event]
    ) -> None:
        """Enter the subscription's prefetch for ``events``. An outage stops the batch (nothing
        is committed); any other failure only costs the reads it would have saved."""
        if subscription.prefetch is None or not events:
            return
        try:
            await batch.enter_async_context(subscription.prefetch(events))
        except TRANSIENT_ERRORS:
            raise
        except Exception:
            log.exception("batch prefetch failed; its messages read the store one by one")

    async def _apply(
        self, subscription: Subscription, record: Any, raw: bytes, item: Decoded
    ) -> _Applied:
        if isinstance(item, Rejected):
            await self._dead_letter(record, raw, item.reason, attempts=0)
            return _Applied.DEAD_LETTERED
        if item is None:
            return _Applied.SKIPPED
        handler = subscription.handlers[type(item)]
        with correlation_scope(str(item.correlation_id), causation_id=str(item.event_id)):
            return await self._handle_with_retries(handler, item, record, raw)

    async def _handle_with_retries(
        self, handler: Handler, event: Event, record: Any, raw: bytes
    ) -> _Applied:
        for attempt in range(1, self._max_attempts + 1):
            try:
                outcome = await handler(event)
            except TRANSIENT_ERRORS:
                await asyncio.sleep(self._backoff_seconds)
                raise  # nack: redelivered once the outage is over
            except DomainError as exc:
                if not exc.retryable:
                    # A rule the message breaks will break again: no point retrying.
                    where = f" ({exc.field})" if exc.field else ""
                    reason = f"{event.type} rejected{where}: {exc.message}"
                    await self._dead_letter(record, raw, reason, attempts=attempt)
                    return _Applied.DEAD_LETTERED
                if attempt == self._max_attempts:  # e.g. a concurrent save, again and again
                    reason = f"{event.type} handler failed {attempt}×: {exc.message}"
                    await self._dead_letter(record, raw, reason, attempts=attempt)
                    return _Applied.DEAD_LETTERED
                await asyncio.sleep(self._backoff_seconds * 2 ** (attempt - 1))
            except Exception as exc:
                if attempt == self._max_attempts:
                    reason = f"{event.type} handler failed {attempt}×: {type(exc).__name__}: {exc}"
                    log.exception("handler gave up", extra={"event_id": str(event.event_id)})
                    await self._dead_letter(record, raw, reason, attempts=attempt)
                    return _Applied.DEAD_LETTERED
                await asyncio.sleep(self._backoff_seconds * 2 ** (attempt - 1))
            else:
                return _Applied.DUPLICATE if outcome is Outcome.DUPLICATE else _Applied.HANDLED
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _dead_letter(self, record: Any, raw: bytes, reason: str, attempts: int) -> None:
        letter = DeadLetter(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=raw,
            reason=reason,
            attempts=attempts,
        )
        await self._dead_letters.send(letter)
        self.dead_lettered += 1  # only once it is out: a failed send is nacked and redelivered


@dataclass(frozen=True)
class Rejected:
    """Why a record is dead-lettered before any handler sees it."""

    reason: str


# A record's event, why it is dead-lettered, or None: skipped (unknown type, canonical topic).
Decoded = Event | Rejected | None


def _decode(subscription: Subscription, raw: bytes) -> Decoded:
    """Parse and check ``raw`` against what ``subscription`` accepts (no I/O)."""
    if too_large := subscription.oversize(raw, None):  # never parse a huge message
        return Rejected(too_large)
    try:
        event = parse_event(raw, subscription.accepted)
    except UnknownEventType as exc:
        if subscription.unknown_types == "skip":
            log.debug("skipping unknown event type", extra={"type": exc.type_name})
            return None
        return Rejected(exc.reason)
    except UnreadableEvent as exc:
        return Rejected(exc.reason)
    if too_large := subscription.oversize(raw, event.type):
        return Rejected(too_large)
    return event


def _records(msg: KafkaMessage) -> list[tuple[Any, bytes]]:
    """(record, its bytes) of a message or of a batch subscriber's message, in poll order."""
    if isinstance(msg.raw_message, tuple):
        return [_with_bytes(r, body) for r, body in zip(msg.raw_message, msg.body, strict=True)]
    return [_with_bytes(msg.raw_message, msg.body)]


def _with_bytes(record: Any, body: Any) -> tuple[Any, bytes]:
    return record, record.value if isinstance(record.value, bytes) else bytes(body)


# How long a poll waits for a first record when there is none. FastStream then sleeps as long
# again before the next poll, so an idle consumer picks up a new record within about 2× this.
BATCH_WAIT_MS = 100


def consumer_router(
    subscriptions: Sequence[Subscription],
    dispatcher: Dispatcher,
    group_id: str,
    *,
    batch_size: int = 1,
) -> KafkaRouter:
    """The one KafkaRouter of a service: a subscriber per topic, committed after handling.

    With ``batch_size`` > 1 (or a subscription's own ``batch_size``) a subscriber takes up to
    that many records per poll and commits once after all of them. On an error (an outage:
    the dispatcher handles every other one) NACK_ON_ERROR commits nothing and seeks each
    partition of the batch back to its first record, so the whole batch is redelivered
    (faststream.kafka.message.KafkaAckableMessage).
    """
    router = KafkaRouter()
    for subscription in subscriptions:
        router.subscriber(
            subscription.topic,
            group_id=group_id,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            auto_offset_reset="earliest",
            title=f"{group_id}:{subscription.topic}",
            description=_describe(subscription),
            **_batching(subscription.batch_size or batch_size),
        )(_bind(dispatcher, subscription))
    return router


def _batching(batch_size: int) -> dict[str, Any]:
    if batch_size <= 1:
        return {}
    return {"batch": True, "max_records": batch_size, "batch_timeout_ms": BATCH_WAIT_MS}


def _describe(subscription: Subscription) -> str:
    types = ", ".join(sorted(subscription.accepted))
    return f"{types}\n\n{subscription.description}" if subscription.description else types


def _bind(dispatcher: Dispatcher, subscription: Subscription) -> Callable[..., Awaitable[None]]:
    async def consume(msg: KafkaMessage) -> None:
        await dispatcher.dispatch(subscription, msg)

    return consume
