"""Issue #10, deliverable 3, end to end: history in the units of its time.

A product registered today in a merged province, whose producer's old address or legacy code
names its 2008 unit, is rated with a date before 1 July 2025 — through evaluation's API and, as a
province system would, on the ingest topic. The services emit version 2 events (province_code the
2025 province, legacy_unit the old one), and reporting counts the rating for the old province of
its time, never for the other old province sharing today's code, and once in today's province.

The ratings are dated 2023, before the merger but in no year of the five plans: the e2e tests
share one stack, and test_reporting_plans counts Đồng Tháp's 2021 and Bắc Kạn's 2022 exactly.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest

from ocop_contracts import ProductRated, RatingLevel, topics
from ocop_contracts.legacy import LegacyUnit
from ocop_contracts.reference import communes_of
from ocop_contracts.topics import dead_letter_topic
from ocop_devstack.infra import Infra
from ocop_devstack.services import ServiceStack
from tests.e2e.evaluation_support import events_of, publish
from tests.e2e.support import eventually, expect

pytestmark = pytest.mark.e2e

DONG_THAP, OLD_DONG_THAP, OLD_TIEN_GIANG = "82", "87", "82"
THAI_NGUYEN, BAC_KAN = "19", "06"


async def _ratings_counted(
    http: httpx.AsyncClient, services: ServiceStack, code: str, edition: str, year: int
) -> int:
    params: dict[str, str | int] = {"province_code": code, "edition": edition, "year": year}
    report = expect(
        await http.get(f"{services.url('reporting')}/reports/progress", params=params), 200
    )
    return int(report["ratings_counted"])


async def _counts(
    http: httpx.AsyncClient, services: ServiceStack, units: list[tuple[str, str]], year: int
) -> dict[tuple[str, str], int]:
    return {unit: await _ratings_counted(http, services, *unit, year) for unit in units}


async def _register(
    http: httpx.AsyncClient,
    services: ServiceStack,
    province: str,
    entity: dict[str, Any],
    **product: Any,
) -> dict[str, Any]:
    registry = services.url("registry")
    body = {"name": f"HTX {uuid.uuid4().hex[:6]}", "legal_form": "cooperative", **entity}
    body |= {"province_code": province, "commune_code": communes_of(province)[0]}
    created = expect(await http.post(f"{registry}/entities", json=body), 201)
    product_body = {"entity_id": created["entity_id"], "scoring_set_code": "I.3.d", **product}
    registered: dict[str, Any] = expect(
        await http.post(f"{registry}/products", json=product_body), 201
    )
    return registered


async def _known_to_evaluation(
    http: httpx.AsyncClient, services: ServiceStack, product_id: str
) -> None:
    url = f"{services.url('evaluation')}/products/{product_id}/evaluation"

    async def known() -> bool | None:
        return True if (await http.get(url)).status_code == 200 else None

    await eventually(known, what=f"evaluation to learn {product_id}")


async def _counted_once_more(
    http: httpx.AsyncClient,
    services: ServiceStack,
    before: dict[tuple[str, str], int],
    unit: tuple[str, str],
    year: int,
) -> dict[tuple[str, str], int]:
    async def arrived() -> dict[tuple[str, str], int] | None:
        now = await _counts(http, services, list(before), year)
        return now if now[unit] > before[unit] else None

    return await eventually(arrived, timeout=90, what=f"the rating counted in {unit}")


async def test_a_2023_rating_of_an_old_dong_thap_product_counts_there_not_in_tien_giang(
    http: httpx.AsyncClient, services: ServiceStack, infra: Infra
) -> None:
    # The producer's address before the merger: old Đồng Tháp (87), Sa Đéc; today Đồng Tháp (82).
    old_address = {"province_code": OLD_DONG_THAP, "district_code": "866", "commune_code": "30316"}
    product = await _register(
        http,
        services,
        DONG_THAP,
        {"legacy_address": old_address},
        name="Bánh phồng tôm Sa Giang",
        year=2023,
    )
    units = [(OLD_DONG_THAP, "2008"), (OLD_TIEN_GIANG, "2008"), (DONG_THAP, "2025")]
    before = await _counts(http, services, units, 2023)
    await _known_to_evaluation(http, services, product["product_id"])

    body = {"product_id": product["product_id"], "score": 72.0, "rated_on": "2023-11-20"}
    expect(await http.post(f"{services.url('evaluation')}/ratings", json=body), 201)

    after = await _counted_once_more(http, services, before, (OLD_DONG_THAP, "2008"), 2023)
    assert after[(OLD_DONG_THAP, "2008")] == before[(OLD_DONG_THAP, "2008")] + 1
    assert after[(OLD_TIEN_GIANG, "2008")] == before[(OLD_TIEN_GIANG, "2008")]  # not Tiền Giang
    assert after[(DONG_THAP, "2025")] == before[(DONG_THAP, "2025")] + 1  # once in today's unit

    seen = await events_of(infra.kafka_bootstrap, topics.EVALUATION, product["product_id"], _rated)
    rated = next(event for event, _ in seen if isinstance(event, ProductRated))
    assert (rated.schema_version, rated.province_code) == (2, DONG_THAP)
    assert rated.legacy_unit == LegacyUnit(**old_address)


def _rated(seen: list[tuple[Any, dict[str, bytes]]]) -> bool:
    return any(isinstance(event, ProductRated) for event, _ in seen)


def _province_rating(product_id: str, code: str) -> ProductRated:
    """As Bắc Kạn's system published it in 2023: version 1, its province by the code of then."""
    return ProductRated(
        producer="bac-kan-ocop",
        schema_version=1,
        aggregate_id=product_id,
        aggregate_version=1,
        province_code=code,
        product_id=product_id,
        score=62.0,
        stars=3,
        level=RatingLevel.PROVINCE,
        rule_set_id="qd148-2023",
        rated_on=date(2023, 6, 15),
        scoring_set_code="I.3.d",
        source_rating_id=f"BK-{uuid.uuid4().hex[:8]}",
    )


