"""The rebuild's summaries (adapters/deferred_summaries.py: writes held per document, written once
per batch) are the very documents the live writes make one event at a time, on the real store:
for the national data set's events, redeliveries, a producer that moves unit inside a batch, an
older producer version arriving after a newer one, a revocation before its issue and
withdrawals — certificate documents' revisions and the certified counts included."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time

import pytest

from ocop_contracts import Event
from ocop_contracts.events.evaluation import CertificateRevoked
from ocop_contracts.events.registry import EntityRegistered, EntityUpdated, ProductWithdrawn
from ocop_contracts.vocabulary import LegalForm, RevocationGround
from ocop_devstack.infra import Infra
from ocop_platform.mongo import Database, create_client
from ocop_reporting.adapters.projections import MongoProjections
from ocop_reporting.domain.certified_counts import count, is_counted, province_steps
from ocop_reporting.domain.summaries import CERTIFIED_PREFIX, CertifiedView, bucket_of, revision
from tests.integration.support import fresh_databases, national_facts, summary_documents

pytestmark = pytest.mark.integration


@pytest.fixture
async def two_dbs(infra: Infra) -> AsyncIterator[tuple[Database, Database]]:
    async with fresh_databases(create_client(infra.mongo_url), "deferred_", 2) as (live, rebuilt):
        yield live, rebuilt


def _producer(entity: str, version: int, day: date, code: str, form: LegalForm) -> Event:
    kind = EntityRegistered if version == 1 else EntityUpdated
    return kind(
        producer="registry",
        schema_version=1,  # the province in the edition of its day
        aggregate_id=entity,
        aggregate_version=version,
        province_code=code,
        occurred_at=datetime.combine(day, time(3), tzinfo=UTC),
        entity_id=entity,
        name=f"Chủ thể {entity}",
        legal_form=form,
    )


def _by_hand() -> list[Event]:
    revoked = CertificateRevoked(
        producer="evaluation",
        aggregate_id="hand-p1",
        aggregate_version=3,
        province_code="82",
        occurred_at=datetime(2026, 3, 5, 3, tzinfo=UTC),
        certificate_id="HAND-C1",
        product_id="hand-p1",
        stars=4,
        ground=RevocationGround.CRITERIA_NO_LONGER_MET,
        decision_ref="9/QĐ-UBND",
        revoked_on=date(2026, 3, 5),
    )
    withdrawals = [
        ProductWithdrawn(
            producer="registry",
            aggregate_id=f"nat-prd-{n:05d}",
            aggregate_version=version,
            province_code="01",
            occurred_at=datetime(2026, 4, day, 3, tzinfo=UTC),
            product_id=f"nat-prd-{n:05d}",
            withdrawn_on=date(2026, 4, day),
            reason="stopped",
        )
        for n, version, day in ((0, 3, 2), (0, 2, 1), (1, 2, 9))  # an older one after
    ]
    return [
        revoked,  # before its issue (not in the set: it stays an end without an issue)
        # Old Đồng Tháp (87) in 2024, then today's 82: it leaves 2008:87:2024 in one batch.
        _producer("hand-e1", 1, date(2024, 5, 1), "87", LegalForm.COOPERATIVE),
        _producer("hand-e1", 2, date(2026, 1, 10), "82", LegalForm.ENTERPRISE),
        # A newer version first, the older one later (a rebuild beside the live service).
        _producer("hand-e2", 2, date(2026, 2, 3), "82", LegalForm.ENTERPRISE),
        _producer("hand-e2", 1, date(2026, 2, 1), "82", LegalForm.COOPERATIVE),
        *withdrawals,
    ]


async def test_the_rebuild_s_held_writes_make_the_live_writes_documents(
    two_dbs: tuple[Database, Database],
) -> None:
    rng = random.Random(5)
    events = national_facts()
    events += _by_hand()
    events += rng.sample(events, 60)  # redelivered later
    live_db, rebuilt_db = two_dbs
    live, rebuilt = MongoProjections(live_db), MongoProjections(rebuilt_db, deferred_summaries=True)
    for event in events:
        await live.apply(event)
    for start in range(0, len(events), 97):  # batches as the rebuild's getmany gives them
        for event in events[start : start + 97]:
            await rebuilt.apply(event)
        await rebuilt.flush()

    expected = await summary_documents(live_db)
    assert len(expected) > 50  # units, years and certificate buckets of 34 provinces
    assert await summary_documents(rebuilt_db) == expected
    # The certified counts among them: each certificate document's, of its revision, giving the
    # figures its certificates give.
    buckets = [d for d in expected if d["_id"].startswith(CERTIFIED_PREFIX)]
    counts = {d["current_code"]: d for d in expected if d["_id"].startswith("certified_counts:")}
    assert len(counts) > 10 and all(revision(d) > 0 for d in buckets)
    for doc in buckets:
        assert is_counted(counts[doc["current_code"]], bucket_of(doc["_id"]), doc)
    for code, held in counts.items():
        view = CertifiedView(d for d in buckets if d["current_code"] == code)
        for day in (date(2022, 12, 31), date(2026, 4, 5)):
            assert count(province_steps(held), day) == view.certified(day)
    # The cases by hand landed as the live writes put them (producers beside the marks).
    producers = {d["_id"]: d.get("producers", {}) for d in expected}
    assert "hand-e1" not in producers.get("producers:2008:87:2024", {})
    assert (
        producers["producers:2025:82:2026"]["hand-e2"]["legal_form"] == LegalForm.ENTERPRISE.value
    )
    assert not any(d.get("producers") or d.get("rated") for d in expected if d["_id"][0].isdigit())
