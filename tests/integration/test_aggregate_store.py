"""One contract for every AggregateStore: the real store (MongoDB or FerretDB) and in memory.

Use cases are unit-tested against InMemoryAggregateStore; these tests are what makes that honest:
each runs against both implementations and expects the same behaviour.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from pydantic import Field

from ocop_contracts import Event, ProductRated, RatingLevel, parse_event
from ocop_devstack.infra import Infra
from ocop_platform.aggregates import (
    Aggregate,
    AggregateExists,
    AggregateNotFound,
    AggregateStore,
    ConcurrencyConflict,
    EventVersionedAggregate,
    InMemoryAggregateStore,
    MongoAggregateStore,
    VersionError,
    change,
    load,
)
from ocop_platform.mongo import create_client
from ocop_platform.outbox import OUTBOX_FIELD, PENDING_COLLECTION
from tests.integration.support import rating

pytestmark = pytest.mark.integration
COLLECTION = "things"


class RatedThing(Aggregate):
    """A minimal aggregate: a product's ratings, the way evaluation keeps them."""

    kind = "thing"
    province_code: str
    level: RatingLevel = RatingLevel.PROVINCE
    stars: list[int] = Field(default_factory=list)
    rated_on: date | None = None
    note: str = ""

    def rate(self, stars: int) -> None:
        event = rating(self.id, self.next_version).model_copy(update={"stars": stars})
        self.record(event)
        self.stars = [*self.stars, stars]
        self.rated_on = event.rated_on

    def annotate(self, note: str) -> None:
        self.note = note
        self.touch()


class CountedThing(EventVersionedAggregate):
    """The same, with a version that counts its events only (as registry's products do)."""

    kind = "counted"
    stars: list[int] = Field(default_factory=list)
    note: str = ""

    def rate(self, stars: int) -> None:
        self.record(rating(self.id, self.next_version).model_copy(update={"stars": stars}))
        self.stars = [*self.stars, stars]

    def annotate(self, note: str) -> None:
        self.note = note
        self.touch()


@dataclass
class Subject:
    store: AggregateStore[RatedThing]
    published: Callable[[], Awaitable[list[Event]]]


@pytest.fixture(params=["memory", "store"])
async def subject(request: pytest.FixtureRequest, infra: Infra) -> AsyncIterator[Subject]:
    if request.param == "memory":
        memory = InMemoryAggregateStore(RatedThing)

        async def drained() -> list[Event]:
            return list(memory.published)

        yield Subject(memory, drained)
        return
    client = create_client(infra.mongo_url, max_pool_size=1)
    db = client[f"ocop_agg_{uuid.uuid4().hex[:8]}"]

    async def outbox() -> list[Event]:
        documents = await db[COLLECTION].find({}).sort("_id").to_list()
        return [parse_event(entry["value"]) for d in documents for entry in d[OUTBOX_FIELD]]

    yield Subject(MongoAggregateStore(db, COLLECTION, RatedThing), outbox)
    await client.drop_database(db.name)
    await client.close()


@pytest.fixture(params=["memory", "store"])
async def counted(
    request: pytest.FixtureRequest, infra: Infra
) -> AsyncIterator[AggregateStore[CountedThing]]:
    if request.param == "memory":
        yield InMemoryAggregateStore(CountedThing)
        return
    client = create_client(infra.mongo_url, max_pool_size=1)
    db = client[f"ocop_agg_{uuid.uuid4().hex[:8]}"]
    yield MongoAggregateStore(db, COLLECTION, CountedThing)
    await client.drop_database(db.name)
    await client.close()


def thing(thing_id: str = "", **fields: Any) -> RatedThing:
    return RatedThing(id=thing_id or uuid.uuid4().hex, province_code="82", **fields)


async def test_an_added_aggregate_reads_back_typed_with_its_events_queued(subject: Subject) -> None:
    new = thing(rated_on=date(2025, 6, 30))
    new.rate(4)
    await subject.store.add(new)

    loaded = await load(subject.store, new.id, "thing")
    assert loaded == new
    assert (loaded.version, loaded.stars, loaded.rated_on) == (1, [4], date(2026, 6, 1))
    assert loaded.level is RatingLevel.PROVINCE
    assert loaded.pending_events == () and new.pending_events == ()
    [event] = await subject.published()
    assert isinstance(event, ProductRated)
    assert (event.aggregate_id, event.aggregate_version, event.stars) == (new.id, 1, 4)


