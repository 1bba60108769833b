"""A rating becomes one feed entry and one signed webhook delivery, over real Kafka and the store;
retries until a receiver that was down is back; a duplicate event changes nothing; one slow
receiver does not hold up the others; a delivery can be sent again by hand."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest

from ocop_promotion.domain.webhooks import verify
from tests.e2e.promotion_support import (
    Product,
    Publisher,
    Received,
    Receiver,
    deliveries_of,
    eventually,
    expect,
    kafka,
    promotion,
    receiver,
    subscribe,
    unsubscribe,
)

pytestmark = pytest.mark.e2e
_fixtures = (kafka, promotion, receiver, unsubscribe)


async def _feed_entries(http: httpx.AsyncClient, base: str, product_id: str) -> list[dict]:
    page = expect(await http.get(f"{base}/feed", params={"page_size": 500}), 200)
    return [e for e in page["items"] if e["product_id"] == product_id]


async def test_a_rating_gives_one_feed_entry_and_one_signed_webhook(
    http: httpx.AsyncClient, promotion: str, kafka: Publisher, receiver: Receiver
) -> None:
    sub = await subscribe(http, promotion, receiver.url, province_codes=["82"], min_stars=3)
    product = Product()
    await kafka.publish(product.registered(), product.rated(4))

    got = await eventually(_arrivals(receiver, product.product_id), what="the webhook", timeout=60)
    request = got[0]
    timestamp = int(request.headers["x-ocop-timestamp"])
    assert verify(
        sub["secret"],
        timestamp,
        request.body,
        request.headers["x-ocop-signature"],
        int(time.time()),
    )
    assert not verify(
        "whsec_wrong",
        timestamp,
        request.body,
        request.headers["x-ocop-signature"],
        int(time.time()),
    )
    entry = request.json["entry"]
    assert (entry["from_stars"], entry["to_stars"], entry["change"]) == (
        0,
        4,
        "first_certification",
    )
    assert (entry["product_id"], entry["province_code"]) == (product.product_id, "82")
    assert (entry["sector_code"], entry["group_code"]) == ("I", "I.1")

    feed = await _feed_entries(http, promotion, product.product_id)
    assert [e["entry_id"] for e in feed] == [entry["entry_id"]]
    logged = await deliveries_of(http, promotion, sub["subscription_id"], product.product_id)
    assert [(d["status"], d["attempt_count"]) for d in logged] == [("delivered", 1)]
    assert request.headers["x-ocop-delivery"] == logged[0]["delivery_id"]


async def test_a_receiver_that_is_down_is_retried_until_it_is_back_then_served_once(
    http: httpx.AsyncClient, promotion: str, kafka: Publisher, receiver: Receiver
) -> None:
    sub = await subscribe(http, promotion, receiver.url, province_codes=["82"])
    await receiver.stop()
    product = Product()
    await kafka.publish(product.registered(), product.rated(3))

    async def failed_twice() -> list | None:
        logged = await deliveries_of(http, promotion, sub["subscription_id"], product.product_id)
        return logged if logged and len(logged[0]["attempts"]) >= 2 else None

    logged = await eventually(failed_twice, what="two failed attempts", timeout=60)
    assert logged[0]["status"] == "pending"
    assert all(a["status_code"] is None and a["error"] for a in logged[0]["attempts"])

    await receiver.start()

    async def delivered() -> list | None:
        found = await deliveries_of(http, promotion, sub["subscription_id"], product.product_id)
        return found if found[0]["status"] == "delivered" else None

    logged = await eventually(delivered, what="the delivery once the receiver is back", timeout=60)
    await asyncio.sleep(5)  # longer than the next backoff: nothing more may come
    assert len(receiver.for_product(product.product_id)) == 1
    assert logged[0]["attempts"][-1]["status_code"] == 200


async def test_the_same_rating_delivered_twice_by_kafka_gives_one_entry_and_one_delivery(
    http: httpx.AsyncClient, promotion: str, kafka: Publisher, receiver: Receiver
) -> None:
    sub = await subscribe(http, promotion, receiver.url, province_codes=["82"])
    product = Product()
    rating = product.rated(5, previous=4)
    await kafka.publish(product.registered(), rating)
    await kafka.publish_raw(rating, rating.to_json_bytes())  # the very same event again
    later = Product()  # published after the duplicate: once it is in, the duplicate was handled
    await kafka.publish(
        later.rated(3).model_copy(
            update={"aggregate_id": product.product_id, "product_id": later.product_id}
        )
    )

    await eventually(_arrivals(receiver, later.product_id), what="the later rating", timeout=60)
    await asyncio.sleep(1)
    assert len(await _feed_entries(http, promotion, product.product_id)) == 1
    assert len(receiver.for_product(product.product_id)) == 1
    logged = await deliveries_of(http, promotion, sub["subscription_id"], product.product_id)
    assert len(logged) == 1


async def test_a_slow_receiver_does_not_delay_the_others(
    http: httpx.AsyncClient, promotion: str, kafka: Publisher, receiver: Receiver
) -> None:
    slow = Receiver()
    slow.delay = 30.0  # longer than the service's 5 s timeout: every attempt times out
    await slow.start()
    try:
        await subscribe(http, promotion, slow.url, province_codes=["82"])
        await subscribe(http, promotion, receiver.url, province_codes=["82"])
        products = [Product() for _ in range(4)]
        started = time.monotonic()
        for product in products:
            await kafka.publish(product.registered(), product.rated(4))

        async def all_fast() -> bool | None:
            served = all(receiver.for_product(p.product_id) for p in products)
            return True if served else None

        await eventually(all_fast, what="the fast receiver's deliveries", timeout=60)
        # Queued behind the slow receiver, the four would take ≥ 4 × 5 s (its timeouts).
        assert time.monotonic() - started < 12.0
        assert not any(slow.for_product(p.product_id) for p in products)
    finally:
        await slow.stop()


async def test_a_delivery_can_be_redelivered_by_hand_with_the_same_delivery_id(
    http: httpx.AsyncClient, promotion: str, kafka: Publisher, receiver: Receiver
) -> None:
    sub = await subscribe(http, promotion, receiver.url, province_codes=["82"])
    product = Product()
    await kafka.publish(product.registered(), product.rated(4))
    await eventually(_arrivals(receiver, product.product_id), what="the webhook", timeout=60)
    (delivery,) = await deliveries_of(http, promotion, sub["subscription_id"], product.product_id)

    url = f"{promotion}/subscriptions/{sub['subscription_id']}/deliveries"
    again = expect(await http.post(f"{url}/{delivery['delivery_id']}/redeliver"), 202)
    assert again["status"] == "pending"
    got = await eventually(
        _arrivals(receiver, product.product_id, at_least=2),
        what="the redelivery",
        timeout=60,
    )
    assert {r.headers["x-ocop-delivery"] for r in got} == {delivery["delivery_id"]}


async def test_redelivering_a_pending_delivery_is_a_conflict(
    http: httpx.AsyncClient, promotion: str, kafka: Publisher, receiver: Receiver
) -> None:
    sub = await subscribe(http, promotion, receiver.url, province_codes=["82"])
    await receiver.stop()
    product = Product()
    await kafka.publish(product.registered(), product.rated(3))

    async def pending() -> list | None:
        found = await deliveries_of(http, promotion, sub["subscription_id"], product.product_id)
        return found or None

    (delivery,) = await eventually(pending, what="the pending delivery", timeout=60)
    url = f"{promotion}/subscriptions/{sub['subscription_id']}/deliveries"
    response = await http.post(f"{url}/{delivery['delivery_id']}/redeliver")
    body = expect(response, 409)
    assert "already pending" in body["detail"][0]["msg"]


def _arrivals(
    receiver: Receiver, product_id: str, at_least: int = 1
) -> Callable[[], Awaitable[list[Received] | None]]:
    async def probe() -> list[Received] | None:
        found = receiver.for_product(product_id)
        return found if len(found) >= at_least else None

    return probe
