"""Bad input gets a clear 4xx naming the field; writes stay within the caller's unit."""

from __future__ import annotations

import unicodedata
import uuid

import httpx
import pytest

from ocop_devstack.services import ServiceStack
from tests.e2e.registry_helpers import COMMUNES, PROVINCE, client, entity_body, register, token
from tests.e2e.support import expect

pytestmark = pytest.mark.e2e


def _field(body: dict) -> list[str]:
    return list(body["detail"][0]["loc"])


async def test_an_unknown_province_is_refused_naming_province_code(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    body = entity_body(province_code="99")
    refused = expect(await http.post(f"{services.url('registry')}/entities", json=body), 422)
    assert _field(refused) == ["body", "province_code"]


async def test_an_unknown_commune_is_refused_naming_commune_code(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    body = entity_body(commune="99999")
    refused = expect(await http.post(f"{services.url('registry')}/entities", json=body), 422)
    assert _field(refused) == ["body", "commune_code"]


async def test_a_commune_of_another_province_is_refused(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    body = entity_body(commune="29869")  # Phường Cao Lãnh is in Đồng Tháp (82), not Gia Lai
    refused = expect(await http.post(f"{services.url('registry')}/entities", json=body), 422)
    assert _field(refused) == ["body", "commune_code"]
    assert "82" in refused["detail"][0]["msg"]


async def test_a_product_code_of_another_commune_is_refused(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    registry = services.url("registry")
    entity = expect(await http.post(f"{registry}/entities", json=entity_body()), 201)
    body = {
        "entity_id": entity["entity_id"],
        "name": "Hồ tiêu Chư Sê",
        "scoring_set_code": "I.4.b",
        "year": 2024,
        "product_code": f"{PROVINCE}-{COMMUNES[1]}-3-2024",
    }
    refused = expect(await http.post(f"{registry}/products", json=body), 422)
    assert _field(refused) == ["body", "product_code"]


async def test_a_legacy_code_with_a_district_is_accepted_and_mapped(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    legacy = f"64-{uuid.uuid4().int % 900 + 100}-23{uuid.uuid4().int % 900 + 100}-1-2021"
    product = await register(http, services, year=2021, product_code=legacy)
    assert product["legacy_product_code"] == legacy
    assert product["legacy_province_code"] == "64"  # old Gia Lai, now part of 52
    assert product["product_code"].startswith(f"{PROVINCE}-{COMMUNES[0]}-")


async def test_a_legacy_code_of_an_old_province_elsewhere_is_refused(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    registry = services.url("registry")
    entity = expect(await http.post(f"{registry}/entities", json=entity_body()), 201)
    body = {
        "entity_id": entity["entity_id"],
        "name": "Hồ tiêu",
        "scoring_set_code": "I.4.b",
        "year": 2021,
        "product_code": "83-829-28780-1-2021",  # Bến Tre, now Vĩnh Long
    }
    refused = expect(await http.post(f"{registry}/products", json=body), 422)
    assert _field(refused) == ["body", "product_code"]


async def test_an_unknown_scoring_set_is_refused_with_a_hint(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    registry = services.url("registry")
    entity = expect(await http.post(f"{registry}/entities", json=entity_body()), 201)
    body = {"entity_id": entity["entity_id"], "name": "X", "scoring_set_code": "I.3", "year": 2026}
    refused = expect(await http.post(f"{registry}/products", json=body), 422)
    assert _field(refused) == ["body", "scoring_set_code"]
    assert "I.3.a" in refused["detail"][0]["msg"]  # a group: its scoring sets are suggested


async def test_a_name_in_nfd_is_stored_in_nfc_and_matches_the_same_name(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    name = f"Mật ong hoa cà phê {uuid.uuid4().hex[:4]}"
    registry = services.url("registry")
    entity = expect(await http.post(f"{registry}/entities", json=entity_body()), 201)
    first = await register(http, services, entity=entity, name=name, scoring_set_code="I.2.b")
    second = await register(
        http,
        services,
        entity=entity,
        name=unicodedata.normalize("NFD", name),
        scoring_set_code="I.2.b",
    )
    assert second["name"] == name
    warned = {w["product_id"]: w["similarity"] for w in second["warnings"]}
    assert warned.get(first["product_id"]) == 1.0


async def test_a_close_name_in_the_same_commune_warns_without_blocking(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    tag = uuid.uuid4().hex[:4]
    first = await register(http, services, name=f"Tôm khô {tag} Quy Nhơn", scoring_set_code="I.3.d")
    second = await register(
        http, services, name=f"TOM KHO {tag} QUY NHON loại 1", scoring_set_code="I.3.d"
    )
    assert second["status"] == "registered"
    assert first["product_id"] in {w["product_id"] for w in second["warnings"]}


async def test_an_oversized_name_is_refused_naming_the_field(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    body = entity_body(name="Hợp tác xã " * 40)
    refused = expect(await http.post(f"{services.url('registry')}/entities", json=body), 422)
    assert _field(refused) == ["body", "name"]


async def test_an_oversized_story_is_refused_naming_the_field(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    registry = services.url("registry")
    entity = expect(await http.post(f"{registry}/entities", json=entity_body()), 201)
    body = {
        "entity_id": entity["entity_id"],
        "name": "Rượu cần",
        "scoring_set_code": "II.1.b",
        "year": 2026,
        "story": "x" * 10_001,
    }
    refused = expect(await http.post(f"{registry}/products", json=body), 422)
    assert _field(refused) == ["body", "story"]


async def test_a_bad_tax_number_is_refused_naming_tax_code(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    body = entity_body(tax_code="0100109107")  # check digit should be 6
    refused = expect(await http.post(f"{services.url('registry')}/entities", json=body), 422)
    assert _field(refused) == ["body", "tax_code"]


async def test_an_association_may_register_only_tourism(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    registry = services.url("registry")
    entity = expect(
        await http.post(f"{registry}/entities", json=entity_body(legal_form="association")), 201
    )
    body = {
        "entity_id": entity["entity_id"],
        "name": "Trà",
        "scoring_set_code": "I.5.a",
        "year": 2026,
    }
    refused = expect(await http.post(f"{registry}/products", json=body), 422)
    assert _field(refused) == ["body", "scoring_set_code"]
    expect(await http.post(f"{registry}/products", json={**body, "scoring_set_code": "VI.1"}), 201)


async def test_a_province_office_cannot_write_in_another_province(services: ServiceStack) -> None:
    async with client(token(["province_office"], ["01"])) as hanoi:
        response = await hanoi.post(f"{services.url('registry')}/entities", json=entity_body())
    assert response.status_code == 403


async def test_a_commune_officer_writes_only_in_their_commune(services: ServiceStack) -> None:
    registry = services.url("registry")
    officer = token(["commune_officer"], [PROVINCE], communes=[COMMUNES[2]])
    async with client(officer) as http:
        own = await http.post(f"{registry}/entities", json=entity_body(commune=COMMUNES[2]))
        other = await http.post(f"{registry}/entities", json=entity_body(commune=COMMUNES[3]))
    assert (own.status_code, other.status_code) == (201, 403)


async def test_a_producer_changes_only_its_own_products(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    registry = services.url("registry")
    mine = await register(http, services)
    theirs = await register(http, services)
    producer = token(["producer"], [PROVINCE], sub="nga", entity_id=mine["entity_id"])
    async with client(producer) as own:
        ok = await own.patch(f"{registry}/products/{mine['product_id']}", json={"local_labour": 12})
        denied = await own.patch(
            f"{registry}/products/{theirs['product_id']}", json={"local_labour": 12}
        )
    assert (ok.status_code, denied.status_code) == (200, 403)
    assert ok.json()["local_labour"] == 12


async def test_an_added_account_may_act_for_the_producer(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    registry = services.url("registry")
    product = await register(http, services)
    subject = f"user-{uuid.uuid4().hex[:6]}"
    second_user = token(["producer"], [PROVINCE], sub=subject)
    async with client(second_user) as user:
        before = await user.patch(f"{registry}/products/{product['product_id']}", json={})
        expect(
            await http.post(
                f"{registry}/entities/{product['entity_id']}/accounts", json={"subject": subject}
            ),
            200,
        )
        after = await user.patch(f"{registry}/products/{product['product_id']}", json={})
    assert (before.status_code, after.status_code) == (403, 200)
