"""Fairs, showrooms and online listings over the real service: only products with a valid ≥3★
certificate are placed, rules give clear 4xx errors, and a certificate that expires or is
revoked takes the product out of every venue automatically."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from ocop_contracts import Event
from ocop_contracts.clock import today_in_vietnam
from ocop_platform.auth import Role, mint_token
from ocop_platform.settings import DEV_JWT_SECRET
from tests.e2e.promotion_support import (
    PROVINCE,
    Product,
    Publisher,
    certified_product,
    eventually,
    expect,
    kafka,
    promotion,
)

pytestmark = pytest.mark.e2e
_fixtures = (kafka, promotion)


async def _fair(
    http: httpx.AsyncClient, base: str, path: str = "", **changes: Any
) -> httpx.Response:
    """POST /fairs (`path`: "/history" for a past fair) of a fair from today, or `changes`."""
    today = today_in_vietnam()
    body = {
        "name": "Hội chợ OCOP Đồng Tháp",
        "place": "Quảng trường Sa Đéc",
        "organiser": "Sở Công Thương Đồng Tháp",
        "province_code": PROVINCE,
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=4)).isoformat(),
        "booths": [{"code": "A1", "name": "Gian đặc sản", "capacity": 1}],
        **changes,
    }
    return await http.post(f"{base}/fairs{path}", json=body)


async def _showroom(http: httpx.AsyncClient, base: str) -> dict[str, Any]:
    body = {
        "name": "Điểm bán sản phẩm OCOP Sa Đéc",
        "kind": "sales_point",
        "address": "Phường Sa Đéc, Đồng Tháp",
        "province_code": PROVINCE,
    }
    created: dict[str, Any] = expect(await http.post(f"{base}/showrooms", json=body), 201)
    return created


async def _certified_in_the_past(
    kafka: Publisher,
    http: httpx.AsyncClient,
    base: str,
    issued_on: date,
    valid_until: date,
    revoked_on: date | None = None,
) -> Product:
    """A 4★ product certified on `issued_on` (and revoked on `revoked_on`), once promotion
    knows its certificate."""
    product = Product()
    certified = product.certified(4).model_copy(
        update={"issued_on": issued_on, "valid_until": valid_until}
    )
    events = [product.registered(), product.rated(4), certified]
    if revoked_on is not None:
        events.append(product.revoked(4).model_copy(update={"revoked_on": revoked_on}))
    await kafka.publish(*events)
    url = f"{base}/products/{product.product_id}/eligibility"

    async def known() -> bool | None:
        found = expect(await http.get(url), 200)
        if revoked_on is not None:
            return True if found.get("status") == "revoked" else None
        return True if found.get("certificate_id") == product.certificate_id else None

    await eventually(known, what="promotion to learn the certificate", timeout=60)
    return product


async def _renewed_without_a_gap(kafka: Publisher, http: httpx.AsyncClient, base: str) -> Product:
    """A 4★ product certified on 1 October 2022 and renewed on 1 October 2025 (valid until
    30 September 2028), once promotion knows the renewal."""
    product = Product()
    events: list[Event] = [product.registered(), product.rated(4)]
    first = product.certified(4).model_copy(
        update={"issued_on": date(2022, 10, 1), "valid_until": date(2025, 9, 30)}
    )
    renewal = product.certified(4).model_copy(
        update={"issued_on": date(2025, 10, 1), "valid_until": date(2028, 9, 30)}
    )
    await kafka.publish(*events, first, renewal)
    url = f"{base}/products/{product.product_id}/eligibility"

    async def known() -> bool | None:
        found = expect(await http.get(url), 200)
        return True if found.get("certificate_id") == product.certificate_id else None

    await eventually(known, what="promotion to learn the renewal", timeout=60)
    return product


def _error(response: httpx.Response, status: int) -> tuple[list[str], str]:
    body = expect(response, status)
    detail = body["detail"][0]
    return detail["loc"], detail["msg"]


async def test_an_expired_certificate_delists_the_product_from_a_showroom_and_a_listing(
    http: httpx.AsyncClient, promotion: str, kafka: Publisher
) -> None:
    product = await certified_product(kafka, http, promotion)
    showroom = await _showroom(http, promotion)
    expect(
        await http.post(
            f"{promotion}/showrooms/{showroom['showroom_id']}/products",
            json={"product_id": product.product_id},
        ),
        201,
    )
    listing = expect(
        await http.post(
            f"{promotion}/listings",
            json={
                "product_id": product.product_id,
                "channel": "Shopee",
                "url": "https://shopee.vn/banh-phong-tom-sa-giang",
            },
        ),
        201,
    )
    shown = expect(await http.get(f"{promotion}/showrooms/{showroom['showroom_id']}"), 200)
    assert [p["product_id"] for p in shown["products"]] == [product.product_id]
    assert (listing["state"], listing["channel"]) == ("active", "shopee")

    await kafka.publish(product.expired(4))

    async def delisted() -> dict | None:
        found = expect(await http.get(f"{promotion}/listings/{listing['placement_id']}"), 200)
        return found if found["state"] == "delisted" else None

    found = await eventually(delisted, what="the listing to be delisted", timeout=60)
    assert (found["reason"], found["delisted_on"]) == (
        "certificate_expired",
        today_in_vietnam().isoformat(),
    )
    shown = expect(await http.get(f"{promotion}/showrooms/{showroom['showroom_id']}"), 200)
    assert shown["products"] == []
    history = expect(await http.get(f"{promotion}/products/{product.product_id}/placements"), 200)
    assert {(p["venue_kind"], p["state"], p["reason"]) for p in history} == {
        ("showroom", "delisted", "certificate_expired"),
        ("online", "delisted", "certificate_expired"),
    }


async def test_a_revoked_certificate_delists_the_product_from_a_fair(
    http: httpx.AsyncClient, promotion: str, kafka: Publisher
) -> None:
    product = await certified_product(kafka, http, promotion)
    fair = expect(await _fair(http, promotion), 201)
    url = f"{promotion}/fairs/{fair['fair_id']}"
    placed = expect(
        await http.post(
            f"{url}/products", json={"product_id": product.product_id, "booth_code": "A1"}
        ),
        201,
    )
    assert (placed["booth_code"], placed["state"]) == ("A1", "active")

    await kafka.publish(product.revoked(4))

    async def emptied() -> dict | None:
        found = expect(await http.get(url), 200)
        return found if not found["products"] else None

    await eventually(emptied, what="the fair to lose the product", timeout=60)
    history = expect(await http.get(f"{promotion}/products/{product.product_id}/placements"), 200)
    assert [(p["state"], p["reason"]) for p in history] == [("delisted", "certificate_revoked")]
    eligibility = expect(
        await http.get(f"{promotion}/products/{product.product_id}/eligibility"), 200
    )
    assert not eligibility["placeable"] and "revoked" in eligibility["reason"]


async def test_placing_a_two_star_product_is_refused(
    http: httpx.AsyncClient, promotion: str, kafka: Publisher
) -> None:
    product = Product()
    await kafka.publish(product.registered(), product.rated(2))

    async def rated() -> dict | None:
        found = expect(
            await http.get(f"{promotion}/products/{product.product_id}/eligibility"), 200
        )
        return found if found["rated_stars"] == 2 else None

    await eventually(rated, what="promotion to learn the rating", timeout=60)
    showroom = await _showroom(http, promotion)
    response = await http.post(
        f"{promotion}/showrooms/{showroom['showroom_id']}/products",
        json={"product_id": product.product_id},
    )
    loc, msg = _error(response, 422)
    assert loc == ["body", "product_id"]
    assert "rated 2★" in msg and "≥3★ certificate" in msg


async def test_placing_a_product_whose_certificate_has_run_out_is_refused(
    http: httpx.AsyncClient, promotion: str, kafka: Publisher
) -> None:
    product = Product()
    yesterday = today_in_vietnam() - timedelta(days=1)
    await kafka.publish(product.registered(), product.rated(3), product.certified(3, yesterday))

    async def known() -> dict | None:
        found = expect(
            await http.get(f"{promotion}/products/{product.product_id}/eligibility"), 200
        )
        return found if found["certificate_id"] else None

    await eventually(known, what="promotion to learn the certificate", timeout=60)
    response = await http.post(
        f"{promotion}/listings",
        json={"product_id": product.product_id, "channel": "lazada", "url": "https://lazada.vn/x"},
    )
    loc, msg = _error(response, 422)
    assert loc == ["body", "product_id"]
    assert f"expired on {yesterday.isoformat()}" in msg


async def test_a_booth_over_capacity_is_refused(
    http: httpx.AsyncClient, promotion: str, kafka: Publisher
) -> None:
    first = await certified_product(kafka, http, promotion)
    second = await certified_product(kafka, http, promotion)
    fair = expect(await _fair(http, promotion), 201)
    url = f"{promotion}/fairs/{fair['fair_id']}/products"
    expect(await http.post(url, json={"product_id": first.product_id, "booth_code": "A1"}), 201)

    response = await http.post(url, json={"product_id": second.product_id, "booth_code": "A1"})
    loc, msg = _error(response, 409)
    assert loc == ["body", "booth_code"]
    assert msg == "booth A1 is full: 1 of 1 places taken"


async def test_a_fair_ending_before_it_starts_is_refused(
    http: httpx.AsyncClient, promotion: str
) -> None:
    response = await _fair(http, promotion, starts_on="2026-12-05", ends_on="2026-12-01")
    loc, msg = _error(response, 422)
    assert loc == ["body", "ends_on"]
    assert msg == "the fair ends (2026-12-01) before it starts (2026-12-05)"


async def test_a_product_whose_certificate_ends_before_the_fair_is_refused(
    http: httpx.AsyncClient, promotion: str, kafka: Publisher
) -> None:
    product = Product()
    soon = today_in_vietnam() + timedelta(days=2)
    await kafka.publish(product.registered(), product.rated(4), product.certified(4, soon))

    async def placeable() -> dict | None:
        found = expect(
            await http.get(f"{promotion}/products/{product.product_id}/eligibility"), 200
        )
        return found if found["placeable"] else None

    await eventually(placeable, what="promotion to learn the certificate", timeout=60)
    fair = expect(await _fair(http, promotion), 201)  # ends in 4 days
    response = await http.post(
        f"{promotion}/fairs/{fair['fair_id']}/products",
        json={"product_id": product.product_id, "booth_code": "A1"},
    )
    _, msg = _error(response, 422)
    assert f"valid only until {soon.isoformat()}" in msg


async def test_a_team_of_another_province_may_not_list_the_product(
    http: httpx.AsyncClient, promotion: str, kafka: Publisher
) -> None:
    product = await certified_product(kafka, http, promotion)  # a Đồng Tháp (82) product
    hanoi_team = mint_token(DEV_JWT_SECRET, "team-01", [Role.PROMOTION_TEAM], ["01"])
    response = await http.post(
        f"{promotion}/listings",
        json={"product_id": product.product_id, "channel": "tiki", "url": "https://tiki.vn/x"},
        headers={"Authorization": f"Bearer {hanoi_team}"},
    )
    _, msg = _error(response, 403)
    assert msg == "your token does not cover province 82"


async def test_a_past_fair_is_recorded_as_history_with_its_products_and_old_unit(
    http: httpx.AsyncClient, promotion: str, kafka: Publisher
) -> None:
    # 2023 in old Đồng Tháp: no plan's year (test_reporting_plans counts exactly in those).
    took_part = await _certified_in_the_past(
        kafka, http, promotion, date(2022, 11, 1), date(2025, 10, 31)
    )
    never_rated = Product()
    await kafka.publish(never_rated.registered())
    name = f"Hội chợ OCOP Sa Đéc 2023 {took_part.product_id}"
    past = {
        "name": name,
        "starts_on": "2023-05-01",
        "ends_on": "2023-05-03",
        "legacy_unit": {"province_code": "87", "district_code": "866"},
    }
    body = {"booths": [{"code": "A1", "capacity": 2}], **past}
    both = [{"product_id": p.product_id, "booth_code": "A1"} for p in (took_part, never_rated)]

    refused = await _fair(http, promotion, path="/history", products=both, **body)
    loc, msg = _error(refused, 422)
    assert loc == ["body", "product_id"] and "no OCOP certificate" in msg
    over = await _fair(http, promotion, path="/history", products=both[:1], booths=body["booths"])
    loc, msg = _error(over, 422)  # today's fair is not history
    assert loc == ["body", "ends_on"] and "POST /fairs" in msg
    live = await _fair(http, promotion, legacy_unit=past["legacy_unit"])
    assert _error(live, 422)[0] == ["body", "legacy_unit"]

    fair = expect(await _fair(http, promotion, path="/history", products=both[:1], **body), 201)
    assert (fair["historic"], fair["legacy_unit"]["province_code"]) == (True, "87")
    [placed] = fair["products"]
    assert (placed["product_id"], placed["since"]) == (took_part.product_id, "2023-05-01")
    listed = expect(
        await http.get(f"{promotion}/fairs", params={"province_code": PROVINCE, "year": 2023}), 200
    )
    names = [f["name"] for f in listed["items"]]
    assert names.count(past["name"]) == 1  # the refused attempts wrote nothing

    # A retry after a timeout (the name as typed again): the same fair, nothing written twice.
    again = {**body, "name": f"  {name.upper()} "}
    repeat = expect(await _fair(http, promotion, path="/history", products=both[:1], **again), 200)
    assert repeat == fair
    placements = expect(
        await http.get(f"{promotion}/products/{took_part.product_id}/placements"), 200
    )
    assert [p["placement_id"] for p in placements] == [placed["placement_id"]]
    clash = await _fair(
        http, promotion, path="/history", products=both[:1], **{**body, "place": "Cao Lãnh"}
    )
    loc, msg = _error(clash, 409)  # another fair under the same province, first day and name
    assert loc == ["body", "place"] and fair["fair_id"] in msg


async def test_a_past_showroom_placement_is_checked_against_its_day_and_safe_to_retry(
    http: httpx.AsyncClient, promotion: str, kafka: Publisher
) -> None:
    # Certified on 15 September 2022 (valid 36 months); another one revoked in May 2022. Not
    # 2021: the session's reporting holds Đồng Tháp's 2021 plan, whose sales points this
    # showroom (old unit 87) would join (test_reporting_plans: dt21-sales).
    shown = await _certified_in_the_past(
        kafka, http, promotion, date(2022, 9, 15), date(2025, 9, 14)
    )
    revoked = await _certified_in_the_past(
        kafka, http, promotion, date(2020, 9, 10), date(2023, 9, 9), revoked_on=date(2022, 5, 3)
    )
    showroom = await _showroom(http, promotion)
    url = f"{promotion}/showrooms/{showroom['showroom_id']}/products/history"
    old_unit = {"province_code": "87", "district_code": "866"}

    def body(product: Product, since: str, **changes: Any) -> dict[str, Any]:
        return {
            "product_id": product.product_id,
            "since": since,
            "legacy_unit": old_unit,
            **changes,
        }

    loc, msg = _error(await http.post(url, json=body(shown, "2022-09-01")), 422)
    assert loc == ["body", "since"]
    assert "2022-09-01" in msg and f"{shown.certificate_id} (4★) issued on 2022-09-15" in msg
    loc, msg = _error(await http.post(url, json=body(revoked, "2022-10-01")), 422)
    assert loc == ["body", "since"] and "revoked on 2022-05-03" in msg

    placed = expect(await http.post(url, json=body(shown, "2022-10-01")), 201)
    # Its certificate ran out on 14 September 2025, before this history was entered (the
    # expiry handled, or never to come): the placement is recorded taken down the next day,
    # as the live path would have, instead of on display with a lapsed certificate.
    assert (placed["since"], placed["state"]) == ("2022-10-01", "delisted")
    assert (placed["delisted_on"], placed["reason"]) == ("2025-09-15", "certificate_expired")
    # The answer was lost (a 503, a dropped connection): the client sends it again.
    repeat = expect(await http.post(url, json=body(shown, "2022-10-01")), 200)
    assert repeat == placed
    placements = expect(await http.get(f"{promotion}/products/{shown.product_id}/placements"), 200)
    assert [p["placement_id"] for p in placements] == [placed["placement_id"]]
    clash = await http.post(url, json=body(shown, "2022-10-01", legacy_unit=None))
    loc, msg = _error(clash, 409)
    assert loc == ["body", "legacy_unit"] and placed["placement_id"] in msg

    # Renewed without a gap and valid today: on display, until the live path takes it down.
    renewed = await _renewed_without_a_gap(kafka, http, promotion)
    still = expect(await http.post(url, json=body(renewed, "2022-11-01")), 201)
    assert (still["state"], still["delisted_on"], still["reason"]) == ("active", None, None)
    on_display = expect(await http.get(f"{promotion}/showrooms/{showroom['showroom_id']}"), 200)
    assert [p["product_id"] for p in on_display["products"]] == [renewed.product_id]
