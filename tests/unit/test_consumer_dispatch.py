"""The consumer's routing, retry and dead-letter policy (DESIGN §3–§4), without Kafka."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

import pytest
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.subscriber.usecase import BatchSubscriber
from pymongo.errors import AutoReconnect, ConnectionFailure

from ocop_contracts import (
    EntityRegistered,
    Event,
    LegalForm,
    ProductRated,
    ProductRegistered,
    RatingLevel,
    TargetUpdated,
    topics,
)
from ocop_platform.aggregates import ConcurrencyConflict
from ocop_platform.consumer import (
    DeadLetter,
    DeadLetterPublisher,
    Dispatcher,
    Outcome,
    Subscription,
    consumer_router,
)
from ocop_platform.errors import DomainError
from ocop_platform.logging import current_correlation_id
from ocop_platform.outbox import events_written
from ocop_platform.runtime import asyncapi_document

MAX_ATTEMPTS = 3


def rated() -> ProductRated:
    return ProductRated(
        producer="evaluation",
        aggregate_id="prd-1",
        aggregate_version=2,
        province_code="82",
        product_id="prd-1",
        score=71.0,
        stars=4,
        previous_stars=3,
        level=RatingLevel.PROVINCE,
        rule_set_id="qd26-2026",
        rated_on=date(2026, 8, 1),
        scoring_set_code="1.1.1",
    )


def entity() -> EntityRegistered:
    return EntityRegistered(
        producer="registry",
        aggregate_id="ent-1",
        aggregate_version=1,
        province_code="82",
        entity_id="ent-1",
        name="HTX Tôm khô",
        legal_form=LegalForm.COOPERATIVE,
    )


# --- stand-ins ----------------------------------------------------------------------------------


@dataclass
class FakeRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: Any


@dataclass
class FakeMessage:
    raw_message: FakeRecord
    body: bytes


def message(value: bytes, topic: str = topics.EVALUATION, offset: int = 41) -> KafkaMessage:
    record = FakeRecord(topic=topic, partition=2, offset=offset, key=b"prd-1", value=value)
    return cast(KafkaMessage, FakeMessage(raw_message=record, body=value))


class RecordingDeadLetters(DeadLetterPublisher):
    def __init__(self) -> None:  # no broker: letters are only recorded
        self.sent: list[DeadLetter] = []

    async def send(self, letter: DeadLetter) -> None:
        self.sent.append(letter)


class Handler:
    """Records every event it is given; raises the queued errors first, one per call."""

    def __init__(self, *errors: BaseException) -> None:
        self.calls: list[Event] = []
        self.correlation_ids: list[str | None] = []
        self._errors = list(errors)

    async def __call__(self, event: Event) -> None:
        self.calls.append(event)
        self.correlation_ids.append(current_correlation_id())
        if self._errors:
            raise self._errors.pop(0)


class Setup:
    def __init__(self) -> None:
        self.dead_letters = RecordingDeadLetters()
        self.dispatcher = Dispatcher(
            self.dead_letters, max_attempts=MAX_ATTEMPTS, backoff_seconds=0.0
        )

    def dispatch(self, subscription: Subscription, msg: KafkaMessage) -> Awaitable[None]:
        return self.dispatcher.dispatch(subscription, msg)


def on_evaluation(handler: Callable[[Any], Awaitable[object]], **options: Any) -> Subscription:
    return Subscription(topics.EVALUATION, {ProductRated: handler}, **options)


# --- unreadable and unknown messages -------------------------------------------------------------


async def test_dead_letters_a_message_that_is_not_json() -> None:
    setup, handler = Setup(), Handler()
    raw = b"\x00 definitely not json"

    await setup.dispatch(on_evaluation(handler), message(raw))

    (letter,) = setup.dead_letters.sent
    assert letter.reason.startswith("not an event envelope:")
    assert letter.attempts == 0
    assert handler.calls == []


async def test_a_dead_letter_carries_the_original_bytes_and_position() -> None:
    setup = Setup()
    raw = b'{"type": 42}'

    await setup.dispatch(on_evaluation(Handler()), message(raw, offset=977))

    (letter,) = setup.dead_letters.sent
    assert (letter.topic, letter.partition, letter.offset, letter.key, letter.value) == (
        topics.EVALUATION,
        2,
        977,
        b"prd-1",
        raw,
    )
    assert setup.dispatcher.dead_lettered == 1


async def test_dead_letters_an_event_that_breaks_its_schema_naming_the_field() -> None:
    setup, handler = Setup(), Handler()
    document = rated().model_dump(mode="json") | {"stars": 9}

    await setup.dispatch(on_evaluation(handler), message(json.dumps(document).encode()))

    (letter,) = setup.dead_letters.sent
    assert letter.reason.startswith("invalid ProductRated:")
    assert "stars" in letter.reason
    assert handler.calls == []


async def test_skips_an_unknown_type_on_a_skip_subscription() -> None:
    setup, handler = Setup(), Handler()
    document = rated().model_dump(mode="json") | {"type": "ProductTeleported"}

    await setup.dispatch(on_evaluation(handler), message(json.dumps(document).encode()))

    assert setup.dead_letters.sent == []
    assert handler.calls == []
    assert (setup.dispatcher.handled, setup.dispatcher.dead_lettered) == (0, 0)


async def test_skips_a_known_type_the_subscription_has_no_handler_for() -> None:
    setup, handler = Setup(), Handler()
    subscription = Subscription(topics.REGISTRY, {ProductRegistered: handler})

    await setup.dispatch(subscription, message(entity().to_json_bytes(), topic=topics.REGISTRY))

    assert setup.dead_letters.sent == []
    assert handler.calls == []


async def test_dead_letters_an_unknown_type_on_a_dead_letter_subscription() -> None:
    setup, handler = Setup(), Handler()
    subscription = Subscription(
        topics.INGEST_REPORTING, {TargetUpdated: handler}, unknown_types="dead_letter"
    )

    await setup.dispatch(
        subscription, message(rated().to_json_bytes(), topic=topics.INGEST_REPORTING)
    )

    (letter,) = setup.dead_letters.sent
    assert letter.reason == "unknown event type 'ProductRated'"
    assert letter.attempts == 0
    assert letter.topic == topics.INGEST_REPORTING
    assert handler.calls == []


def test_a_subscription_accepts_exactly_the_types_it_handles() -> None:
    subscription = Subscription(
        topics.REPORTING, {TargetUpdated: Handler(), ProductRated: Handler()}
    )
    assert dict(subscription.accepted) == {
        "TargetUpdated": TargetUpdated,
        "ProductRated": ProductRated,
    }


class FailingDeadLetters(RecordingDeadLetters):
    async def send(self, letter: DeadLetter) -> None:
        raise ConnectionFailure("broker down")


async def test_a_dead_letter_that_could_not_be_sent_is_not_counted() -> None:
    dispatcher = Dispatcher(FailingDeadLetters(), max_attempts=MAX_ATTEMPTS, backoff_seconds=0.0)

    with pytest.raises(ConnectionFailure):
        await dispatcher.dispatch(on_evaluation(Handler()), message(b"not json"))

    assert dispatcher.dead_lettered == 0


# --- handling -----------------------------------------------------------------------------------


async def test_hands_a_readable_event_to_its_handler_and_counts_it() -> None:
    setup, handler = Setup(), Handler()
    event = rated()

    await setup.dispatch(on_evaluation(handler), message(event.to_json_bytes()))

    assert handler.calls == [event]
    assert (setup.dispatcher.handled, setup.dispatcher.duplicates) == (1, 0)
    assert setup.dead_letters.sent == []


async def test_counts_a_message_its_handler_recognised_as_a_duplicate_as_handled_too() -> None:
    setup = Setup()

    async def acknowledge_as_duplicate(event: Event) -> Outcome:
        return Outcome.DUPLICATE

    await setup.dispatch(on_evaluation(acknowledge_as_duplicate), message(rated().to_json_bytes()))

    assert (setup.dispatcher.handled, setup.dispatcher.duplicates) == (1, 1)
    assert setup.dead_letters.sent == []


def test_a_subscription_description_follows_the_accepted_types_in_the_asyncapi() -> None:
    described = Subscription(
        topics.INGEST_EVALUATION, {ProductRated: Handler()}, description="Re-sends are duplicates."
    )
    plain = Subscription(topics.REGISTRY, {ProductRegistered: Handler()})
    broker = KafkaBroker()
    broker.include_router(
        consumer_router([described, plain], Dispatcher(RecordingDeadLetters()), "ocop.evaluation")
    )

    channels = asyncapi_document(broker, "evaluation")["channels"]

    descriptions = {c["address"]: c["description"] for c in channels.values()}
    assert descriptions == {
        topics.INGEST_EVALUATION: "ProductRated\n\nRe-sends are duplicates.",
        topics.REGISTRY: "ProductRegistered",
    }


async def test_runs_the_handler_inside_the_events_correlation_scope() -> None:
    setup, handler = Setup(), Handler()
    event = rated()

    await setup.dispatch(on_evaluation(handler), message(event.to_json_bytes()))

    assert handler.correlation_ids == [str(event.correlation_id)]
    assert current_correlation_id() is None


async def test_reads_the_message_body_when_the_record_value_is_not_bytes() -> None:
    setup, handler = Setup(), Handler()
    event = rated()
    record = FakeRecord(topics.EVALUATION, 0, 1, b"prd-1", value=None)
    msg = cast(KafkaMessage, FakeMessage(raw_message=record, body=event.to_json_bytes()))

    await setup.dispatch(on_evaluation(handler), msg)

    assert handler.calls == [event]


async def test_retries_a_failing_handler_and_counts_the_success() -> None:
    setup, handler = Setup(), Handler(RuntimeError("flaky"))

    await setup.dispatch(on_evaluation(handler), message(rated().to_json_bytes()))

    assert len(handler.calls) == 2
    assert setup.dispatcher.handled == 1
    assert setup.dead_letters.sent == []


async def test_dead_letters_after_max_attempts_of_a_generic_error() -> None:
    setup = Setup()
    handler = Handler(*(RuntimeError("boom") for _ in range(MAX_ATTEMPTS)))

    await setup.dispatch(on_evaluation(handler), message(rated().to_json_bytes()))

    assert len(handler.calls) == MAX_ATTEMPTS
    (letter,) = setup.dead_letters.sent
    assert letter.attempts == MAX_ATTEMPTS
    assert "RuntimeError: boom" in letter.reason
    assert setup.dispatcher.handled == 0


async def test_dead_letters_a_domain_error_at_once_with_its_field() -> None:
    setup = Setup()
    handler = Handler(DomainError("unknown province code 99", field="province_code"))

    await setup.dispatch(on_evaluation(handler), message(rated().to_json_bytes()))

    assert len(handler.calls) == 1
    (letter,) = setup.dead_letters.sent
    assert letter.attempts == 1
    assert letter.reason == "ProductRated rejected (province_code): unknown province code 99"


async def test_retries_a_concurrent_save_instead_of_dead_lettering_it() -> None:
    # A ConcurrencyConflict is a DomainError, but the message broke no rule: it may succeed.
    setup = Setup()
    handler = Handler(ConcurrencyConflict("product", "prd-1", 3))

    await setup.dispatch(on_evaluation(handler), message(rated().to_json_bytes()))

    assert len(handler.calls) == 2
    assert setup.dead_letters.sent == []
    assert setup.dispatcher.handled == 1


async def test_dead_letters_a_conflict_that_persists_after_max_attempts() -> None:
    setup = Setup()
    handler = Handler(*(ConcurrencyConflict("product", "prd-1", 3) for _ in range(MAX_ATTEMPTS)))

    await setup.dispatch(on_evaluation(handler), message(rated().to_json_bytes()))

    assert len(handler.calls) == MAX_ATTEMPTS
    (letter,) = setup.dead_letters.sent
    assert "product prd-1 changed since version 3" in letter.reason


@pytest.mark.parametrize(
    "outage", [ConnectionFailure("store down"), AutoReconnect("primary stepped down")]
)
async def test_re_raises_a_store_outage_without_dead_lettering(outage: Exception) -> None:
    setup, handler = Setup(), Handler(outage)

    with pytest.raises(ConnectionFailure):
        await setup.dispatch(on_evaluation(handler), message(rated().to_json_bytes()))

    assert len(handler.calls) == 1
    assert setup.dead_letters.sent == []
    assert (setup.dispatcher.handled, setup.dispatcher.dead_lettered) == (0, 0)


# --- DeadLetterPublisher ------------------------------------------------------------------------


class RecordingBroker:
    def __init__(self) -> None:
        self.published: list[tuple[bytes, str, dict[str, Any]]] = []

    async def publish(self, value: bytes, topic: str, **options: Any) -> None:
        self.published.append((value, topic, options))


def letter(reason: str = "invalid ProductRated: stars") -> DeadLetter:
    return DeadLetter(
        topic=topics.INGEST_REPORTING,
        partition=1,
        offset=7,
        key=b"tgt-1",
        value=b"original bytes",
        reason=reason,
        attempts=2,
    )


async def test_dead_letter_publisher_writes_the_original_bytes_to_the_dlq_topic() -> None:
    broker = RecordingBroker()
    publisher = DeadLetterPublisher(cast(KafkaBroker, broker), "ocop.reporting")

    await publisher.send(letter())

    ((value, topic, options),) = broker.published
    assert (value, topic, options["key"]) == (
        b"original bytes",
        f"{topics.INGEST_REPORTING}.dlq",
        b"tgt-1",
    )


async def test_dead_letter_publisher_puts_the_reason_and_origin_in_headers() -> None:
    broker = RecordingBroker()
    publisher = DeadLetterPublisher(cast(KafkaBroker, broker), "ocop.reporting")

    await publisher.send(letter())

    headers = broker.published[0][2]["headers"]
    assert headers == {
        "x-dlq-reason": "invalid ProductRated: stars",
        "x-dlq-consumer": "ocop.reporting",
        "x-original-topic": topics.INGEST_REPORTING,
        "x-original-partition": "1",
        "x-original-offset": "7",
        "x-dlq-attempts": "2",
    }


async def test_dead_letter_publisher_truncates_a_long_reason() -> None:
    broker = RecordingBroker()
    publisher = DeadLetterPublisher(cast(KafkaBroker, broker), "ocop.reporting")

    await publisher.send(letter(reason="x" * 5000))

    assert len(broker.published[0][2]["headers"]["x-dlq-reason"]) == 2000


# --- batches ------------------------------------------------------------------------------------


def batch(*values: bytes) -> KafkaMessage:
    """A batch subscriber's message: records of one poll, one partition, consecutive offsets."""
    records = tuple(
        FakeRecord(topic=topics.EVALUATION, partition=1, offset=100 + i, key=b"prd-1", value=v)
        for i, v in enumerate(values)
    )
    return cast(KafkaMessage, FakeMessage(raw_message=records, body=list(values)))  # type: ignore[arg-type]


