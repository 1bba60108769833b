"""The national view's read model on the real store — each unit-year's marks packed beside them
(`packed:…`) and each province's certified counts (`certified_counts:…`), both recomputed from a
read made after their document's write and never written over a newer revision: the live
consumers, two topics' batches writing the same province's documents at once, give the national
figures the rebuild gives (one batch after another) and the facts give."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, date, datetime

import pytest

from ocop_contracts import Event, TargetMetric
from ocop_contracts.events.evaluation import CertificateIssued, CertificateRevoked
from ocop_contracts.events.registry import ProductWithdrawn
from ocop_contracts.reference import current_provinces
from ocop_contracts.vocabulary import RevocationGround
from ocop_devstack.infra import Infra
from ocop_platform.mongo import Database, Document, create_client
from ocop_reporting.adapters.projections import MongoProjections
from ocop_reporting.adapters.queries import MongoReportQueries
from ocop_reporting.adapters.summaries import SUMMARIES, SummaryStore
from ocop_reporting.domain.progress import Target
from ocop_reporting.domain.summaries import packed_id, rating_marks, unpack
from ocop_reporting.domain.units import unit
from tests.integration.support import fresh_databases, national_facts, whole_province_target

pytestmark = pytest.mark.integration

BATCH = 10  # the consumers' default batch size (OCOP_CONSUMER_BATCH_SIZE)
YEARS = range(2021, 2027)


@pytest.fixture
async def two_dbs(infra: Infra) -> AsyncIterator[tuple[Database, Database]]:
    # One connection, as the service runs on FerretDB (which loses concurrent updates across
    # connections): the two topics' commands interleave, each stays whole.
    client = create_client(infra.mongo_url, max_pool_size=1)
    async with fresh_databases(client, "national_", 2) as (live, rebuilt):
        yield live, rebuilt


def _ends(events: Iterable[Event], rng: random.Random) -> list[Event]:
    """Revocations and withdrawals of certified products: a certificate's end on one topic and
    its product's withdrawal on the other, in the same certificate document."""
    issued = [e for e in events if isinstance(e, CertificateIssued)]
    found: list[Event] = []
    for issue in rng.sample(issued, 40):
        day = min(issue.issued_on.replace(year=issue.issued_on.year + 1), date(2026, 6, 30))
        when = datetime(day.year, day.month, day.day, 3, tzinfo=UTC)
        where = issue.province_code
        if rng.random() < 0.6:
            found.append(
                CertificateRevoked(
                    producer="evaluation",
                    aggregate_id=issue.product_id,
                    aggregate_version=issue.aggregate_version + 10,
                    province_code=where,
                    occurred_at=when,
                    certificate_id=issue.certificate_id,
                    product_id=issue.product_id,
                    stars=issue.stars,
                    ground=RevocationGround.CRITERIA_NO_LONGER_MET,
                    decision_ref="9/QĐ-UBND",
                    revoked_on=day,
                )
            )
        if rng.random() < 0.6:
            found.append(
                ProductWithdrawn(
                    producer="registry",
                    aggregate_id=issue.product_id,
                    aggregate_version=50,
                    province_code=where,
                    occurred_at=when,
                    product_id=issue.product_id,
                    withdrawn_on=day,
                    reason="stopped",
                )
            )
    return found


def _targets() -> list[Target]:
    """A whole-province target of every metric the packed marks answer, per province and year."""
    metrics = (
        (TargetMetric.CERTIFIED_PRODUCTS, 3),
        (TargetMetric.CERTIFIED_PRODUCTS, 4),
        (TargetMetric.UPGRADED_PRODUCTS, None),
        (TargetMetric.NATIONAL_PROPOSALS, None),
        (TargetMetric.FIVE_STAR_PRODUCTS, None),
        (TargetMetric.EVALUATION_ROUNDS, None),
        (TargetMetric.NEW_PRODUCERS, None),
    )
    return [
        whole_province_target(metric, code, year, min_stars=stars)
        for code in current_provinces()
        for year in YEARS
        for metric, stars in metrics
    ]


async def _figures(db: Database) -> dict[str, object]:
    """What the national view shows, every year and on days and cuts around the ends."""
    queries = MongoReportQueries(db)
    targets = _targets()
    found: dict[str, object] = {}
    for year in YEARS:
        mine = [t for t in targets if t.year_from == year]
        figures = await queries.national_figures(year, mine, None)
        found[f"new {year}"] = figures.new_certified
        found[f"actuals {year}"] = figures.actuals
    for day, cut in (
        (date(2023, 6, 30), None),
        (date(2025, 12, 31), None),
        (date(2026, 7, 1), None),
        (date(2026, 7, 1), date(2025, 12, 31)),
    ):
        found[f"certified {day} {cut}"] = await queries.national_valid_certified(day, cut)
    return found


