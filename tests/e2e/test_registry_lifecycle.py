"""Registry end to end: events on the topic, evaluation's events → the public lookup."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from ocop_contracts import parse_event, topics
from ocop_contracts.clock import today_in_vietnam
from ocop_contracts.events.evaluation import (
    CertificateExpired,
    CertificateIssued,
    CertificateRevoked,
)
from ocop_contracts.events.registry import ProductRegistered, ProductUpdated, ProductWithdrawn
from ocop_contracts.vocabulary import RatingLevel, RevocationGround
from ocop_devstack.infra import Infra
from ocop_devstack.services import ServiceStack
from tests.e2e.registry_helpers import (
    PROVINCE,
    client,
    lookup_until,
    publish,
    records_keyed,
    register,
)
from tests.e2e.support import eventually, expect

pytestmark = pytest.mark.e2e


def _in_days(days: int) -> date:
    return today_in_vietnam() + timedelta(days=days)


def _issued(product: dict, version: int, cert: str, until: date) -> CertificateIssued:
    return CertificateIssued(
        producer="evaluation",
        aggregate_id=product["product_id"],
        aggregate_version=version,
        province_code=PROVINCE,
        certificate_id=cert,
        product_id=product["product_id"],
        stars=4,
        level=RatingLevel.PROVINCE,
        decision_ref="123/QĐ-UBND",
        issued_on=today_in_vietnam() - timedelta(days=30),
        valid_until=until,
        rule_set_id="qd26-2026",
    )


async def test_changes_are_published_keyed_by_product_with_growing_versions(
    http: httpx.AsyncClient, services: ServiceStack, infra: Infra
) -> None:
    registry = services.url("registry")
    product = await register(http, services)
    pid = product["product_id"]
    expect(
        await http.patch(f"{registry}/products/{pid}", json={"trademark": "Gia Lai Coffee"}), 200
    )
    withdrawn = expect(
        await http.post(f"{registry}/products/{pid}/withdraw", json={"reason": "ngừng sản xuất"}),
        200,
    )
    assert withdrawn["status"] == "withdrawn"

    records = await records_keyed(infra.kafka_bootstrap, topics.REGISTRY, pid, 3)
    events = [parse_event(r.value) for r in records]
    assert [type(e) for e in events] == [ProductRegistered, ProductUpdated, ProductWithdrawn]
    assert [e.aggregate_version for e in events] == [1, 2, 3]
    assert {e.aggregate_id for e in events} == {pid}
    registered = events[0]
    assert isinstance(registered, ProductRegistered)
    assert registered.product_code == product["product_code"]


async def test_entity_registration_is_published_keyed_by_entity(
    http: httpx.AsyncClient, services: ServiceStack, infra: Infra
) -> None:
    product = await register(http, services)
    records = await records_keyed(infra.kafka_bootstrap, topics.REGISTRY, product["entity_id"], 1)
    event = parse_event(records[0].value)
    assert (event.type, event.aggregate_version) == ("EntityRegistered", 1)
    assert event.province_code == PROVINCE


async def test_a_rating_from_evaluation_shows_in_the_public_lookup(
    http: httpx.AsyncClient, services: ServiceStack, year: int
) -> None:
    product = await register(http, services, year=year)
    rated_on = today_in_vietnam() - timedelta(days=10)

    async def rate() -> dict | None:
        response = await http.post(
            f"{services.url('evaluation')}/ratings",
            json={"product_id": product["product_id"], "score": 75.0, "rated_on": str(rated_on)},
        )
        if response.status_code == 422 and "not yet known" in response.text:
            return None
        rating: dict = expect(response, 201)
        return rating

    await eventually(rate, timeout=60, what="evaluation to learn the product")
    shown = await lookup_until(
        services, product["product_code"], lambda b: b["stars"] == 4, "the lookup to show 4★"
    )
    assert shown["valid_today"] is True
    assert shown["status"] == "certified"
    assert date.fromisoformat(shown["valid_until"]) > today_in_vietnam()


async def test_an_expired_certificate_shows_as_expired(
    http: httpx.AsyncClient, services: ServiceStack, infra: Infra
) -> None:
    product = await register(http, services)
    cert = f"GL-{product['product_id']}"
    await publish(
        infra.kafka_bootstrap, _issued(product, 1, cert, today_in_vietnam() + timedelta(days=400))
    )
    valid = await lookup_until(services, cert, lambda b: b["stars"] == 4, "the certificate")
    assert valid["valid_today"] is True

    expired = CertificateExpired(
        producer="evaluation",
        aggregate_id=product["product_id"],
        aggregate_version=2,
        province_code=PROVINCE,
        certificate_id=cert,
        product_id=product["product_id"],
        stars=4,
        expired_on=today_in_vietnam(),
    )
    await publish(infra.kafka_bootstrap, expired)
    shown = await lookup_until(
        services, product["product_code"], lambda b: b["status"] == "expired", "expiry"
    )
    assert shown["valid_today"] is False
    assert "expired" in shown["validity_note"]


async def test_a_revoked_certificate_is_not_valid_and_late_events_do_not_undo_it(
    http: httpx.AsyncClient, services: ServiceStack, infra: Infra
) -> None:
    product = await register(http, services)
    cert = f"GL-R-{product['product_id']}"
    revoked = CertificateRevoked(
        producer="evaluation",
        aggregate_id=product["product_id"],
        aggregate_version=2,
        province_code=PROVINCE,
        certificate_id=cert,
        product_id=product["product_id"],
        stars=4,
        ground=RevocationGround.MARK_MISUSE,
        decision_ref="9/QĐ-UBND",
        revoked_on=today_in_vietnam(),
    )
    # Revocation (v2) arrives, then a redelivered older issue (v1): the older one is ignored.
    stale = _issued(product, 1, cert, today_in_vietnam() + timedelta(days=400))
    await publish(infra.kafka_bootstrap, revoked, stale)
    shown = await lookup_until(
        services, product["product_code"], lambda b: b["status"] == "revoked", "revocation"
    )
    assert shown["valid_today"] is False
    assert shown["stars"] == 0  # never certified as far as ordered events go


async def test_lookup_accepts_a_qr_url_and_a_certificate_number(
    http: httpx.AsyncClient, services: ServiceStack, infra: Infra
) -> None:
    product = await register(http, services)
    cert = f"GL-Q-{product['product_id']}"
    await publish(
        infra.kafka_bootstrap, _issued(product, 1, cert, today_in_vietnam() + timedelta(days=100))
    )
    by_cert = await lookup_until(services, cert, lambda b: b["stars"] == 4, "the certificate")
    by_qr = await lookup_until(
        services,
        f"https://ocop.example.vn/tra-cuu?code={product['product_code']}",
        lambda b: True,
        "QR lookup",
    )
    assert by_cert["product_code"] == by_qr["product_code"] == product["product_code"]
    assert by_qr["certificate"]["certificate_id"] == cert


async def test_the_public_sees_no_personal_data_of_the_representative(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    registry = services.url("registry")
    representative = {
        "full_name": "Rơ Châm Hơ Nga",
        "sex": "female",
        "ethnicity": "Gia Rai",
        "phone": "0905123456",
        "email": "nga@example.vn",
    }
    entity = expect(
        await http.post(
            f"{registry}/entities",
            json={
                "name": "HTX Cà phê Ia Grai",
                "legal_form": "cooperative",
                "province_code": PROVINCE,
                "commune_code": "21553",
                "representative": representative,
            },
        ),
        201,
    )
    assert (entity["women_led"], entity["ethnic_minority_led"]) == (True, True)
    product = await register(http, services, entity=entity)
    async with client(None) as public:
        looked_up = await public.get(
            f"{registry}/public/lookup", params={"q": product["product_code"]}
        )
        entity_view = await public.get(f"{registry}/entities/{entity['entity_id']}")
    texts = looked_up.text + entity_view.text
    assert looked_up.status_code == entity_view.status_code == 200
    for private in ("Rơ Châm Hơ Nga", "0905123456", "nga@example.vn", "representative"):
        assert private not in texts
    own_view = expect(await http.get(f"{registry}/entities/{entity['entity_id']}"), 200)
    assert own_view["representative"]["full_name"] == "Rơ Châm Hơ Nga"


async def test_public_endpoints_are_read_only(services: ServiceStack) -> None:
    async with client(None) as public:
        response = await public.post(f"{services.url('registry')}/public/lookup", params={"q": "x"})
        write = await public.post(f"{services.url('registry')}/products", json={})
    assert response.status_code == 405
    assert write.status_code == 401