async def test_a_bac_kan_system_s_2023_rating_counts_for_bac_kan_and_once_in_thai_nguyen(
    http: httpx.AsyncClient, services: ServiceStack, infra: Infra
) -> None:
    # A legacy product code names the old unit: Bắc Kạn (06), district 058, commune 01840.
    legacy_code = f"{BAC_KAN}-058-01840-{uuid.uuid4().int % 90000 + 10000}-2022"
    product = await _register(
        http, services, THAI_NGUYEN, {}, name="Miến dong Na Rì", year=2022, product_code=legacy_code
    )
    product_id = product["product_id"]
    units = [(BAC_KAN, "2008"), (THAI_NGUYEN, "2008"), (THAI_NGUYEN, "2025")]
    before = await _counts(http, services, units, 2023)
    await _known_to_evaluation(http, services, product_id)

    wrong = _province_rating(product_id, "20")  # Lạng Sơn's code: not the product's unit then
    await publish(
        infra.kafka_bootstrap,
        topics.INGEST_EVALUATION,
        [wrong, _province_rating(product_id, BAC_KAN)],
    )

    after = await _counted_once_more(http, services, before, (BAC_KAN, "2008"), 2023)
    assert after[(BAC_KAN, "2008")] == before[(BAC_KAN, "2008")] + 1
    assert after[(THAI_NGUYEN, "2008")] == before[(THAI_NGUYEN, "2008")]  # not old Thái Nguyên
    assert after[(THAI_NGUYEN, "2025")] == before[(THAI_NGUYEN, "2025")] + 1

    seen = await events_of(infra.kafka_bootstrap, topics.EVALUATION, product_id, _rated)
    [rated] = [event for event, _ in seen if isinstance(event, ProductRated)]
    assert (rated.schema_version, rated.province_code) == (2, THAI_NGUYEN)
    assert rated.legacy_unit == LegacyUnit(
        province_code=BAC_KAN, district_code="058", commune_code="01840"
    )
    letters = await events_of(
        infra.kafka_bootstrap, dead_letter_topic(topics.INGEST_EVALUATION), product_id, bool
    )
    reason = letters[0][1]["x-dlq-reason"].decode()
    assert "belongs to province 19 (province 06 before 1 July 2025), not 20" in reason


async def _old_unit_unknown(http: httpx.AsyncClient, services: ServiceStack, code: str) -> int:
    response = await http.get(f"{services.url('reporting')}/metrics")
    assert response.status_code == 200, response.text  # not a 503 read as "none unknown"
    line = f'ocop_facts_old_unit_unknown{{province="{code}"}} '
    found = [row for row in response.text.splitlines() if row.startswith(line)]
    return int(found[0].rsplit(" ", 1)[1]) if found else 0


async def test_a_2023_rating_without_an_old_unit_is_counted_only_today_and_shown_as_such(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    # No legacy code, no old address: 82 was formed from Tiền Giang and Đồng Tháp, and the
    # registry does not know which; the rating is not guessed into either old province.
    product = await _register(http, services, DONG_THAP, {}, name="Kẹo dừa", year=2023)
    units = [(OLD_DONG_THAP, "2008"), (OLD_TIEN_GIANG, "2008"), (DONG_THAP, "2025")]
    before = await _counts(http, services, units, 2023)
    unknown_before = await _old_unit_unknown(http, services, DONG_THAP)
    await _known_to_evaluation(http, services, product["product_id"])

    body = {"product_id": product["product_id"], "score": 55.0, "rated_on": "2023-05-10"}
    expect(await http.post(f"{services.url('evaluation')}/ratings", json=body), 201)

    after = await _counted_once_more(http, services, before, (DONG_THAP, "2025"), 2023)
    assert after[(DONG_THAP, "2025")] == before[(DONG_THAP, "2025")] + 1
    assert after[(OLD_DONG_THAP, "2008")] == before[(OLD_DONG_THAP, "2008")]
    assert after[(OLD_TIEN_GIANG, "2008")] == before[(OLD_TIEN_GIANG, "2008")]
    # The rating and its certificate (3★) are the facts without their old unit.
    assert await _old_unit_unknown(http, services, DONG_THAP) > unknown_before