def versions(n: int) -> list[ProductRated]:
    return [rated().model_copy(update={"aggregate_version": v}) for v in range(1, n + 1)]


async def test_applies_a_batch_in_poll_order() -> None:
    setup, handler = Setup(), Handler()
    events = versions(4)

    await setup.dispatch(on_evaluation(handler), batch(*(e.to_json_bytes() for e in events)))

    assert handler.calls == events
    assert setup.dispatcher.handled == 4


async def test_dead_letters_a_bad_record_mid_batch_and_applies_the_rest() -> None:
    setup, handler = Setup(), Handler()
    first, last = versions(2)

    await setup.dispatch(
        on_evaluation(handler), batch(first.to_json_bytes(), b"not json", last.to_json_bytes())
    )

    assert handler.calls == [first, last]
    (letter,) = setup.dead_letters.sent
    assert (letter.offset, letter.value) == (101, b"not json")
    assert (setup.dispatcher.handled, setup.dispatcher.dead_lettered) == (2, 1)


async def test_a_rejected_record_mid_batch_is_dead_lettered_with_its_reason() -> None:
    setup = Setup()
    handler = Handler(DomainError("unknown province code 99", field="province_code"))
    rejected, applied = versions(2)

    await setup.dispatch(
        on_evaluation(handler), batch(rejected.to_json_bytes(), applied.to_json_bytes())
    )

    (letter,) = setup.dead_letters.sent
    assert letter.offset == 100
    assert letter.reason == "ProductRated rejected (province_code): unknown province code 99"
    assert handler.calls == [rejected, applied]