async def test_save_writes_state_and_events_together_in_order(subject: Subject) -> None:
    new = thing()
    await subject.store.add(new)
    loaded = await load(subject.store, new.id, "thing")
    loaded.rate(3)
    loaded.rate(4)
    await subject.store.save(loaded)

    again = await load(subject.store, new.id, "thing")
    assert (again.version, again.stars) == (2, [3, 4])
    assert [e.aggregate_version for e in await subject.published()] == [1, 2]


async def test_a_stale_save_is_refused_and_changes_nothing(subject: Subject) -> None:
    new = thing()
    await subject.store.add(new)
    first = await load(subject.store, new.id, "thing")
    second = await load(subject.store, new.id, "thing")
    first.rate(4)
    await subject.store.save(first)
    second.rate(3)

    with pytest.raises(ConcurrencyConflict) as refused:
        await subject.store.save(second)

    assert refused.value.loaded_version == 0
    assert (await load(subject.store, new.id, "thing")).stars == [4]
    assert [e.stars for e in await subject.published() if isinstance(e, ProductRated)] == [4]


async def test_a_state_only_change_is_versioned_too(subject: Subject) -> None:
    new = thing()
    await subject.store.add(new)
    first = await load(subject.store, new.id, "thing")
    second = await load(subject.store, new.id, "thing")
    first.annotate("checked")
    await subject.store.save(first)
    second.annotate("overwritten?")

    with pytest.raises(ConcurrencyConflict):
        await subject.store.save(second)
    assert (await load(subject.store, new.id, "thing")).note == "checked"
    assert await subject.published() == []


async def test_saving_without_changes_writes_nothing(subject: Subject) -> None:
    new = thing()
    await subject.store.add(new)
    loaded = await load(subject.store, new.id, "thing")
    await subject.store.save(loaded)
    assert (await load(subject.store, new.id, "thing")).version == 0


async def test_change_retries_from_a_fresh_load_after_a_conflict(subject: Subject) -> None:
    new = thing()
    await subject.store.add(new)
    calls: list[list[int]] = []
    interfering = _Interfering(subject.store)

    def rate_four(aggregate: RatedThing) -> int:
        calls.append(list(aggregate.stars))
        aggregate.rate(4)
        return aggregate.version

    version = await change(interfering, new.id, rate_four, kind="thing")

    assert calls == [[], [3]]  # the second attempt saw the interfering rating
    assert version == 2
    assert (await load(subject.store, new.id, "thing")).stars == [3, 4]


async def test_missing_and_duplicate_aggregates_are_typed_errors(subject: Subject) -> None:
    with pytest.raises(AggregateNotFound, match="thing nope not found"):
        await load(subject.store, "nope", "thing")
    new = thing()
    await subject.store.add(new)
    with pytest.raises(AggregateExists):
        await subject.store.add(thing(new.id))


async def test_add_many_stores_the_new_ones_and_names_those_that_existed(subject: Subject) -> None:
    existing = thing("a")
    await subject.store.add(existing)
    batch = [thing("a"), thing("b"), thing("c")]
    for item in batch:
        item.rate(3)

    assert await subject.store.add_many(batch) == {"a"}
    assert (await load(subject.store, "a", "thing")).stars == []
    assert (await load(subject.store, "c", "thing")).stars == [3]
    assert sorted(e.aggregate_id for e in await subject.published()) == ["b", "c"]
    assert await subject.store.add_many([]) == set()  # an empty batch is nothing to do


