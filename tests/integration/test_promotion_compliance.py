"""Promotion's placements on the real store: a certificate that runs out is swept even without
evaluation's CertificateExpired, in one write with its events; and delisting is idempotent."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date

import pytest

from ocop_contracts.vocabulary import DelistReason, VenueKind
from ocop_devstack.infra import Infra
from ocop_platform.mongo import Database, create_client
from ocop_promotion.adapters.repository import PLACEMENTS, MongoPromotionRepository
from ocop_promotion.domain.placements import VenueRef
from ocop_promotion.service_layer.services import PromotionService
from tests.integration.support import fresh_databases, promotion_on

pytestmark = pytest.mark.integration


class Clock:
    def __init__(self, today: date) -> None:
        self.today = today

    def __call__(self) -> date:
        return self.today


@pytest.fixture
async def db(infra: Infra) -> AsyncIterator[Database]:
    async with fresh_databases(create_client(infra.mongo_url), "ocop_it_promotion_") as (db,):
        yield db


async def _placed(db: Database, clock: Clock) -> tuple[PromotionService, MongoPromotionRepository]:
    promotion = await promotion_on(db, today=clock)
    service, repo, placements = promotion.service, promotion.repo, promotion.placements
    await repo.apply_evaluation(
        "prd-1",
        2,
        {
            "certificate_id": "cert-1",
            "stars": 4,
            "valid_until": "2026-09-30",
            "status": "valid",
            "province_code": "82",
        },
    )
    await placements.place("prd-1", VenueRef(VenueKind.SHOWROOM, "shr-1", "Điểm bán OCOP Sa Đéc"))
    await placements.place("prd-1", VenueRef(VenueKind.ONLINE, "lst-1", "shopee"))
    return service, repo


async def test_a_certificate_that_ran_out_is_swept_from_every_venue_with_its_events(
    db: Database,
) -> None:
    clock = Clock(date(2026, 9, 30))
    service, _ = await _placed(db, clock)
    assert await service.sweep_lapsed_certificates(date(2026, 9, 30)) == 0  # last valid day

    clock.today = date(2026, 10, 1)
    assert await service.sweep_lapsed_certificates(clock.today) == 1

    doc = await db[PLACEMENTS].find_one({"_id": "prd-1"})
    assert doc is not None
    assert {(e["venue_id"], e["state"], e["reason"]) for e in doc["entries"]} == {
        ("shr-1", "delisted", DelistReason.CERTIFICATE_EXPIRED.value),
        ("lst-1", "delisted", DelistReason.CERTIFICATE_EXPIRED.value),
    }
    events = [json.loads(e["value"]) for e in doc["outbox"]]
    delisted = [e for e in events if e["type"] == "ProductDelisted"]
    assert {(e["venue_id"], e["certificate_id"]) for e in delisted} == {
        ("shr-1", "cert-1"),
        ("lst-1", "cert-1"),
    }
    versions = [e["aggregate_version"] for e in events]
    assert versions == sorted(set(versions)) == [1, 2, 3, 4]
    assert doc["version"] == 4


async def test_sweeping_again_changes_nothing(db: Database) -> None:
    clock = Clock(date(2026, 9, 1))
    service, repo = await _placed(db, clock)
    clock.today = date(2026, 10, 1)
    await service.sweep_lapsed_certificates(clock.today)
    before = await db[PLACEMENTS].find_one({"_id": "prd-1"})

    assert await service.sweep_lapsed_certificates(clock.today) == 0
    after = await db[PLACEMENTS].find_one({"_id": "prd-1"})
    assert before == after
    certification = await repo.certification("prd-1")
    assert certification is not None and certification.status == "expired"
