"""Reporting's summaries on the real store: a redelivery changes nothing, a crash between a fact
and its summary is completed by the redelivery, a producer that moves unit moves summary, and the
summaries give the figures of the queries on the facts."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from ocop_contracts import ProductRated, RatingLevel, TargetMetric
from ocop_contracts.events.evaluation import CertificateIssued, CertificateRevoked
from ocop_contracts.events.registry import EntityRegistered, EntityUpdated, ProductWithdrawn
from ocop_contracts.vocabulary import LegalForm, RevocationGround
from ocop_devstack.infra import Infra
from ocop_platform.mongo import Database, Document, create_client
from ocop_reporting.adapters.facts import ENTITIES, RATINGS, fact_collection
from ocop_reporting.adapters.projections import MongoProjections
from ocop_reporting.adapters.queries import MongoReportQueries
from ocop_reporting.adapters.summaries import ID_BATCH, SUMMARIES, SummaryStore
from ocop_reporting.domain.certified_counts import counts_id, decompress_steps, encode_steps
from ocop_reporting.domain.summaries import (
    CertifiedView,
    certified_id,
    certified_ids,
    is_marks_id,
    packed_id,
)
from ocop_reporting.domain.units import unit
from tests.integration.support import whole_province_target

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Reporting:
    """Reporting's read models on a database of their own: written, then queried."""

    db: Database
    projections: MongoProjections
    queries: MongoReportQueries


@pytest.fixture
async def repo(infra: Infra) -> AsyncIterator[Reporting]:
    client = create_client(infra.mongo_url)
    name = f"summaries_{uuid.uuid4().hex[:10]}"
    db = client[name]
    try:
        yield Reporting(db, MongoProjections(db), MongoReportQueries(db))
    finally:
        await client.drop_database(name)
        await client.close()


def _rated(product: str, day: date, stars: int, before: int = 0, code: str = "82") -> ProductRated:
    # Version 1: `code` is the province in the edition in force on `day` (87 before the merger).
    return ProductRated(
        producer="evaluation",
        schema_version=1,
        aggregate_id=product,
        aggregate_version=1,
        province_code=code,
        product_id=product,
        score=92.0 if stars == 4 else 60.0,
        stars=stars,
        previous_stars=before,
        level=RatingLevel.PROVINCE,
        rule_set_id="qd26-2026",
        round_id=f"round-{day.year}",
        rated_on=day,
        scoring_set_code="I.1.a",
        commune_code="29500",
    )


def _producer(
    entity: str, version: int, day: date, code: str, form: LegalForm = LegalForm.COOPERATIVE
) -> EntityRegistered | EntityUpdated:
    kind = EntityRegistered if version == 1 else EntityUpdated
    return kind(
        producer="registry",
        schema_version=1,  # `code`: the province in the edition in force on `day` (87: 2024)
        aggregate_id=entity,
        aggregate_version=version,
        province_code=code,
        occurred_at=datetime.combine(day, time(3), tzinfo=UTC),
        entity_id=entity,
        name=f"Chủ thể {entity}",
        legal_form=form,
        women_led=True,
    )


_target = whole_province_target


async def _summaries(repo: Reporting, code: str = "82") -> list[dict[str, Any]]:
    """What the province's summaries hold, and the packed copies of its marks, without their
    revisions (a count of writes: a redelivery is one more)."""
    found = repo.db[SUMMARIES].find({"current_code": code}).sort("_id", 1)
    docs = [doc async for doc in found]
    packed = {packed_id(str(d["_id"])) for d in docs if is_marks_id(str(d["_id"]))}
    docs += [doc async for doc in repo.db[SUMMARIES].find({"_id": {"$in": sorted(packed)}})]
    return [{k: v for k, v in doc.items() if k not in ("rev", "r")} for doc in docs]


async def test_a_redelivered_rating_changes_no_summary(repo: Reporting) -> None:
    event = _rated("p1", date(2026, 3, 2), 4)
    assert await repo.projections.record_rating(event)
    once = await _summaries(repo)

    assert not await repo.projections.record_rating(event)

    assert await _summaries(repo) == once
    where = unit("82", "2025")
    assert await repo.queries.rating_count(where, 2026) == 1
    assert await repo.queries.new_certified_by_year(where, [2025, 2026]) == {2025: 0, 2026: 1}