async def test_find_and_count_understand_the_portable_filter_subset(subject: Subject) -> None:
    for thing_id, province, stars in [("a", "82", [3]), ("b", "82", [3, 4]), ("c", "01", [4, 4])]:
        await subject.store.add(
            thing(thing_id, stars=stars).model_copy(update={"province_code": province})
        )

    async def ids(where: dict[str, Any], sort: Sequence[tuple[str, int]] = ()) -> list[str]:
        return [t.id for t in await subject.store.find(where, sort=sort)]

    assert await ids({"province_code": "82"}, [("_id", -1)]) == ["b", "a"]
    assert await ids({"stars": 3}, [("_id", 1)]) == ["a", "b"]  # an array matches by element
    assert await ids({"province_code": {"$in": ["01", "99"]}}) == ["c"]
    assert await ids({"stars": {"$gte": 4}}, [("_id", 1)]) == ["b", "c"]
    assert await ids({"province_code": {"$ne": "82"}}) == ["c"]
    assert await ids({"rated_on": None, "province_code": "01"}) == ["c"]  # null matches null
    assert await ids({"unknown": None, "province_code": "01"}) == ["c"]  # … and missing
    assert await ids({"unknown": {"$exists": True}}) == []
    assert len(await subject.store.find({}, limit=2)) == 2
    assert await subject.store.count({"province_code": "82"}) == 2


async def test_an_event_versioned_aggregate_keeps_its_version_through_changes_without_events(
    counted: AggregateStore[CountedThing],
) -> None:
    new = CountedThing(id=uuid.uuid4().hex)
    new.rate(3)
    await counted.add(new)
    loaded = await load(counted, new.id, "counted")
    loaded.annotate("checked")
    await counted.save(loaded)
    again = await load(counted, new.id, "counted")
    again.rate(4)
    await counted.save(again)

    final = await load(counted, new.id, "counted")
    assert (final.note, final.stars, final.version, final.revision) == ("checked", [3, 4], 2, 3)


async def test_an_event_versioned_aggregate_refuses_a_stale_save_after_a_change_without_events(
    counted: AggregateStore[CountedThing],
) -> None:
    new = CountedThing(id=uuid.uuid4().hex)
    await counted.add(new)
    first = await load(counted, new.id, "counted")
    second = await load(counted, new.id, "counted")
    first.annotate("checked")  # no event: the version stays 0, the revision moves
    await counted.save(first)
    second.rate(4)

    with pytest.raises(ConcurrencyConflict):
        await counted.save(second)
    final = await load(counted, new.id, "counted")
    assert (final.note, final.stars, final.version) == ("checked", [], 0)


def test_an_event_out_of_sequence_is_a_programming_error() -> None:
    new = thing()
    with pytest.raises(VersionError, match="expected 1"):
        new.record(rating(new.id, 2))


async def test_the_store_keeps_the_outbox_out_of_reads_and_marks_the_aggregate(
    infra: Infra,
) -> None:
    client = create_client(infra.mongo_url, max_pool_size=1)
    db = client[f"ocop_agg_{uuid.uuid4().hex[:8]}"]
    try:
        store = MongoAggregateStore(db, COLLECTION, RatedThing)
        new = thing()
        new.rate(3)
        await store.add(new)
        raw = await db[COLLECTION].find_one({"_id": new.id})
        assert raw is not None and len(raw[OUTBOX_FIELD]) == 1
        assert await db[PENDING_COLLECTION].count_documents({}) == 1
        found = await store.find({"_id": new.id})
        assert OUTBOX_FIELD not in found[0].model_dump()
    finally:
        await client.drop_database(db.name)
        await client.close()


class _Interfering:
    """Delegates to a store; saves a competing rating right before the first save it is asked."""

    def __init__(self, store: AggregateStore[RatedThing]) -> None:
        self._store = store
        self._interfered = False

    async def get(self, aggregate_id: str) -> RatedThing | None:
        return await self._store.get(aggregate_id)

    async def add(self, aggregate: RatedThing) -> None:
        await self._store.add(aggregate)

    async def add_many(self, aggregates: Sequence[RatedThing]) -> set[str]:
        return await self._store.add_many(aggregates)

    async def save(self, aggregate: RatedThing) -> None:
        if not self._interfered:
            self._interfered = True
            competitor = await load(self._store, aggregate.id, "thing")
            competitor.rate(3)
            await self._store.save(competitor)
        await self._store.save(aggregate)

    async def find(
        self, where: Any, *, limit: int = 200, sort: Sequence[tuple[str, int]] = ()
    ) -> list[RatedThing]:
        return await self._store.find(where, limit=limit, sort=sort)

    async def count(self, where: Any) -> int:
        return await self._store.count(where)
