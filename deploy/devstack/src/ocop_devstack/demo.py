"""Demo data for `ocop-dev up`: the five published province plans and a live season of the
current year in Đồng Tháp, entered through the services' own HTTP APIs (so every event flows
for real).

Communes of the live season are real 2025 communes of today's Đồng Tháp (the registry checks
them against the 2025 commune list); those of the historical plans are illustrative. Province
codes: the unit that issued each plan (2008 codes for plans written before the 1 July 2025
merger), 82 for today's Đồng Tháp. The five plans' targets, reported activities and history are
ocop_devstack.demo_fixtures (also used by the tests); ocop_devstack.demo_driver enters all of
the history through the services: every producer back-filled at the registry with the day it
joined and its old address (the plans' new producers on their day, the producers of the other
rated products before their plan's period), the rated products through the registry's and
evaluation's APIs (Hòa Bình's and Tứ Kỳ's registered with their day), Bắc Kạn's media items,
Đồng Tháp's 2021 showroom placements and Tứ Kỳ's 2022 fairs through promotion's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from ocop_devstack import demo_driver, demo_fixtures
from ocop_devstack._console import say

DONG_THAP = "82"


@dataclass(frozen=True)
class DemoProduct:
    producer: str
    legal_form: str
    commune_code: str
    name: str
    scoring_set: str
    score: float | None  # None: registered, not rated yet
    women_led: bool = False


PRODUCTS: tuple[DemoProduct, ...] = (
    DemoProduct(
        "HTX Bánh phồng tôm Sa Giang",
        "cooperative",
        "29905",
        "Bánh phồng tôm Sa Giang",
        "I.3.d",
        78.5,
        women_led=True,
    ),
    DemoProduct(
        "Cơ sở Hủ tiếu Sa Đéc Tân Hưng", "household", "29905", "Hủ tiếu Sa Đéc", "I.3.b", 66.0
    ),
    DemoProduct("HTX Xoài Mỹ Xương", "cooperative", "29869", "Xoài cát Hòa Lộc", "I.1.a", 91.5),
    DemoProduct(
        "Công ty TNHH Sen Tháp Mười",
        "enterprise",
        "30037",
        "Trà tim sen Tháp Mười",
        "I.5.b",
        72.0,
        women_led=True,
    ),
    DemoProduct(
        "Cơ sở Nem Lai Vung Út Hạnh",
        "household",
        "30226",
        "Nem Lai Vung",
        "I.3.d",
        58.0,
        women_led=True,
    ),
    DemoProduct(
        "HTX Quýt hồng Lai Vung", "cooperative", "30226", "Quýt hồng Lai Vung", "I.1.a", 52.5
    ),
    DemoProduct(
        "Tổ hợp tác Gạo Tháp Mười",
        "cooperative_group",
        "30037",
        "Gạo sạch Tháp Mười",
        "I.2.a",
        47.0,
    ),
    DemoProduct("Trang trại Ong mật Tràm Chim", "farm", "30001", "Mật ong hoa tràm", "I.2.b", 69.5),
    DemoProduct(
        "HTX Sầu riêng Ngũ Hiệp", "cooperative", "28516", "Sầu riêng Ngũ Hiệp", "I.1.a", 81.0
    ),
    DemoProduct(
        "Cơ sở Nước mắm Gò Công", "household", "28306", "Nước mắm cá cơm Gò Công", "I.4.a", None
    ),
)


# Today's Đồng Tháp (Tiền Giang + Đồng Tháp) with live events from this demo, in the current
# season (the year of today's business date by the platform clock, so the demo and the
# dashboard's default year always agree). The five published plans come from
# ocop_devstack.demo_fixtures (targets, reported activities, history).
def live_targets(year: int) -> tuple[dict[str, Any], ...]:
    season = {"province_code": DONG_THAP, "plan_ref": f"Demo {year}", "year_from": year}
    return (
        {
            **season,
            "target_id": f"dt{year % 100:02d}-certified",
            "year_to": year,
            "metric": "certified_products",
            "minimum": 8,
            "label": f"Ít nhất 8 sản phẩm mới đạt từ 3 sao năm {year}",
        },
        {
            **season,
            "target_id": f"dt{year % 100:02d}-proposals",
            "year_to": year,
            "metric": "national_proposals",
            "minimum": 2,
            "label": "2 sản phẩm từ 90 điểm đề xuất xét 5 sao",
        },
    )


def plan_targets(year: int) -> tuple[dict[str, Any], ...]:
    return (*demo_fixtures.plan_targets(), *live_targets(year))


def seed(
    urls: Mapping[str, str], token: str, today: date, kafka_bootstrap: str | None = None
) -> dict[str, int]:
    """Enter the demo through the APIs, the live season dated ``today`` (the platform clock's
    business date); returns counts of what was created.

    With `kafka_bootstrap` (a whole stack, whose services learn from one another's events),
    the five plans' historical seasons (2018–2022) are also entered (ocop_devstack.demo_driver,
    through the services' APIs only).
    """
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(headers=headers, timeout=10.0) as client:
        targets = plan_targets(today.year)
        for target in targets:
            _post(client, f"{urls['reporting']}/targets", target)
        for report in demo_fixtures.activity_reports():
            _post(client, f"{urls['reporting']}/activities", report)
        history = asyncio.run(_enter_history(urls, token)) if kafka_bootstrap else {}
        product_ids = [_register(client, urls["registry"], p, today.year) for p in PRODUCTS]
        rated = 0
        for product, product_id in zip(PRODUCTS, product_ids, strict=True):
            if product.score is not None:
                _rate(client, urls["evaluation"], product_id, product.score, today)
                rated += 1
    say(
        f"demo: {len(targets)} targets, {len(PRODUCTS)} products, {rated} ratings entered; "
        f"the five plans' history: {history.get('producers', 0)} back-filled producers, "
        f"{history.get('products', 0)} products and "
        f"{history.get('actions', 0)} ratings (with their certificates), revocations and "
        "withdrawals and "
        f"{history.get('activities', 0)} media items, "
        f"{history.get('displays', 0)} showroom placements and "
        f"{history.get('fairs', 0)} past fairs ({history.get('placements', 0)} placements), "
        "all through the services"
    )
    return {
        "targets": len(targets),
        "products": len(PRODUCTS),
        "ratings": rated,
        "historical_products": history.get("products", 0),
        "historical_fairs": history.get("fairs", 0),
    }


async def _enter_history(urls: Mapping[str, str], token: str) -> dict[str, int]:
    started = time.monotonic()
    say("demo: entering the five plans' history through the services…")
    entered = await demo_driver.drive(demo_fixtures.history(), urls, token)
    say(f"demo: the five plans' history entered in {time.monotonic() - started:.0f} s")
    return entered


def _register(client: httpx.Client, registry: str, product: DemoProduct, year: int) -> str:
    entity = _post(
        client,
        f"{registry}/entities",
        {
            "name": product.producer,
            "legal_form": product.legal_form,
            "province_code": DONG_THAP,
            "commune_code": product.commune_code,
            "women_led": product.women_led,
        },
    )
    created = _post(
        client,
        f"{registry}/products",
        {
            "entity_id": entity["entity_id"],
            "name": product.name,
            "scoring_set_code": product.scoring_set,
            "year": year,
        },
    )
    return str(created["product_id"])


def _rate(
    client: httpx.Client, evaluation: str, product_id: str, score: float, today: date
) -> None:
    body = {"product_id": product_id, "score": score, "rated_on": today.isoformat()}
    deadline = time.monotonic() + 60
    while True:
        response = client.post(f"{evaluation}/ratings", json=body)
        # 422 on product_id: evaluation has not consumed ProductRegistered yet. Wait for it.
        if response.status_code != 422 or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    _raise_for(response)


def _post(client: httpx.Client, url: str, body: Mapping[str, Any]) -> dict[str, Any]:
    response = client.post(url, json=dict(body))
    _raise_for(response)
    data: dict[str, Any] = response.json()
    return data


def _raise_for(response: httpx.Response) -> None:
    if response.is_error:
        raise RuntimeError(
            f"{response.request.method} {response.request.url} → {response.status_code}: "
            f"{response.text[:500]}"
        )