async def test_a_crash_between_the_fact_and_its_summary_is_completed_by_the_redelivery(
    repo: Reporting,
) -> None:
    event = _rated("p1", date(2026, 3, 2), 3)
    await repo.projections.record_rating(event)
    await repo.db[SUMMARIES].drop()  # as if killed after the fact, before the summary
    target = _target(TargetMetric.CERTIFIED_PRODUCTS)
    assert await repo.queries.derived_actuals([target], None) == {target.target_id: 0}

    # The consumer had not committed: the event comes again.
    await repo.projections.record_rating(event)

    assert await repo.queries.derived_actuals([target], None) == {target.target_id: 1}


async def test_a_producer_whose_summary_write_was_lost_is_restored_by_the_redelivery(
    repo: Reporting,
) -> None:
    event = _producer("e1", 1, date(2026, 2, 1), "82")
    await repo.projections.record_entity(event)
    await repo.db[SUMMARIES].drop()

    assert not await repo.projections.record_entity(event)  # the fact is there already

    mix = await repo.queries.producer_mix(unit("82", "2025"), None)
    assert (mix.total, mix.women_led) == (1, 1)


async def test_an_older_version_never_overwrites_a_producer(
    repo: Reporting,
) -> None:
    record = repo.projections.record_entity
    await record(_producer("e1", 1, date(2026, 2, 1), "82"))
    await record(_producer("e1", 2, date(2026, 2, 3), "82", LegalForm.ENTERPRISE))
    await record(_producer("e1", 1, date(2026, 2, 1), "82"))  # a late redelivery

    mix = await repo.queries.producer_mix(unit("82", "2025"), None)
    assert mix.by_legal_form == {LegalForm.ENTERPRISE.value: 1}


async def test_a_producer_recorded_in_another_unit_leaves_the_old_units_summary(
    repo: Reporting,
) -> None:
    # Registered in old Đồng Tháp (87) in 2024; updated in 2026, when its province is 82.
    await repo.projections.record_entity(_producer("e1", 1, date(2024, 5, 1), "87"))
    old = _target(TargetMetric.NEW_PRODUCERS, "87", 2024, province_edition="2008")
    assert await repo.queries.derived_actuals([old], None) == {old.target_id: 1}

    await repo.projections.record_entity(_producer("e1", 2, date(2026, 1, 10), "82"))

    by_query = await repo.queries.derived_actual(old)
    by_summary = await repo.queries.derived_actuals([old], None)
    assert by_summary == {old.target_id: by_query} == {old.target_id: 0}
    new = _target(TargetMetric.NEW_PRODUCERS, "82", 2024)
    assert await repo.queries.derived_actuals([new], None) == {new.target_id: 1}
    assert await repo.db[fact_collection(ENTITIES, "82")].count_documents({}) == 1


async def test_the_summaries_give_the_figures_of_the_queries_on_the_facts(
    repo: Reporting,
) -> None:
    ratings = [
        _rated("p1", date(2025, 3, 1), 3, code="87"),  # old Đồng Tháp, before the merger
        _rated("p2", date(2025, 5, 1), 4, code="82"),  # old Tiền Giang
        _rated("p3", date(2025, 9, 1), 3, code="82"),  # today's Đồng Tháp
        _rated("p1", date(2025, 10, 1), 4, 3, code="82"),  # p1 upgraded after the merger
        _rated("p4", date(2025, 12, 1), 2, code="82"),
    ]
    for event in ratings:
        await repo.projections.record_rating(event)
    await repo.projections.record_entity(_producer("e1", 1, date(2025, 2, 1), "87"))
    await repo.projections.record_entity(_producer("e2", 1, date(2025, 8, 1), "82"))
    targets = [
        _target(metric, code, 2025, province_edition=edition, min_stars=stars)
        for metric in (
            TargetMetric.CERTIFIED_PRODUCTS,
            TargetMetric.UPGRADED_PRODUCTS,
            TargetMetric.NATIONAL_PROPOSALS,
            TargetMetric.EVALUATION_ROUNDS,
            TargetMetric.NEW_PRODUCERS,
        )
        for code, edition in (("82", "2025"), ("87", "2008"), ("82", "2008"))
        for stars in (3, 4)
    ]
    as_of = date(2025, 9, 30)
    for day in (None, as_of):
        by_summary = await repo.queries.derived_actuals(targets, day)
        by_query = {t.target_id: await repo.queries.derived_actual(t, day) for t in targets}
        assert by_summary == by_query
    figures = await repo.queries.derived_actuals(targets, None)
    assert figures[_target(TargetMetric.CERTIFIED_PRODUCTS, "82", 2025, min_stars=3).target_id] == 3
    assert await repo.db[fact_collection(RATINGS, "82")].count_documents({}) == len(ratings)


