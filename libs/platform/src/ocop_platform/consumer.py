"""At-least-once consumption with bounded retries and a dead-letter topic.

Each subscription lists the event types it handles (one routing table per service). For every
message: decode and validate → on failure, dead-letter it with the reason; run the handler → on a
store or broker outage, nack so Kafka redelivers (nothing is dead-lettered for an outage); on a
domain rule it breaks, dead-letter it at once; on any other error retry a bounded number of
times, then dead-letter. The offset is committed only after
that, so a crash redelivers and the handlers (idempotent by design) absorb the repeat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.annotations import KafkaMessage
from pymongo.errors import ConnectionFailure

from ocop_contracts import Event, UnknownEventType, UnreadableEvent, parse_event, type_name
from ocop_contracts.topics import INGEST, dead_letter_topic, ingest_limit
from ocop_platform.errors import DomainError
from ocop_platform.logging import correlation_scope

Handler = Callable[[Any], Awaitable[object]]
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
    """Routes one Kafka message to its handler, with the retry and dead-letter policy above."""

    def __init__(
        self,
        dead_letters: DeadLetterPublisher,
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
        record = msg.raw_message
        assert not isinstance(record, tuple), "subscribers here consume one message at a time"
        raw: bytes = record.value if isinstance(record.value, bytes) else bytes(msg.body)
        if too_large := subscription.oversize(raw, None):  # never parse a huge message
            await self._dead_letter(record, raw, too_large, attempts=0)
            return
        try:
            event = parse_event(raw, subscription.accepted)
        except UnknownEventType as exc:
            if subscription.unknown_types == "skip":
                log.debug("skipping unknown event type", extra={"type": exc.type_name})
                return
            await self._dead_letter(record, raw, exc.reason, attempts=0)
            return
        except UnreadableEvent as exc:
            await self._dead_letter(record, raw, exc.reason, attempts=0)
            return
        if too_large := subscription.oversize(raw, event.type):
            await self._dead_letter(record, raw, too_large, attempts=0)
            return
        handler = subscription.handlers[type(event)]
        with correlation_scope(str(event.correlation_id), causation_id=str(event.event_id)):
            await self._handle_with_retries(handler, event, record, raw)

    async def _handle_with_retries(
        self, handler: Handler, event: Event, record: Any, raw: bytes
    ) -> None:
        for attempt in range(1, self._max_attempts + 1):
            try:
                outcome = await handler(event)
            except TRANSIENT_ERRORS:
                await asyncio.sleep(self._backoff_seconds)
                raise  # nack: redelivered once the outage is over
            except DomainError as exc:
                # A rule the message breaks will break again: no point retrying.
                where = f" ({exc.field})" if exc.field else ""
                reason = f"{event.type} rejected{where}: {exc.message}"
                await self._dead_letter(record, raw, reason, attempts=attempt)
                return
            except Exception as exc:
                if attempt == self._max_attempts:
                    reason = f"{event.type} handler failed {attempt}×: {type(exc).__name__}: {exc}"
                    log.exception("handler gave up", extra={"event_id": str(event.event_id)})
                    await self._dead_letter(record, raw, reason, attempts=attempt)
                    return
                await asyncio.sleep(self._backoff_seconds * 2 ** (attempt - 1))
            else:
                self.handled += 1
                if outcome is Outcome.DUPLICATE:
                    self.duplicates += 1
                return

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


def consumer_router(
    subscriptions: Sequence[Subscription], dispatcher: Dispatcher, group_id: str
) -> KafkaRouter:
    """The one KafkaRouter of a service: a subscriber per topic, committed after handling."""
    router = KafkaRouter()
    for subscription in subscriptions:
        router.subscriber(
            subscription.topic,
            group_id=group_id,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            auto_offset_reset="earliest",
            title=f"{group_id}:{subscription.topic}",
            description=_describe(subscription),
        )(_bind(dispatcher, subscription))
    return router


def _describe(subscription: Subscription) -> str:
    types = ", ".join(sorted(subscription.accepted))
    return f"{types}\n\n{subscription.description}" if subscription.description else types


def _bind(dispatcher: Dispatcher, subscription: Subscription) -> Callable[..., Awaitable[None]]:
    async def consume(msg: KafkaMessage) -> None:
        await dispatcher.dispatch(subscription, msg)

    return consume
