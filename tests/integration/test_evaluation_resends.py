"""Evaluation's ingest on the real store: a province system's re-sent rating is acknowledged as a
duplicate, a conflicting one rejected, and a rejected rating does not keep its source id."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest

from ocop_contracts import ProductRated, ProductRegistered, RatingLevel
from ocop_devstack.infra import Infra
from ocop_evaluation.adapters.mongo import PRODUCTS, ensure_indexes, mongo_stores
from ocop_evaluation.service_layer.ingest import Ingest
from ocop_platform.consumer import Outcome
from ocop_platform.errors import DomainError
from ocop_platform.mongo import Database, create_client

pytestmark = pytest.mark.integration


@pytest.fixture
async def db(infra: Infra) -> AsyncIterator[Database]:
    client = create_client(infra.mongo_url)
    name = f"ocop_it_evaluation_{uuid.uuid4().hex[:8]}"
    yield client[name]
    await client.drop_database(name)
    await client.close()


@pytest.fixture
async def service(db: Database) -> Ingest:
    await ensure_indexes(db)

    async def today() -> date:
        return date(2026, 12, 2)

    return Ingest(mongo_stores(db), today)


def _registered(product_id: str, province: str = "92") -> ProductRegistered:
    return ProductRegistered(
        producer="registry",
        aggregate_id=product_id,
        aggregate_version=1,
        province_code=province,
        product_id=product_id,
        product_code=f"{province}-31120-1-2026",
        name="Bánh pía Sóc Trăng",
        entity_id="e-1",
        legal_form="cooperative",
        scoring_set_code="I.3.d",
        commune_code="31120",
    )


def _rating(product_id: str = "p1", **overrides: Any) -> ProductRated:
    fields: dict[str, Any] = {
        "producer": "can-tho-ocop",
        "aggregate_id": product_id,
        "aggregate_version": 1,
        "province_code": "92",
        "product_id": product_id,
        "score": 72.5,
        "stars": 4,
        "level": RatingLevel.PROVINCE,
        "rule_set_id": "qd26-2026",
        "rated_on": date(2026, 12, 1),
        "scoring_set_code": "I.3.d",
        "source_rating_id": "CT-2026-0042",
    }
    return ProductRated(**{**fields, **overrides})


def _resent(event: ProductRated, **changes: Any) -> ProductRated:
    return event.model_copy(update={"event_id": uuid.uuid4(), **changes})


async def _rating_version(db: Database, product_id: str) -> int:
    product = await db[PRODUCTS].find_one({"_id": product_id})
    assert product is not None
    return int(product["version"])


async def test_a_re_send_under_a_new_event_id_is_a_duplicate_and_no_new_version(
    service: Ingest, db: Database
) -> None:
    await service.on_product_registered(_registered("p1"))
    first = _rating()

    assert await service.on_ingested_rating(first) is None
    assert await service.on_ingested_rating(_resent(first)) is Outcome.DUPLICATE
    assert await service.on_ingested_rating(first) is None  # a redelivery: applied once

    assert await _rating_version(db, "p1") == 1


async def test_the_canonical_rating_carries_the_source_rating_id(
    service: Ingest, db: Database
) -> None:
    await service.on_product_registered(_registered("p1"))

    await service.on_ingested_rating(_rating())

    product = await db[PRODUCTS].find_one({"_id": "p1"})
    assert product is not None
    (pending,) = product["outbox"]
    canonical = ProductRated.model_validate_json(pending["value"])
    assert (canonical.producer, canonical.source_rating_id) == ("evaluation", "CT-2026-0042")


async def test_other_content_under_the_same_source_id_is_rejected_naming_it(
    service: Ingest, db: Database
) -> None:
    await service.on_product_registered(_registered("p1"))
    first = _rating()
    await service.on_ingested_rating(first)

    with pytest.raises(DomainError) as rejected:
        await service.on_ingested_rating(_resent(first, score=74.0))

    assert rejected.value.field == "source_rating_id"
    assert f"first received as event {first.event_id}" in rejected.value.message
    assert "score 72.5 → 74" in rejected.value.message
    assert await _rating_version(db, "p1") == 1


async def test_the_same_source_id_from_another_system_is_another_rating(
    service: Ingest, db: Database
) -> None:
    await service.on_product_registered(_registered("p1"))
    await service.on_ingested_rating(_rating())

    assert await service.on_ingested_rating(_rating(producer="can-tho-legacy")) is None

    assert await _rating_version(db, "p1") == 2


async def test_a_re_send_of_a_held_rating_is_a_duplicate_and_one_rating_is_applied(
    service: Ingest, db: Database
) -> None:
    first = _rating("p2")
    await service.on_ingested_rating(first)  # product unknown: held

    assert await service.on_ingested_rating(_resent(first)) is Outcome.DUPLICATE
    await service.on_product_registered(_registered("p2"))

    assert await _rating_version(db, "p2") == 1


async def test_a_held_rating_rejected_on_release_does_not_keep_its_source_id(
    service: Ingest, db: Database
) -> None:
    held = _rating("p4")  # Cần Thơ's system rates p4 before registry says whose it is…
    await service.on_ingested_rating(held)
    await service.on_product_registered(_registered("p4", province="82"))  # …Đồng Tháp's
    assert await _rating_version(db, "p4") == 0

    await service.on_product_registered(_registered("p5"))
    corrected = _resent(held, product_id="p5", aggregate_id="p5")

    assert await service.on_ingested_rating(corrected) is None
    assert await _rating_version(db, "p5") == 1


async def test_a_batch_s_prefetched_product_is_served_as_its_first_rating_saved_it(
    service: Ingest, db: Database
) -> None:
    await service.on_product_registered(_registered("p6"))
    first = _rating("p6", source_rating_id="CT-1")
    second = _rating("p6", source_rating_id="CT-2", score=80.0)
    unknown = _rating("p7", source_rating_id="CT-3")

    async with service.prefetch([first, second, unknown]):  # one $in per collection
        for event in (first, second, unknown):
            assert await service.on_ingested_rating(event) is None

    assert await _rating_version(db, "p6") == 2  # the second loaded p6 as the first saved it
    product = await db[PRODUCTS].find_one({"_id": "p6"})
    assert product is not None and product["score"] == 80.0
    assert await db["parked_ratings"].count_documents({"product_id": "p7"}) == 1


async def test_a_batch_records_its_source_ratings_in_one_write_a_repeat_found_recorded(
    service: Ingest, db: Database
) -> None:
    await service.on_product_registered(_registered("p8"))
    first = _rating("p8", source_rating_id="CT-8")
    await service.on_ingested_rating(first)  # recorded before the batch
    resent = _resent(first)
    other = _rating("p8", source_rating_id="CT-9", score=80.0)

    async with service.prefetch([resent, other]):  # one insert_many: CT-8 taken, CT-9 new
        assert await service.on_ingested_rating(resent) is Outcome.DUPLICATE
        assert await service.on_ingested_rating(other) is None

    assert await _rating_version(db, "p8") == 2
    kept = await db["source_ratings"].find_one({"_id": "92:can-tho-ocop:CT-8"})
    assert kept is not None and kept["event_id"] == str(first.event_id)