def _issued(cert: str, product: str, day: date, stars: int = 4, code: str = "82") -> Any:
    return CertificateIssued(
        producer="evaluation",
        aggregate_id=product,
        aggregate_version=2,
        province_code=code,
        occurred_at=datetime.combine(day, time(3), tzinfo=UTC),
        certificate_id=cert,
        product_id=product,
        stars=stars,
        level=RatingLevel.PROVINCE,
        decision_ref=f"{cert}/QĐ-UBND",
        issued_on=day,
        valid_until=day.replace(year=day.year + 3),
        rule_set_id="qd26-2026",
    )


async def _valid_by_facts(repo: Reporting, day: date, cut: date | None = None) -> dict[str, int]:
    """The valid certificates of each province by query on its facts (the overview's path)."""
    found = {}
    for code in ("82", "01"):
        count = len(await repo.queries.certified_products(unit(code, "2025"), day, cut))
        if count:
            found[code] = count
    return found


async def test_a_redelivered_certificate_counts_once_and_its_end_leaves_the_valid_count(
    repo: Reporting,
) -> None:
    issued = _issued("c1", "p1", date(2026, 1, 10))
    await repo.projections.record_certificate(issued)
    await repo.projections.record_certificate(issued)  # redelivered
    await repo.projections.record_certificate(_issued("c2", "p2", date(2026, 1, 12), 3))
    await repo.projections.record_certificate(_issued("c3", "p3", date(2026, 2, 1), 5, "01"))
    march = date(2026, 3, 1)
    assert await repo.queries.national_valid_certified(march) == {"82": 2, "01": 1}

    revoked = CertificateRevoked(
        producer="evaluation",
        aggregate_id="p1",
        aggregate_version=3,
        province_code="82",
        occurred_at=datetime(2026, 3, 5, 3, tzinfo=UTC),
        certificate_id="c1",
        product_id="p1",
        stars=4,
        ground=RevocationGround.CRITERIA_NO_LONGER_MET,
        decision_ref="9/QĐ-UBND",
        revoked_on=date(2026, 3, 5),
    )
    await repo.projections.end_certificate(revoked)
    await repo.projections.end_certificate(revoked)
    withdrawn = ProductWithdrawn(
        producer="registry",
        aggregate_id="p3",
        aggregate_version=4,
        province_code="01",
        occurred_at=datetime(2026, 4, 2, 3, tzinfo=UTC),
        product_id="p3",
        withdrawn_on=date(2026, 4, 1),
        reason="stopped",
    )
    await repo.projections.record_withdrawal(withdrawn)

    after = date(2026, 5, 1)
    assert await repo.queries.national_valid_certified(after) == {"82": 1, "01": 0}
    assert await repo.queries.national_valid_certified(march) == {"82": 2, "01": 1}
    # As known on 4 March: the revocation of the 5th was not known, nor the withdrawal.
    assert await repo.queries.national_valid_certified(after, date(2026, 3, 4)) == {
        "82": 2,
        "01": 1,
    }
    for day, cut in ((march, None), (after, None), (after, date(2026, 3, 4))):
        by_summary = await repo.queries.national_valid_certified(day, cut)
        assert {k: v for k, v in by_summary.items() if v} == await _valid_by_facts(repo, day, cut)


async def test_a_certificate_whose_summary_write_was_lost_is_restored_by_the_redelivery(
    repo: Reporting,
) -> None:
    issued = _issued("c1", "p1", date(2026, 1, 10))
    await repo.projections.record_certificate(issued)
    await repo.db[SUMMARIES].drop()  # as if killed after the fact, before the summary

    await repo.projections.record_certificate(issued)

    assert await repo.queries.national_valid_certified(date(2026, 2, 1)) == {"82": 1}


async def test_a_database_written_before_the_certified_counts_gets_them_at_startup(
    repo: Reporting,
) -> None:
    await repo.projections.record_certificate(_issued("c1", "p1", date(2026, 1, 10)))
    await repo.projections.record_certificate(_issued("c2", "p2", date(2026, 1, 12), 3, "01"))
    await repo.db[SUMMARIES].delete_many({"_id": {"$in": [counts_id("82"), counts_id("01")]}})
    assert await repo.queries.national_valid_certified(date(2026, 2, 1)) == {}

    await repo.projections.ensure_indexes()  # the service's startup (on FerretDB too)

    assert await repo.queries.national_valid_certified(date(2026, 2, 1)) == {"82": 1, "01": 1}


