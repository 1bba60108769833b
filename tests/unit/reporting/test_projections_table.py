"""One table routes every event a read model is derived from: the live consumers subscribe to
exactly its types, on the topics they are published on, and the rebuild replays the same
subscriptions, whose handlers apply each event to the projections."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ocop_contracts import Event, ProductRated, topics
from ocop_contracts.catalog import TOPIC_OF
from ocop_platform.consumer import Subscription
from ocop_reporting.adapters.projections import WRITERS, MongoProjections
from ocop_reporting.entrypoints.consumers import fact_subscriptions, subscriptions
from ocop_reporting.service_layer.services import ReportingService
from tests.unit.test_envelope import rated as a_rating

from .test_target_validation import Unused


class RecordingProjections:
    """The table's event types; applying an event only records it."""

    def __init__(self) -> None:
        self.applied: list[Event] = []
        self.batches: list[str] = []

    @property
    def event_types(self) -> tuple[type[Event], ...]:
        return tuple(WRITERS)

    async def apply(self, event: Event) -> bool:
        self.applied.append(event)
        return True

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[None]:
        self.batches.append("entered")
        yield
        self.batches.append("ended")


def service(projections: RecordingProjections) -> ReportingService:
    return ReportingService(Unused(), projections, Unused(), lambda: None)


def test_the_consumers_subscribe_to_every_type_of_the_table_on_its_topic() -> None:
    subs = fact_subscriptions(service(RecordingProjections()))

    routed = {t: s.topic for s in subs for t in s.handlers}
    assert routed == {t: TOPIC_OF[t] for t in WRITERS}
    assert [s.topic for s in subs] == [topics.REGISTRY, topics.EVALUATION, topics.PROMOTION]


def test_the_live_consumers_add_only_the_ingest_topic_to_what_the_rebuild_replays() -> None:
    projections = RecordingProjections()
    facts = {s.topic for s in fact_subscriptions(service(projections))}

    live: list[Subscription] = subscriptions(service(projections))

    assert {s.topic for s in live} - facts == {topics.INGEST_REPORTING}


def test_the_table_names_the_writer_of_each_read_model() -> None:
    assert WRITERS[ProductRated] is MongoProjections.record_rating
    assert len(set(WRITERS.values())) == 10  # ten read-model writers for thirteen event types


async def test_a_consumed_event_is_applied_to_the_projections() -> None:
    projections = RecordingProjections()
    (evaluation,) = [
        s for s in fact_subscriptions(service(projections)) if s.topic == topics.EVALUATION
    ]
    rated = a_rating(province_code="82", commune_code="29500")

    await evaluation.handlers[ProductRated](rated)

    assert projections.applied == [rated]


async def test_a_consumer_batch_of_facts_is_one_batch_of_the_projections() -> None:
    projections = RecordingProjections()
    rated = a_rating(province_code="82", commune_code="29500")

    for sub in fact_subscriptions(service(projections)):
        assert sub.prefetch is not None
        async with sub.prefetch([rated]):
            assert projections.batches[-1] == "entered"
        assert projections.batches[-1] == "ended"

    assert len(projections.batches) == 2 * 3