async def test_an_outage_mid_batch_stops_it_and_raises_so_nothing_is_committed() -> None:
    setup = Setup()
    applied = ProductVersions()
    applied.fail_once_at(2, ConnectionFailure("store down"))
    events = versions(4)

    with pytest.raises(ConnectionFailure):
        await setup.dispatch(on_evaluation(applied), batch(*(e.to_json_bytes() for e in events)))

    assert applied.attempted == [1, 2]  # nothing after the outage is tried
    assert setup.dead_letters.sent == []
    assert setup.dispatcher.handled == 1


async def test_a_redelivered_batch_is_applied_once_the_prefix_absorbed_as_duplicates() -> None:
    setup = Setup()
    applied = ProductVersions()
    applied.fail_once_at(3, ConnectionFailure("store down"))
    redelivered = batch(*(e.to_json_bytes() for e in versions(4)))
    with pytest.raises(ConnectionFailure):
        await setup.dispatch(on_evaluation(applied), redelivered)

    await setup.dispatch(on_evaluation(applied), redelivered)  # what Kafka sends after the nack

    assert applied.stored_version == 4
    assert applied.applied == [1, 2, 3, 4]  # each version took effect exactly once
    assert setup.dispatcher.duplicates == 2  # versions 1 and 2, seen again
    assert setup.dead_letters.sent == []