async def test_counts_of_an_earlier_shape_are_recounted_at_startup(repo: Reporting) -> None:
    await repo.projections.record_certificate(_issued("c1", "p1", date(2026, 1, 10)))
    bucket = certified_id("82", "p1").rsplit(":", 1)[-1]
    counts = await repo.db[SUMMARIES].find_one({"_id": counts_id("82")})
    assert counts is not None
    entry = counts["b"][bucket]
    # The same revision, its steps as one string not compressed (as kept before).
    fields = {f"b.{bucket}": {"r": entry["r"], "s": encode_steps(decompress_steps(entry["z"]))}}
    await repo.db[SUMMARIES].update_one({"_id": counts_id("82")}, {"$set": fields})
    assert await repo.queries.national_valid_certified(date(2026, 2, 1)) == {"82": 0}

    await repo.projections.ensure_indexes()  # the service's startup (on FerretDB too)

    assert await repo.queries.national_valid_certified(date(2026, 2, 1)) == {"82": 1}


_ISSUE = {"current_code": "82", "stars": 4, "valid_until": "2029-01-09"}


def _issue(product: str, day: str) -> Document:
    return {**_ISSUE, "product_id": product, "day": day, "known": day}


async def test_a_withdrawal_after_a_revocation_leaves_the_national_count(repo: Reporting) -> None:
    # The product's steps before and after the withdrawal differ only in their days (the same
    # values in the same order): FerretDB v1 took such a `$set` of a document for no change.
    store = SummaryStore(repo.db)
    await store.put_certificate("c1", _issue("p1", "2026-01-10"))
    end = {"product_id": "p1", "ended_on": "2026-03-01", "ended_known": "2026-03-01"}
    await store.end_certificate("c1", "82", end)
    withdrawal = {"withdrawn_on": "2026-02-01", "withdrawn_known": "2026-02-01"}
    await store.put_withdrawal("82", "p1", withdrawal, 2)

    on = date(2026, 2, 15)  # withdrawn, not yet revoked
    assert CertifiedView(await store.read(certified_ids("82"))).certified(on) == 0
    assert await repo.queries.national_valid_certified(on) == {"82": 0}


