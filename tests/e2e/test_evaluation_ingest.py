"""Province systems' ratings on ocop.ingest.evaluation.v1: checked against the rules, then
re-emitted canonically, held until the product is known, acknowledged as a duplicate when
re-sent, or dead-lettered with the reason."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest

from ocop_contracts import ProductRated, RatingLevel, topics
from ocop_contracts.topics import dead_letter_topic
from ocop_devstack.infra import Infra
from ocop_devstack.services import ServiceStack
from tests.e2e.evaluation_support import PROVINCE, events_of, publish, registered, types
from tests.e2e.support import eventually, expect, read_dead_letters

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


async def test_a_re_sent_rating_is_acknowledged_once_and_a_conflicting_one_dead_lettered(
    services: ServiceStack, infra: Infra, http: httpx.AsyncClient
) -> None:
    product_id = f"ing-{uuid.uuid4().hex[:10]}"
    await publish(infra.kafka_bootstrap, topics.REGISTRY, [registered(product_id)])
    first = _province_rating(product_id, source_rating_id="CT-2026-0042")
    resent = first.model_copy(update={"event_id": uuid.uuid4()})  # a producer's retry
    conflicting = _province_rating(
        product_id,
        source_rating_id="CT-2026-0042",
        score=74.0,
        parts={"A": 31.5, "B": 17.5, "C": 25.0},
    )
    # A later rating of its own: once it is out, everything before it on the key is too.
    next_one = _province_rating(product_id, source_rating_id="CT-2026-0043", score=75.0, parts=None)
    duplicates_before = await _duplicates(http, services)
    await _known_to_evaluation(http, services, product_id)  # so nothing is held, order is kept

    await publish(
        infra.kafka_bootstrap, topics.INGEST_EVALUATION, [first, resent, conflicting, next_one]
    )

    group = f"ocop.{services.namespace}.evaluation"
    (letter,) = await read_dead_letters(
        infra.kafka_bootstrap, topics.INGEST_EVALUATION, product_id.encode(), 1, group
    )
    assert ProductRated.model_validate_json(letter.value).event_id == conflicting.event_id
    reason = dict(letter.headers)["x-dlq-reason"].decode()
    assert reason.startswith("ProductRated rejected (source_rating_id): source rating CT-2026-0042")
    assert f"first received as event {first.event_id}" in reason and "score 72.5 → 74" in reason

    seen = await events_of(
        infra.kafka_bootstrap, topics.EVALUATION, product_id, lambda s: len(types(s)) >= 2
    )
    ratings = [event for event, _ in seen if isinstance(event, ProductRated)]
    assert [(r.aggregate_version, r.source_rating_id, r.score) for r in ratings] == [
        (1, "CT-2026-0042", 72.5),
        (2, "CT-2026-0043", 75.0),
    ]
    assert await _duplicates(http, services) == duplicates_before + 1


async def _known_to_evaluation(
    http: httpx.AsyncClient, services: ServiceStack, product_id: str
) -> None:
    url = f"{services.url('evaluation')}/products/{product_id}/evaluation"

    async def known() -> bool | None:
        return True if (await http.get(url)).status_code == 200 else None

    await eventually(known, what=f"evaluation to learn {product_id}")


async def _duplicates(http: httpx.AsyncClient, services: ServiceStack) -> int:
    metrics = expect(await http.get(f"{services.url('evaluation')}/metrics/pipeline"), 200)
    return int(metrics["duplicates"])
