"""Messages from province systems are bounded per event type: larger ones are dead-lettered
with the reason before any handler (or even the JSON parser, for huge ones) sees them."""

from __future__ import annotations

import json

from ocop_contracts import ProductRated, TargetUpdated, topics
from ocop_contracts.topics import ingest_limit
from ocop_platform.consumer import Subscription
from tests.unit.test_consumer_dispatch import Handler, Setup, message, rated


def _padded(raw: bytes, size: int) -> bytes:
    """The same event, grown to ``size`` bytes by an unknown field (consumers ignore those)."""
    doc = json.loads(raw)
    doc["note"] = ""
    base = len(json.dumps(doc).encode())
    doc["note"] = "x" * (size - base)
    grown = json.dumps(doc).encode()
    assert len(grown) == size
    return grown


def _ingest(handler: Handler) -> Subscription:
    return Subscription(topics.INGEST_EVALUATION, {ProductRated: handler})


async def test_a_rating_within_its_limit_is_handled() -> None:
    setup, handler = Setup(), Handler()
    raw = _padded(rated().model_dump_json().encode(), ingest_limit("ProductRated"))

    await setup.dispatch(_ingest(handler), message(raw, topic=topics.INGEST_EVALUATION))

    assert len(handler.calls) == 1
    assert setup.dead_letters.sent == []


async def test_a_rating_one_byte_over_its_limit_is_dead_lettered_with_the_sizes() -> None:
    setup, handler = Setup(), Handler()
    limit = ingest_limit("ProductRated")
    raw = _padded(rated().model_dump_json().encode(), limit + 1)
    # A topic that also accepts a larger type: only the rating's own limit can refuse this one.
    both = Subscription(topics.INGEST_EVALUATION, {ProductRated: handler, TargetUpdated: handler})

    await setup.dispatch(both, message(raw, topic=topics.INGEST_EVALUATION))

    assert handler.calls == []
    (letter,) = setup.dead_letters.sent
    assert letter.reason == (
        f"ProductRated of {limit + 1:,} bytes exceeds the ingest limit of {limit:,} bytes"
    )
    assert letter.value == raw


async def test_a_megabyte_message_is_refused_unparsed() -> None:
    setup, handler = Setup(), Handler()
    raw = b"{" + b" " * 1_048_576  # not even JSON: the size alone decides

    await setup.dispatch(_ingest(handler), message(raw, topic=topics.INGEST_EVALUATION))

    (letter,) = setup.dead_letters.sent
    assert letter.reason == (
        "message (unread; accepted: ProductRated) of 1,048,577 bytes exceeds the ingest limit "
        f"of {ingest_limit('ProductRated'):,} bytes"
    )


async def test_canonical_topics_of_the_platform_s_own_services_are_not_limited() -> None:
    setup, handler = Setup(), Handler()
    raw = _padded(rated().model_dump_json().encode(), 64 * 1024)
    canonical = Subscription(topics.EVALUATION, {ProductRated: handler})

    await setup.dispatch(canonical, message(raw, topic=topics.EVALUATION))

    assert len(handler.calls) == 1


def test_each_ingest_type_has_a_limit_of_a_few_kilobytes() -> None:
    assert ingest_limit("ProductRated") < ingest_limit(TargetUpdated.model_fields["type"].default)
    assert all(4 * 1024 <= ingest_limit(t) <= 64 * 1024 for t in topics.INGEST_MAX_BYTES)