class _HeldBetweenReadAndCount(SummaryStore):
    """The live store with its first recount held between reading a certificate document and
    writing its counts, until `release`: the interleaving two handlers of one process can meet
    (FastStream runs each topic's subscriber concurrently) or two processes on MongoDB."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.holding = asyncio.Event()
        self.release = asyncio.Event()

    async def read(self, ids: Iterable[str]) -> list[Document]:
        found = await super().read(ids)
        if not self.holding.is_set():
            self.holding.set()
            await self.release.wait()
        return found


async def test_the_older_recount_of_a_certificate_document_never_overwrites_a_newer_one(
    infra: Infra, repo: Reporting
) -> None:
    # One connection, as the service runs on FerretDB (which loses concurrent updates across
    # connections): the commands of the two writes interleave, each stays whole.
    client = create_client(infra.mongo_url, max_pool_size=1)
    try:
        db = client[repo.db.name]
        store = _HeldBetweenReadAndCount(db)
        await SummaryStore(db).put_certificate("c1", _issue("p1", "2026-01-10"))

        end = {"product_id": "p1", "ended_on": "2026-03-01", "ended_known": "2026-03-01"}
        revoked = asyncio.create_task(store.end_certificate("c1", "82", end))
        await store.holding.wait()  # the end written and its document read, not yet counted
        # p15's certificate, in the same document (bucket): written and counted meanwhile.
        assert certified_ids("82").count(certified_id("82", "p15")) == 1
        assert certified_id("82", "p15") == certified_id("82", "p1")
        await store.put_certificate("c2", _issue("p15", "2026-02-01"))
        store.release.set()
        await revoked

        on = date(2026, 2, 15)  # both valid: the older recount knew p1's certificate alone
        assert CertifiedView(await store.read(certified_ids("82"))).certified(on) == 2
        assert await repo.queries.national_valid_certified(on) == {"82": 2}
    finally:
        await client.close()


async def test_the_national_figures_and_ratings_come_from_one_summaries_read_per_view(
    repo: Reporting,
) -> None:
    for event in (
        _rated("p1", date(2026, 3, 1), 3, code="82"),
        _rated("p2", date(2026, 4, 1), 4, code="82"),
        _rated("p3", date(2026, 4, 1), 4, code="01"),
        _rated("p4", date(2025, 8, 1), 3, code="82"),
    ):
        await repo.projections.record_rating(event)
        await repo.projections.record_rating(event)
    assert await repo.queries.national_certified(2026) == {"82": 2, "01": 1}
    assert await repo.queries.national_certified(2025) == {"82": 1}
    by_province = {("82", 3): 2, ("82", 4): 1, ("01", 4): 1}
    assert await repo.queries.ratings_by_province(2026) == by_province
    assert await repo.queries.rating_count(unit("82", "2025"), 2025) == 1
    assert await repo.queries.rating_count(unit("82", "2025"), 2026) == 2
    assert await repo.queries.rating_count(unit("01", "2025"), 2026) == 1


async def test_the_national_view_reads_the_summaries_once_for_new_products_and_actuals(
    repo: Reporting, monkeypatch: pytest.MonkeyPatch
) -> None:
    for event in (
        _rated("p1", date(2026, 3, 1), 3, code="82"),
        _rated("p2", date(2026, 4, 1), 4, code="82"),
        _rated("p3", date(2026, 4, 1), 4, code="01"),
        _rated("p4", date(2025, 8, 1), 3, code="82"),
    ):
        await repo.projections.record_rating(event)
    targets = [
        _target(metric, code, 2026, min_stars=stars)
        for metric in (
            TargetMetric.CERTIFIED_PRODUCTS,
            TargetMetric.EVALUATION_ROUNDS,
            TargetMetric.NEW_PRODUCERS,
        )
        for code in ("82", "01")
        for stars in (3, 4)
    ]
    await repo.projections.record_entity(_producer("e1", 1, date(2026, 2, 1), "82"))
    reads: list[list[str]] = []
    read = SummaryStore.read

    async def counted(store: SummaryStore, ids: Any) -> list[dict[str, Any]]:
        reads.append(list(ids))
        return await read(store, reads[-1])

    monkeypatch.setattr(SummaryStore, "read", counted)
    figures = await repo.queries.national_figures(2026, targets, None)
    assert len(reads) == 1
    monkeypatch.undo()
    # The marks alone: no figure here needs rating ids or producers' states.
    assert not [i for i in reads[0] if i.startswith(("rated:", "producers:"))]

    assert figures.new_certified == {"82": 2, "01": 1}
    assert figures.actuals == await repo.queries.derived_actuals(targets, None)
    three = _target(TargetMetric.CERTIFIED_PRODUCTS, "82", 2026, min_stars=3).target_id
    assert figures.actuals[three] == 2
    producers = _target(TargetMetric.NEW_PRODUCERS, "82", 2026, min_stars=3).target_id
    assert figures.actuals[producers] == 1
    as_of = date(2026, 3, 31)
    corrected = await repo.queries.national_figures(2026, targets, as_of)
    assert corrected.actuals == await repo.queries.derived_actuals(targets, as_of)
    assert corrected.actuals[three] == 1
    # As known then, from the facts: the ratings became known today, after 31 March.
    known = await repo.queries.national_figures(2026, targets, as_of, as_of)
    assert known.actuals == await repo.queries.derived_actuals(targets, as_of, as_of)
    assert known.actuals[three] == 0


async def test_a_read_of_more_ids_than_one_batch_finds_every_summary(repo: Reporting) -> None:
    await repo.projections.record_rating(_rated("p1", date(2026, 3, 1), 3, code="82"))
    await repo.projections.record_rating(_rated("p2", date(2026, 3, 1), 3, code="01"))
    wanted = [f"2025:82:{y}" for y in range(1000, 1000 + ID_BATCH)] + ["2025:82:2026"]
    wanted += ["2025:01:2026"]

    found = await SummaryStore(repo.db).read(wanted)

    assert sorted(doc["_id"] for doc in found) == ["2025:01:2026", "2025:82:2026"]


async def _as_before_the_split(repo: Reporting, summary: str) -> None:
    """A unit-year's documents made one, as the code before the split wrote them: the rating
    ids and producers in the marks document, no `joined` marks."""
    collection = repo.db[SUMMARIES]
    for kind in (f"rated:{summary}", f"producers:{summary}"):
        doc = await collection.find_one({"_id": kind})
        if doc is None:
            continue
        fields = {k: v for k, v in doc.items() if k in ("rated", "producers")}
        await collection.update_one({"_id": summary}, {"$set": fields}, upsert=True)
        await collection.delete_one({"_id": kind})
    await collection.update_one({"_id": summary}, {"$unset": {"joined": ""}})


async def test_a_database_written_before_the_split_reads_with_the_documents_written_after(
    repo: Reporting,
) -> None:
    rated = _rated("p1", date(2026, 3, 1), 3)
    await repo.projections.record_rating(rated)
    await repo.projections.record_entity(_producer("e1", 1, date(2026, 2, 1), "82"))
    await repo.projections.record_entity(_producer("e2", 1, date(2026, 2, 2), "82"))
    await _as_before_the_split(repo, "2025:82:2026")
    ids = sorted([doc["_id"] async for doc in repo.db[SUMMARIES].find({"current_code": "82"})])
    assert ids == ["2025:82:2026"]

    # The split code: a redelivery, a new rating, a producer's newer version.
    await repo.projections.record_rating(rated)
    await repo.projections.record_rating(_rated("p2", date(2026, 4, 1), 4))
    await repo.projections.record_entity(
        _producer("e1", 2, date(2026, 2, 1), "82", LegalForm.ENTERPRISE)
    )

    where = unit("82", "2025")
    assert await repo.queries.rating_count(where, 2026) == 2  # p1's rating once
    assert await repo.queries.ratings_by_province(2026) == {("82", 3): 1, ("82", 4): 1}
    mix = await repo.queries.producer_mix(where, None)
    assert mix.by_legal_form == {LegalForm.COOPERATIVE.value: 1, LegalForm.ENTERPRISE.value: 1}
    assert mix == await repo.queries.producer_mix(where, date(2026, 12, 31))  # by `_id`
    targets = [
        _target(TargetMetric.NEW_PRODUCERS),
        _target(TargetMetric.CERTIFIED_PRODUCTS, min_stars=3),
        _target(TargetMetric.CERTIFIED_PRODUCTS, min_stars=4),
    ]
    figures = await repo.queries.national_figures(2026, targets, None)
    assert figures.new_certified == {"82": 2}
    assert list(figures.actuals.values()) == [2, 2, 1]
    assert figures.actuals == {t.target_id: await repo.queries.derived_actual(t) for t in targets}


async def test_a_database_written_before_the_packed_marks_gets_them_at_startup(
    repo: Reporting,
) -> None:
    await repo.projections.record_rating(_rated("p1", date(2026, 3, 1), 3))
    await repo.projections.record_rating(_rated("p2", date(2026, 4, 1), 4, code="01"))
    await repo.projections.record_entity(_producer("e1", 1, date(2026, 2, 1), "82"))
    await _as_before_the_split(repo, "2025:82:2026")
    # As the code before the packed copies wrote it: no packed copies, no revisions.
    collection = repo.db[SUMMARIES]
    await collection.delete_many({"_id": {"$regex": "^packed:"}})
    await collection.update_many({}, {"$unset": {"rev": ""}})
    assert await repo.queries.national_certified(2026) == {}

    await repo.projections.ensure_indexes()  # the service's startup (on FerretDB too)

    assert await repo.queries.national_certified(2026) == {"82": 1, "01": 1}
    # The rating ids the marks document kept before the split, from its packed copy.
    assert await repo.queries.ratings_by_province(2026) == {("82", 3): 1, ("01", 4): 1}
    target = _target(TargetMetric.NEW_PRODUCERS)  # from the producers' states kept there
    figures = await repo.queries.national_figures(2026, [target], None)
    assert figures.actuals == {target.target_id: 1}
    # Once per database: a packed copy lost later is not filled by a restart (the writes do).
    await collection.delete_many({"_id": {"$regex": "^packed:"}})
    await repo.projections.ensure_indexes()
    assert await repo.queries.national_certified(2026) == {}


async def test_a_producer_moving_unit_leaves_a_document_written_before_the_split(
    repo: Reporting,
) -> None:
    await repo.projections.record_entity(_producer("e1", 1, date(2024, 5, 1), "87"))
    await _as_before_the_split(repo, "2008:87:2024")
    old = _target(TargetMetric.NEW_PRODUCERS, "87", 2024, province_edition="2008")
    assert await repo.queries.derived_actuals([old], None) == {old.target_id: 1}

    await repo.projections.record_entity(_producer("e1", 2, date(2026, 1, 10), "82"))

    assert await repo.queries.derived_actuals([old], None) == {old.target_id: 0}
    new = _target(TargetMetric.NEW_PRODUCERS, "82", 2024)
    assert await repo.queries.derived_actuals([new], None) == {new.target_id: 1}
