"""Search the register: filters by unit (old or new), class, stars, status and producer mix."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from ocop_devstack.services import ServiceStack
from tests.e2e.registry_helpers import COMMUNES, PROVINCE, entity_body, register
from tests.e2e.support import expect

pytestmark = pytest.mark.e2e
COMMUNE = COMMUNES[7]  # this module's own commune: counts below are exact


@pytest.fixture(scope="module")
async def catalogue(services: ServiceStack, token: str) -> dict[str, Any]:
    """Three producers of one commune and their products, registered once for the module."""
    registry = services.url("registry")
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
        women = expect(
            await http.post(
                f"{registry}/entities",
                json=entity_body(
                    COMMUNE,
                    legal_form="household",
                    representative={
                        "full_name": "Ksor H'Bia",
                        "sex": "female",
                        "ethnicity": "Gia Rai",
                    },
                ),
            ),
            201,
        )
        men = expect(
            await http.post(
                f"{registry}/entities",
                json=entity_body(
                    COMMUNE,
                    legal_form="enterprise",
                    legacy_address={"province_code": "64"},
                    representative={"full_name": "Nguyễn Văn A", "sex": "male"},
                ),
            ),
            201,
        )
        tag = uuid.uuid4().hex[:6]
        products = [
            await register(
                http, services, entity=women, name=f"Cà phê {tag} 1", scoring_set_code="I.6"
            ),
            await register(
                http, services, entity=women, name=f"Rượu cần {tag}", scoring_set_code="II.1.b"
            ),
            await register(
                http, services, entity=men, name=f"Hồ tiêu {tag}", scoring_set_code="I.4.b"
            ),
        ]
        return {"women": women, "men": men, "products": products, "tag": tag}


async def _search(http: httpx.AsyncClient, services: ServiceStack, **params: Any) -> dict[str, Any]:
    page: dict[str, Any] = expect(
        await http.get(
            f"{services.url('registry')}/products", params={"commune_code": COMMUNE, **params}
        ),
        200,
    )
    return page


async def test_women_led_filter(
    http: httpx.AsyncClient, services: ServiceStack, catalogue: dict[str, Any]
) -> None:
    page = await _search(http, services, women_led="true")
    assert {p["entity_id"] for p in page["items"]} == {catalogue["women"]["entity_id"]}
    assert page["total"] == 2


async def test_ethnic_minority_led_filter(
    http: httpx.AsyncClient, services: ServiceStack, catalogue: dict[str, Any]
) -> None:
    page = await _search(http, services, ethnic_minority_led="false")
    assert {p["entity_id"] for p in page["items"]} == {catalogue["men"]["entity_id"]}


async def test_sector_and_group_filters(
    http: httpx.AsyncClient, services: ServiceStack, catalogue: dict[str, Any]
) -> None:
    beverages = await _search(http, services, sector="II")
    spices = await _search(http, services, group="I.4")
    assert [p["name"] for p in beverages["items"]] == [f"Rượu cần {catalogue['tag']}"]
    assert [p["name"] for p in spices["items"]] == [f"Hồ tiêu {catalogue['tag']}"]


async def test_producer_type_filter(
    http: httpx.AsyncClient, services: ServiceStack, catalogue: dict[str, Any]
) -> None:
    page = await _search(http, services, legal_form="household")
    assert page["total"] == 2


async def test_an_old_province_code_finds_records_attributed_to_it(
    http: httpx.AsyncClient, services: ServiceStack, catalogue: dict[str, Any]
) -> None:
    page = await _search(http, services, province_code="64", province_edition="2008")
    assert {p["entity_id"] for p in page["items"]} == {catalogue["men"]["entity_id"]}


async def test_new_province_code_and_status_filter(
    http: httpx.AsyncClient, services: ServiceStack, catalogue: dict[str, Any]
) -> None:
    page = await _search(http, services, province_code=PROVINCE, status="registered", stars=0)
    assert page["total"] == 3


async def test_pages_split_the_results(
    http: httpx.AsyncClient, services: ServiceStack, catalogue: dict[str, Any]
) -> None:
    first = await _search(http, services, page_size=2, page=1)
    second = await _search(http, services, page_size=2, page=2)
    ids = [p["product_id"] for p in first["items"] + second["items"]]
    assert (len(first["items"]), len(second["items"]), first["total"]) == (2, 1, 3)
    assert sorted(ids) == sorted(p["product_id"] for p in catalogue["products"])


async def test_a_name_search_ignores_accents(
    http: httpx.AsyncClient, services: ServiceStack, catalogue: dict[str, Any]
) -> None:
    page = await _search(http, services, q=f"ho tieu {catalogue['tag']}")
    assert [p["name"] for p in page["items"]] == [f"Hồ tiêu {catalogue['tag']}"]


async def test_an_old_code_passed_as_a_new_one_gets_a_hint(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    response = await http.get(
        f"{services.url('registry')}/products", params={"province_code": "64"}
    )
    refused = expect(response, 422)
    assert refused["detail"][0]["loc"] == ["body", "province_code"]
    assert "province_edition=2008" in refused["detail"][0]["msg"]