async def test_lets_other_tasks_run_between_the_records_of_a_batch() -> None:
    setup, handler = Setup(), Handler()  # a handler that never waits for anything
    turns = 0

    async def another_task() -> None:  # e.g. an HTTP request waiting for the store connection
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(another_task())
    await asyncio.sleep(0)
    before = turns
    await setup.dispatch(on_evaluation(handler), batch(*(e.to_json_bytes() for e in versions(5))))
    other.cancel()

    assert turns - before >= 4


class ProductVersions:
    """An apply-if-newer read model of one product, like the services' handlers."""

    def __init__(self) -> None:
        self.stored_version = 0
        self.attempted: list[int] = []
        self.applied: list[int] = []
        self._failures: dict[int, BaseException] = {}

    def fail_once_at(self, version: int, error: BaseException) -> None:
        self._failures[version] = error

    async def __call__(self, event: ProductRated) -> Outcome | None:
        self.attempted.append(event.aggregate_version)
        if error := self._failures.pop(event.aggregate_version, None):
            raise error
        if event.aggregate_version <= self.stored_version:
            return Outcome.DUPLICATE
        self.stored_version = event.aggregate_version
        self.applied.append(event.aggregate_version)
        return None


def subscribers_of(router_batch_size: int, *subscriptions: Subscription) -> list[Any]:
    broker = KafkaBroker()
    broker.include_router(
        consumer_router(
            list(subscriptions) or [on_evaluation(Handler())],
            Dispatcher(RecordingDeadLetters()),
            "ocop.reporting",
            batch_size=router_batch_size,
        )
    )
    return list(broker.subscribers)


