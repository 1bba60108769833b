"""Province systems' ratings on ocop.ingest.evaluation.v1: checked against the rules, then
re-emitted canonically, held until the product is known, or dead-lettered with the reason."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from ocop_contracts import ProductRated, RatingLevel, topics
from ocop_contracts.topics import dead_letter_topic
from ocop_devstack.infra import Infra
from ocop_devstack.services import ServiceStack
from tests.e2e.evaluation_support import PROVINCE, events_of, publish, registered, types

pytestmark = pytest.mark.e2e


def _province_rating(product_id: str, **overrides: Any) -> ProductRated:
    fields: dict[str, Any] = {
        "producer": "can-tho-ocop",
        "aggregate_id": product_id,
        "aggregate_version": 1,
        "province_code": PROVINCE,
        "product_id": product_id,
        "score": 72.5,
        "stars": 4,
        "level": RatingLevel.PROVINCE,
        "rule_set_id": "qd26-2026",
        "rated_on": date(2026, 12, 1),
        "scoring_set_code": "I.3.d",
        "parts": {"A": 30.0, "B": 17.5, "C": 25.0},
    }
    return ProductRated(**{**fields, **overrides})


async def test_a_province_five_star_rating_is_dead_lettered_with_the_reason(
    services: ServiceStack, infra: Infra
) -> None:
    product_id = f"ing-{uuid.uuid4().hex[:10]}"
    five = _province_rating(product_id, score=95.0, stars=5, level=RatingLevel.CENTRAL)
    await publish(infra.kafka_bootstrap, topics.INGEST_EVALUATION, [five])
    letters = await events_of(
        infra.kafka_bootstrap, dead_letter_topic(topics.INGEST_EVALUATION), product_id, bool
    )
    reason = letters[0][1]["x-dlq-reason"].decode()
    assert "may not award 5★" in reason and "(stars)" in reason


async def test_parts_that_do_not_add_up_are_dead_lettered_with_the_reason(
    services: ServiceStack, infra: Infra
) -> None:
    product_id = f"ing-{uuid.uuid4().hex[:10]}"
    bad = _province_rating(product_id, parts={"A": 30.0, "B": 17.5, "C": 20.0})
    await publish(infra.kafka_bootstrap, topics.INGEST_EVALUATION, [bad])
    letters = await events_of(
        infra.kafka_bootstrap, dead_letter_topic(topics.INGEST_EVALUATION), product_id, bool
    )
    assert "parts add up to 67.5, not to the score 72.5" in letters[0][1]["x-dlq-reason"].decode()


async def test_a_rating_for_an_unknown_product_is_held_then_re_emitted_when_it_arrives(
    services: ServiceStack, infra: Infra
) -> None:
    product_id = f"ing-{uuid.uuid4().hex[:10]}"
    rating = _province_rating(product_id)
    await publish(infra.kafka_bootstrap, topics.INGEST_EVALUATION, [rating, rating])  # + a repeat
    await publish(infra.kafka_bootstrap, topics.REGISTRY, [registered(product_id)])
    seen = await events_of(
        infra.kafka_bootstrap, topics.EVALUATION, product_id, lambda s: "ProductRated" in types(s)
    )
    canonical = seen[0][0]
    assert isinstance(canonical, ProductRated)
    assert (canonical.producer, canonical.aggregate_version, canonical.stars) == (
        "evaluation",
        1,
        4,
    )
    assert (canonical.parts, canonical.rule_set_id) == (
        {"A": 30.0, "B": 17.5, "C": 25.0},
        "qd26-2026",
    )
    assert canonical.event_id != rating.event_id
    later = await events_of(infra.kafka_bootstrap, topics.EVALUATION, product_id, bool, timeout=5)
    assert types(later) == ["ProductRated"]  # the repeated message was not applied twice
