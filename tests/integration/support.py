"""Helpers shared by the integration tests."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient, monitoring

from ocop_contracts import Event, ProductRated, RatingLevel, TargetMetric, parse_event, topics
from ocop_devstack.infra import Infra
from ocop_devstack.national import generate
from ocop_devstack.national_events import fact_events
from ocop_platform.kafka import create_broker
from ocop_platform.mongo import Database, Document, create_client
from ocop_platform.settings import ServiceSettings
from ocop_platform.topics import ensure_topics
from ocop_promotion.adapters.repository import MongoPromotionRepository, mongo_venue_stores
from ocop_promotion.service_layer.placements import PlacementService
from ocop_promotion.service_layer.services import PromotionService
from ocop_reporting.adapters.projections import WRITERS
from ocop_reporting.adapters.summaries import SUMMARIES
from ocop_reporting.domain.progress import Target
from ocop_reporting.domain.units import unit


def rating(product_id: str, version: int) -> ProductRated:
    """A 3★ province rating of ``product_id`` at ``version``, as evaluation publishes it."""
    return ProductRated(
        producer="evaluation",
        aggregate_id=product_id,
        aggregate_version=version,
        province_code="82",
        product_id=product_id,
        score=50.0 + version % 40,
        stars=3,
        previous_stars=0,
        level=RatingLevel.PROVINCE,
        rule_set_id="qd26-2026",
        rated_on=date(2026, 6, 1),
        scoring_set_code="I.1.a",
    )


@contextlib.asynccontextmanager
async def fresh_databases(
    client: AsyncMongoClient[Document], prefix: str, count: int = 1
) -> AsyncIterator[list[Database]]:
    """``count`` databases no other test uses (random names after ``prefix``), on ``client``;
    dropped afterwards, and the client closed."""
    names = [f"{prefix}{uuid.uuid4().hex[:10]}" for _ in range(count)]
    try:
        yield [client[name] for name in names]
    finally:
        for name in names:
            await client.drop_database(name)
        await client.close()


@dataclass(frozen=True)
class Promotion:
    service: PromotionService
    repo: MongoPromotionRepository
    placements: PlacementService


async def promotion_on(db: Database, today: Callable[[], date] = date.today) -> Promotion:
    """Promotion's service on ``db`` as the app wires it (indexes made), without Kafka."""
    repo = MongoPromotionRepository(db)
    await repo.ensure_indexes()
    placements = PlacementService(mongo_venue_stores(db, repo), today=today)
    return Promotion(PromotionService(repo, placements), repo, placements)


def national_facts() -> list[Event]:
    """The national data set's events (scale 0.01) that reporting's projections write."""
    return [e for _, e in fact_events(generate(scale=0.01)) if type(e) in WRITERS]


async def summary_documents(db: Database) -> list[dict[str, Any]]:
    """Reporting's summary documents by `_id`, each with its sets in one order, to compare."""
    return [_sorted(doc) async for doc in db[SUMMARIES].find({}).sort("_id", 1)]


def _sorted(value: Any) -> Any:
    # $addToSet appends in arrival order, which differs between two ways of writing.
    if isinstance(value, dict):
        return {k: _sorted(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return sorted(_sorted(v) for v in value)
    return value


async def read_keys(infra: Infra, keys: Sequence[str], count: int) -> list[ProductRated]:
    """The ratings published on evaluation's topic under these keys, from its start: at least
    ``count`` of them, or those found within about 20 s."""
    wanted = {key.encode() for key in keys}
    consumer = AIOKafkaConsumer(
        topics.EVALUATION,
        bootstrap_servers=infra.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    values: list[bytes] = []
    try:
        for _ in range(80):
            batches = await consumer.getmany(timeout_ms=250)
            values += [r.value for rs in batches.values() for r in rs if r.key in wanted]
            if len(values) >= count:
                break
    finally:
        await consumer.stop()
    events = [parse_event(v) for v in values if v is not None]
    return [e for e in events if isinstance(e, ProductRated)]


# --- fixtures: a test module takes them by binding them to its names (db = support.db) ---


@pytest.fixture
async def db(infra: Infra) -> AsyncIterator[Database]:
    """A database of the test's own on one connection, as the services use on FerretDB
    (updates on two connections get lost)."""
    client = create_client(infra.mongo_url, max_pool_size=1)
    async with fresh_databases(client, "ocop_it_") as (db,):
        yield db


@pytest.fixture
async def broker(infra: Infra) -> AsyncIterator[KafkaBroker]:
    """A started FastStream broker, evaluation's topic made."""
    await ensure_topics(infra.kafka_bootstrap, [topics.EVALUATION])
    broker = create_broker(ServiceSettings(kafka_bootstrap=infra.kafka_bootstrap))
    await broker.start()
    yield broker
    await broker.stop()


class CommandWatcher(monitoring.CommandListener):
    """A PyMongo listener of the commands sent; subclasses say what to note in ``started``
    (replies are not watched)."""

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def whole_province_target(
    metric: TargetMetric, code: str = "82", year: int = 2026, **more: Any
) -> Target:
    """A target of one year over a whole unit (``province_edition`` "2025" unless given): at
    least one, of ``min_stars`` if given."""
    edition = more.pop("province_edition", "2025")
    stars = more.pop("min_stars", None)
    where = unit(code, edition)
    return Target(
        target_id=f"t-{metric.value}-{edition}:{code}-{year}-{stars}",
        province_code=code,
        plan_ref="test",
        label=metric.value,
        metric=metric,
        year_from=year,
        year_to=year,
        minimum=1,
        maximum=None,
        min_stars=stars,
        version=1,
        province_edition=edition,
        current_code=where.current_code,
        **more,
    )