def test_a_batch_size_above_one_makes_batch_subscribers_of_that_size() -> None:
    (subscriber,) = subscribers_of(250)

    assert isinstance(subscriber, BatchSubscriber)
    assert subscriber.max_records == 250
    assert subscriber.ack_policy is AckPolicy.NACK_ON_ERROR


def test_a_batch_size_of_one_keeps_one_message_per_commit() -> None:
    (subscriber,) = subscribers_of(1)

    assert not isinstance(subscriber, BatchSubscriber)
    assert subscriber.ack_policy is AckPolicy.NACK_ON_ERROR


def test_a_subscription_may_take_batches_of_its_own_size() -> None:
    ingest = Subscription(topics.INGEST_EVALUATION, {ProductRated: Handler()}, batch_size=100)
    subscribers = subscribers_of(10, ingest, on_evaluation(Handler()))
    by_topic = {s.topic_names[0]: s for s in subscribers}

    own, default = by_topic[topics.INGEST_EVALUATION], by_topic[topics.EVALUATION]
    assert isinstance(own, BatchSubscriber) and own.max_records == 100
    assert isinstance(default, BatchSubscriber) and default.max_records == 10


# --- a batch's prefetch ---------------------------------------------------------------------------


class Prefetch:
    """A subscription's prefetch hook that records what it was given and when its scope is."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.given: list[list[Event]] = []
        self.log: list[str] = []
        self._error = error

    @contextlib.asynccontextmanager
    async def __call__(self, events: Sequence[Event]) -> AsyncIterator[None]:
        self.given.append(list(events))
        if self._error is not None:
            raise self._error
        self.log.append("read")
        try:
            yield
        finally:
            self.log.append("dropped")


class LoggingHandler(Handler):
    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self._log = log

    async def __call__(self, event: Event) -> None:
        self._log.append(f"handled {event.aggregate_version}")
        await super().__call__(event)


async def test_a_prefetch_is_given_the_batch_s_events_before_they_are_handled_one_by_one() -> None:
    setup, prefetch = Setup(), Prefetch()
    handler = LoggingHandler(prefetch.log)
    events = versions(3)

    await setup.dispatch(
        on_evaluation(handler, prefetch=prefetch), batch(*(e.to_json_bytes() for e in events))
    )

    assert prefetch.given == [events]
    assert prefetch.log == ["read", "handled 1", "handled 2", "handled 3", "dropped"]
    assert handler.calls == events


async def test_a_prefetch_is_not_given_what_is_dead_lettered_which_still_is() -> None:
    setup, prefetch, handler = Setup(), Prefetch(), Handler()
    first, last = versions(2)

    await setup.dispatch(
        on_evaluation(handler, prefetch=prefetch),
        batch(first.to_json_bytes(), b"not json", last.to_json_bytes()),
    )

    assert prefetch.given == [[first, last]]
    (letter,) = setup.dead_letters.sent
    assert letter.offset == 101
    assert handler.calls == [first, last]


async def test_a_batch_of_nothing_readable_is_not_prefetched() -> None:
    setup, prefetch = Setup(), Prefetch()

    await setup.dispatch(on_evaluation(Handler(), prefetch=prefetch), batch(b"not json"))

    assert prefetch.given == []
    assert len(setup.dead_letters.sent) == 1


async def test_a_store_outage_while_prefetching_stops_the_batch_before_any_message() -> None:
    setup, handler = Setup(), Handler()
    prefetch = Prefetch(ConnectionFailure("store down"))

    with pytest.raises(ConnectionFailure):
        await setup.dispatch(
            on_evaluation(handler, prefetch=prefetch),
            batch(*(e.to_json_bytes() for e in versions(2))),
        )

    assert handler.calls == []
    assert (setup.dispatcher.handled, setup.dispatcher.dead_lettered) == (0, 0)


async def test_a_prefetch_failing_otherwise_only_costs_its_reads() -> None:
    setup, handler = Setup(), Handler()
    prefetch = Prefetch(RuntimeError("a bug in the hook"))
    events = versions(2)

    await setup.dispatch(
        on_evaluation(handler, prefetch=prefetch), batch(*(e.to_json_bytes() for e in events))
    )

    assert handler.calls == events
    assert setup.dead_letters.sent == []
    assert setup.dispatcher.handled == 2


class HeldUntilTheEnd:
    """A prefetch hook that holds what the batch's handlers do and writes it as it exits."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.written: list[str] = []
        self._error = error

    @contextlib.asynccontextmanager
    async def __call__(self, events: Sequence[Event]) -> AsyncIterator[None]:
        yield
        if self._error is not None:
            raise self._error
        self.written.append(f"{len(events)} events' writes")