async def _by_topic_in_batches(projections: MongoProjections, events: list[Event]) -> None:
    for start in range(0, len(events), BATCH):
        async with projections.batch():
            for event in events[start : start + BATCH]:
                await projections.apply(event)


async def test_two_topics_writing_one_province_at_once_give_the_rebuild_s_national_figures(
    two_dbs: tuple[Database, Database],
) -> None:
    rng = random.Random(11)
    facts = national_facts()
    events = facts + _ends(facts, rng)
    events += rng.sample(events, 60)  # redelivered later
    evaluation = [e for e in events if e.producer == "evaluation"]
    registry = [e for e in events if e.producer != "evaluation"]
    assert any(isinstance(e, ProductWithdrawn) for e in registry)
    assert any(isinstance(e, CertificateRevoked) for e in evaluation)
    live_db, rebuilt_db = two_dbs

    # Live: each topic's consumer in batches, both at once.
    live = MongoProjections(live_db)
    await asyncio.gather(
        _by_topic_in_batches(live, evaluation), _by_topic_in_batches(live, registry)
    )
    # Rebuilt: one topic after the other, the rebuild's batches.
    rebuilt = MongoProjections(rebuilt_db, deferred_summaries=True)
    for topic in (registry, evaluation):
        for start in range(0, len(topic), 97):
            for event in topic[start : start + 97]:
                await rebuilt.apply(event)
            await rebuilt.flush()

    figures = await _figures(live_db)
    assert sum(figures["certified 2026-07-01 None"].values()) > 0  # type: ignore[attr-defined]
    assert sum(figures["new 2025"].values()) > 0  # type: ignore[attr-defined]
    assert await _figures(rebuilt_db) == figures
    # And the facts' figures (the queries the summaries stand for).
    queries = MongoReportQueries(live_db)
    for code in ("01", "79", "82"):
        for day in (date(2025, 12, 31), date(2026, 7, 1)):
            by_facts = await queries.certified_products(unit(code, "2025"), day)
            assert figures[f"certified {day} None"].get(code, 0) == len(by_facts)  # type: ignore[attr-defined]
    for target in [t for t in _targets() if t.current_code in ("01", "82")]:
        actual = await queries.derived_actual(target)
        assert figures[f"actuals {target.year_from}"][target.target_id] == actual  # type: ignore[index]


class _HeldBetweenReadAndPack(SummaryStore):
    """The live store with its first packing held between reading a marks document and writing
    its packed copy, until `release`: the interleaving two topics' batches of one process can
    meet (FastStream runs each topic's subscriber concurrently) or two processes on MongoDB."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.holding = asyncio.Event()
        self.release = asyncio.Event()

    async def _put_packed(self, doc: Document) -> None:
        if not self.holding.is_set():
            self.holding.set()
            await self.release.wait()
        await super()._put_packed(doc)


def _rating(product: str, day: str, stars: int) -> Document:
    """A rating fact as stored (what `SummaryStore.add_marks` is given)."""
    return {
        "_id": f"ev-{product}",
        "edition": "2025",
        "unit_code": "82",
        "current_code": "82",
        "day": day,
        "product_id": product,
        "stars": stars,
        "previous_stars": 0,
        "score": 70.0,
    }


async def test_the_older_packing_of_a_marks_document_never_overwrites_a_newer_one(
    two_dbs: tuple[Database, Database],
) -> None:
    db, _ = two_dbs
    store, other = _HeldBetweenReadAndPack(db), SummaryStore(db)
    p1, p2 = _rating("p1", "2026-03-01", 3), _rating("p2", "2026-04-01", 4)

    first = asyncio.create_task(store.add_marks(p1, rating_marks(p1)))
    await store.holding.wait()  # p1's mark written and its document read, not yet packed
    await other.add_marks(p2, rating_marks(p2))  # the same document: written and packed
    store.release.set()
    await first

    packed = await db[SUMMARIES].find_one({"_id": packed_id("2025:82:2026")})
    assert packed is not None
    assert sorted(unpack(packed)["crossed"]["3"]) == ["2026-03-01 p1", "2026-04-01 p2"]
    assert await MongoReportQueries(db).national_certified(2026) == {"82": 2}
