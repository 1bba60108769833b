"""Demo data for `ocop-dev up`: the five published province plans and a live 2026 season in
Đồng Tháp, entered through the services' own HTTP APIs (so every event flows for real).

Commune codes here are illustrative five-digit codes: the commune reference list arrives with the
registry issue. Province codes: the unit that issued each plan (2008 codes for plans written
before the 1 July 2025 merger), 82 for today's Đồng Tháp.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ocop_devstack._console import say

DONG_THAP = "82"
DEMO_YEAR = 2026


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
        "29869",
        "Bánh phồng tôm Sa Giang",
        "I.3.d",
        78.5,
        women_led=True,
    ),
    DemoProduct(
        "Cơ sở Hủ tiếu Sa Đéc Tân Hưng", "household", "29869", "Hủ tiếu Sa Đéc", "I.3.b", 66.0
    ),
    DemoProduct("HTX Xoài Mỹ Xương", "cooperative", "30001", "Xoài cát Hòa Lộc", "I.1.a", 91.5),
    DemoProduct(
        "Công ty TNHH Sen Tháp Mười",
        "enterprise",
        "29950",
        "Trà tim sen Tháp Mười",
        "I.5.b",
        72.0,
        women_led=True,
    ),
    DemoProduct(
        "Cơ sở Nem Lai Vung Út Hạnh",
        "household",
        "30120",
        "Nem Lai Vung",
        "I.3.d",
        58.0,
        women_led=True,
    ),
    DemoProduct(
        "HTX Quýt hồng Lai Vung", "cooperative", "30120", "Quýt hồng Lai Vung", "I.1.a", 52.5
    ),
    DemoProduct(
        "Tổ hợp tác Gạo Tháp Mười",
        "cooperative_group",
        "29950",
        "Gạo sạch Tháp Mười",
        "I.2.a",
        47.0,
    ),
    DemoProduct("Trang trại Ong mật Tràm Chim", "farm", "29980", "Mật ong hoa tràm", "I.2.b", 69.5),
    DemoProduct(
        "HTX Sầu riêng Ngũ Hiệp", "cooperative", "28360", "Sầu riêng Ngũ Hiệp", "I.1.a", 81.0
    ),
    DemoProduct(
        "Cơ sở Nước mắm Gò Công", "household", "28700", "Nước mắm cá cơm Gò Công", "I.4.a", None
    ),
)

# Targets as published (shared/reference/seed-plans.md); `metric` names what is counted.
PLAN_TARGETS: tuple[dict[str, Any], ...] = (
    {
        "province_code": "72",
        "plan_ref": "1155/KH-UBND",
        "year_from": 2022,
        "year_to": 2022,
        "metric": "certified_products",
        "minimum": 10,
        "maximum": 15,
        "label": "10–15 sản phẩm được công nhận OCOP cấp tỉnh năm 2022",
    },
    {
        "province_code": "72",
        "plan_ref": "1155/KH-UBND",
        "year_from": 2022,
        "year_to": 2022,
        "metric": "evaluation_rounds",
        "minimum": 2,
        "label": "2 đợt đánh giá cấp tỉnh trong năm",
    },
    {
        "province_code": "87",
        "plan_ref": "122/KH-UBND",
        "year_from": 2021,
        "year_to": 2021,
        "metric": "certified_products",
        "minimum": 49,
        "label": "Ít nhất 49 sản phẩm mới đạt từ 3 sao",
    },
    {
        "province_code": "87",
        "plan_ref": "122/KH-UBND",
        "year_from": 2021,
        "year_to": 2021,
        "metric": "upgraded_products",
        "minimum": 20,
        "min_stars": 4,
        "label": "Ít nhất 20 sản phẩm nâng hạng từ 3 sao lên 4 sao",
    },
    {
        "province_code": "87",
        "plan_ref": "122/KH-UBND",
        "year_from": 2021,
        "year_to": 2021,
        "metric": "national_proposals",
        "minimum": 4,
        "label": "4 sản phẩm trên 90 điểm đề xuất Hội đồng Trung ương đánh giá 5 sao",
    },
    {
        "province_code": "06",
        "plan_ref": "75/KH-UBND",
        "year_from": 2022,
        "year_to": 2022,
        "metric": "certified_products",
        "minimum": 20,
        "label": "Ít nhất 20 sản phẩm mới đạt từ 3 sao",
    },
    {
        "province_code": "06",
        "plan_ref": "75/KH-UBND",
        "year_from": 2022,
        "year_to": 2022,
        "metric": "traceable_products",
        "minimum": 10,
        "label": "10 sản phẩm được củng cố, truy xuất nguồn gốc quá trình sản xuất",
    },
    {
        "province_code": "06",
        "plan_ref": "75/KH-UBND",
        "year_from": 2022,
        "year_to": 2022,
        "metric": "media_items",
        "unit": "per_month",
        "minimum": 2,
        "label": "Ít nhất 2 tin, bài/tháng trên Báo Bắc Kạn",
    },
    {
        "province_code": "30",
        "plan_ref": "Tứ Kỳ 2022",
        "year_from": 2022,
        "year_to": 2022,
        "metric": "certified_products",
        "minimum": 10,
        "label": "Ít nhất 10 sản phẩm được công nhận từ 3 sao (huyện Tứ Kỳ)",
    },
    {
        "province_code": "17",
        "plan_ref": "125/KH-UBND",
        "year_from": 2018,
        "year_to": 2020,
        "metric": "standardised_products",
        "minimum": 50,
        "label": "Chuẩn hóa ≥25% sản phẩm hiện có (khoảng 50 sản phẩm)",
    },
    {
        "province_code": "17",
        "plan_ref": "125/KH-UBND",
        "year_from": 2018,
        "year_to": 2020,
        "metric": "tourism_villages",
        "minimum": 10,
        "maximum": 15,
        "label": "10–15 làng văn hóa du lịch",
    },
    # Today's Đồng Tháp (Tiền Giang + Đồng Tháp) with live events from this demo.
    {
        "province_code": DONG_THAP,
        "plan_ref": "Demo 2026",
        "year_from": DEMO_YEAR,
        "year_to": DEMO_YEAR,
        "metric": "certified_products",
        "minimum": 8,
        "label": "Ít nhất 8 sản phẩm mới đạt từ 3 sao năm 2026",
    },
    {
        "province_code": DONG_THAP,
        "plan_ref": "Demo 2026",
        "year_from": DEMO_YEAR,
        "year_to": DEMO_YEAR,
        "metric": "national_proposals",
        "minimum": 2,
        "label": "2 sản phẩm từ 90 điểm đề xuất xét 5 sao",
    },
)


def seed(urls: Mapping[str, str], token: str) -> dict[str, int]:
    """Enter the demo through the APIs; returns counts of what was created."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(headers=headers, timeout=10.0) as client:
        for target in PLAN_TARGETS:
            _post(client, f"{urls['reporting']}/targets", target)
        product_ids = [_register(client, urls["registry"], p) for p in PRODUCTS]
        rated = 0
        for product, product_id in zip(PRODUCTS, product_ids, strict=True):
            if product.score is not None:
                _rate(client, urls["evaluation"], product_id, product.score)
                rated += 1
    say(f"demo: {len(PLAN_TARGETS)} targets, {len(PRODUCTS)} products, {rated} ratings entered")
    return {"targets": len(PLAN_TARGETS), "products": len(PRODUCTS), "ratings": rated}


def _register(client: httpx.Client, registry: str, product: DemoProduct) -> str:
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
            "year": DEMO_YEAR,
        },
    )
    return str(created["product_id"])


def _rate(client: httpx.Client, evaluation: str, product_id: str, score: float) -> None:
    body = {"product_id": product_id, "score": score, "rated_on": f"{DEMO_YEAR}-06-25"}
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