async def test_a_prefetch_s_exit_runs_before_the_dispatch_returns_so_before_the_commit() -> None:
    setup, hook = Setup(), HeldUntilTheEnd()

    await setup.dispatch(
        on_evaluation(Handler(), prefetch=hook), batch(*(e.to_json_bytes() for e in versions(3)))
    )

    assert hook.written == ["3 events' writes"]


@pytest.mark.parametrize(
    "outage", [ConnectionFailure("store down"), AutoReconnect("pool paused"), TimeoutError()]
)
async def test_an_outage_as_a_prefetch_exits_fails_the_batch_which_is_not_committed(
    outage: Exception,
) -> None:
    setup, handler = Setup(), Handler()
    events = versions(2)

    with pytest.raises(type(outage)):
        await setup.dispatch(
            on_evaluation(handler, prefetch=HeldUntilTheEnd(outage)),
            batch(*(e.to_json_bytes() for e in events)),
        )

    assert handler.calls == events  # handled once, but redelivered: nothing committed
    assert setup.dead_letters.sent == []
    assert setup.dispatcher.dead_lettered == 0


# --- a batch whose end fails otherwise: its records applied again one at a time ------------------


class TooLarge(Exception):
    """What the store says of one document it will not take (not an outage)."""


class HeldStore:
    """A read model whose writes a batch's prefetch holds and makes as it exits, like
    reporting's summaries; a write of a ``poisoned`` version fails, held or not."""

    def __init__(self, *poisoned: int) -> None:
        self.poisoned = set(poisoned)
        self.written: list[int] = []
        self.attempts: list[tuple[int, str]] = []  # (version, "held" or "direct")
        self._held: list[int] | None = None

    @contextlib.asynccontextmanager
    async def batch(self, events: Sequence[Event]) -> AsyncIterator[None]:
        self._held = []
        try:
            yield
            for version in self._held:
                self._write(version)
        finally:
            self._held = None

    async def apply(self, event: ProductRated) -> None:
        version = event.aggregate_version
        if self._held is not None:
            self.attempts.append((version, "held"))
            self._held.append(version)
        else:
            self.attempts.append((version, "direct"))
            self._write(version)

    def _write(self, version: int) -> None:
        if version in self.poisoned:
            raise TooLarge(f"the document of version {version} is too large")
        if version not in self.written:  # an upsert: repeating it changes nothing
            self.written.append(version)


def held_by(store: HeldStore) -> Subscription:
    return on_evaluation(store.apply, prefetch=store.batch)


async def test_a_batch_whose_end_fails_otherwise_is_applied_again_one_message_at_a_time() -> None:
    setup, store = Setup(), HeldStore(2)
    events = versions(3)

    await setup.dispatch(held_by(store), batch(*(e.to_json_bytes() for e in events)))

    first, again = store.attempts[:3], store.attempts[3:]
    assert first == [(1, "held"), (2, "held"), (3, "held")]
    # Without the prefetch: each message's writes made as it is handled, the poisoned one
    # retried alone.
    assert again == [(1, "direct"), *[(2, "direct")] * MAX_ATTEMPTS, (3, "direct")]
    assert store.written == [1, 3]
    (letter,) = setup.dead_letters.sent
    assert (letter.offset, letter.attempts) == (101, MAX_ATTEMPTS)
    assert letter.reason == (
        f"ProductRated handler failed {MAX_ATTEMPTS}×: "
        "TooLarge: the document of version 2 is too large"
    )


async def test_a_batch_applied_again_counts_each_message_once_by_what_became_of_it() -> None:
    setup, store = Setup(), HeldStore(2)

    await setup.dispatch(held_by(store), batch(*(e.to_json_bytes() for e in versions(3))))

    counters = setup.dispatcher
    assert (counters.handled, counters.dead_lettered, counters.duplicates) == (2, 1, 0)


async def test_a_duplicate_of_the_first_pass_stays_one_when_applied_again() -> None:
    setup = Setup()
    applied = ProductVersions()
    applied.stored_version = 1  # version 1 is a re-send
    hook = HeldUntilTheEnd(RuntimeError("a bug at the end"))

    await setup.dispatch(
        on_evaluation(applied, prefetch=hook), batch(*(e.to_json_bytes() for e in versions(2)))
    )

    assert applied.attempted == [1, 2, 1, 2]
    assert applied.applied == [2]
    counters = setup.dispatcher
    assert (counters.handled, counters.dead_lettered, counters.duplicates) == (2, 0, 1)


async def test_a_batch_applied_again_writes_each_message_s_outbox_markers_with_it() -> None:
    setup, wakes = Setup(), []
    hook = HeldUntilTheEnd(RuntimeError("a bug at the end"))

    async def write_events(event: Event) -> None:
        wakes.append(f"handled {event.aggregate_version}")
        events_written(lambda: wakes.append(f"relay woken after {event.aggregate_version}"))

    await setup.dispatch(
        on_evaluation(write_events, prefetch=hook),
        batch(*(e.to_json_bytes() for e in versions(2))),
    )

    # The batch's markers at its end; then, applied alone, each message's at once.
    assert wakes == [
        "handled 1",
        "handled 2",
        "relay woken after 1",
        "relay woken after 2",
        "handled 1",
        "relay woken after 1",
        "handled 2",
        "relay woken after 2",
    ]


async def test_a_record_dead_lettered_in_the_first_pass_is_not_applied_or_sent_again() -> None:
    setup, store = Setup(), HeldStore(3)
    rejected = Handler(DomainError("unknown province code 99", field="province_code"))

    async def handle(event: ProductRated) -> None:
        if event.aggregate_version == 1:
            await rejected(event)
        await store.apply(event)

    v1, v2, v3 = (e.to_json_bytes() for e in versions(3))
    await setup.dispatch(
        on_evaluation(handle, prefetch=store.batch), batch(v1, b"not json", v2, v3)
    )

    assert [(letter.offset, letter.attempts) for letter in setup.dead_letters.sent] == [
        (100, 1),  # version 1, rejected by a rule: first pass
        (101, 0),  # unreadable: first pass
        (103, MAX_ATTEMPTS),  # version 3, whose write fails: applied alone
    ]
    assert len(rejected.calls) == 1
    assert store.written == [2]
    counters = setup.dispatcher
    assert (counters.handled, counters.dead_lettered, counters.duplicates) == (1, 3, 0)


async def test_an_outage_while_a_batch_is_applied_again_stops_it() -> None:
    setup = Setup()
    applied = ProductVersions()
    hook = HeldUntilTheEnd(RuntimeError("a bug at the end"))
    events = versions(3)

    async def store_down_the_second_time(event: ProductRated) -> Outcome | None:
        if len(applied.attempted) == len(events) + 1:
            raise ConnectionFailure("store down")
        return await applied(event)

    with pytest.raises(ConnectionFailure):
        await setup.dispatch(
            on_evaluation(store_down_the_second_time, prefetch=hook),
            batch(*(e.to_json_bytes() for e in events)),
        )

    assert setup.dead_letters.sent == []


async def test_a_record_s_own_failure_in_a_batch_is_not_taken_for_its_end_s() -> None:
    dead_letters = BrokenDeadLetters()
    dispatcher = Dispatcher(dead_letters, max_attempts=MAX_ATTEMPTS, backoff_seconds=0.0)
    handler = Handler()
    first, last = versions(2)

    with pytest.raises(ValueError, match="message too large for the broker"):
        await dispatcher.dispatch(
            on_evaluation(handler, prefetch=HeldUntilTheEnd()),
            batch(first.to_json_bytes(), b"not json", last.to_json_bytes()),
        )

    assert handler.calls == [first]  # not applied again: raised, so redelivered


class BrokenDeadLetters(RecordingDeadLetters):
    async def send(self, letter: DeadLetter) -> None:
        raise ValueError("message too large for the broker")
