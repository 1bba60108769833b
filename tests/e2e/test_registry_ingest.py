"""Province systems' registrations on ocop.ingest.registry.v1: registered under registry's own ids
and re-emitted canonically (and so known downstream), once however often they are sent, or
dead-lettered with the reason."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from ocop_contracts import Event, LegalForm, ProductRegistered, parse_event, topics
from ocop_contracts.clock import Clock
from ocop_contracts.events.registry import EntityRegistered
from ocop_contracts.legacy import LegacyUnit
from ocop_contracts.reference import communes_of
from ocop_devstack.infra import Infra
from ocop_devstack.services import ServiceStack
from tests.e2e.registry_helpers import PROVINCE, records_keyed
from tests.e2e.support import eventually, expect, read_dead_letters
from tests.unit.registry.test_registry_ingest import SYSTEM, envelope

pytestmark = pytest.mark.e2e

# A commune of its own: test_registry_search counts exactly what its commune (index 7) holds.
COMMUNE = communes_of(PROVINCE)[8]
ELSEWHERE = communes_of("82")[3]  # a commune of Đồng Tháp


class ProvinceSystem:
    """One producer of a province system and the messages it sends about it."""

    def __init__(self) -> None:
        self.entity_id = f"GL-HTX-{uuid.uuid4().hex[:8]}"  # the system's own id, and Kafka key

    def producer(self, **overrides: Any) -> EntityRegistered:
        fields: dict[str, Any] = {
            **envelope(self.entity_id),
            "entity_id": self.entity_id,
            "name": f"HTX Cà phê {self.entity_id}",
            "legal_form": LegalForm.COOPERATIVE,
            "commune_code": COMMUNE,
        }
        return EntityRegistered(**{**fields, **overrides})

    def product(self, **overrides: Any) -> ProductRegistered:
        product_id = f"GL-SP-{uuid.uuid4().hex[:8]}"
        sequence = uuid.uuid4().int % 90_000 + 10_000  # clear of numbers the API allocates
        fields: dict[str, Any] = {
            **envelope(product_id),
            "product_id": product_id,
            "product_code": f"{PROVINCE}-{COMMUNE}-{sequence}-2026",
            "name": f"Cà phê rang xay {product_id}",
            "entity_id": self.entity_id,
            "legal_form": LegalForm.COOPERATIVE,
            "scoring_set_code": "I.6",
            "commune_code": COMMUNE,
        }
        return ProductRegistered(**{**fields, **overrides})

    async def send(self, bootstrap: str, *events: Event) -> None:
        """In order, all keyed by the producer's id (as the AsyncAPI document asks)."""
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
        await producer.start()
        try:
            for event in events:
                await producer.send_and_wait(
                    topics.INGEST_REGISTRY, event.to_json_bytes(), key=self.entity_id.encode()
                )
        finally:
            await producer.stop()

    async def reasons(self, infra: Infra, services: ServiceStack, count: int) -> list[str]:
        group = f"ocop.{services.namespace}.registry"
        letters = await read_dead_letters(
            infra.kafka_bootstrap, topics.INGEST_REGISTRY, self.entity_id.encode(), count, group
        )
        return [dict(letter.headers)["x-dlq-reason"].decode() for letter in letters]


async def registered_as(
    http: httpx.AsyncClient, services: ServiceStack, message: ProductRegistered
) -> dict[str, Any]:
    """The registry's product registered from ``message``, once the registry has it."""

    async def found() -> dict[str, Any] | None:
        page = expect(
            await http.get(
                f"{services.url('registry')}/products",
                params={"province_code": PROVINCE, "q": message.product_id},
            ),
            200,
        )
        return page if page["total"] else None

    page = await eventually(found, what=f"the registry to register {message.product_id}")
    assert page["total"] == 1, page
    product: dict[str, Any] = page["items"][0]
    return product


async def test_an_accepted_registration_is_registered_emitted_and_known_downstream(
    infra: Infra, services: ServiceStack, http: httpx.AsyncClient
) -> None:
    system = ProvinceSystem()
    message = system.product()

    await system.send(infra.kafka_bootstrap, system.producer(), message)

    product = await registered_as(http, services, message)
    assert product["product_id"] != message.product_id  # the registry's own id
    assert (product["product_code"], product["scoring_set_code"], product["version"]) == (
        message.product_code,
        "I.6",
        1,
    )
    assert product["source"]["system"] == SYSTEM and product["source"]["id"] == message.product_id
    entity = expect(
        await http.get(f"{services.url('registry')}/entities/{product['entity_id']}"), 200
    )
    assert entity["source"]["id"] == system.entity_id

    (record,) = await records_keyed(
        infra.kafka_bootstrap, topics.REGISTRY, product["product_id"], 1
    )
    canonical = parse_event(record.value)
    assert isinstance(canonical, ProductRegistered)
    assert (canonical.producer, canonical.aggregate_version, canonical.entity_id) == (
        "registry",
        1,
        product["entity_id"],
    )
    assert canonical.causation_id == message.event_id

    evaluation = f"{services.url('evaluation')}/products/{product['product_id']}/evaluation"

    async def known_to_evaluation() -> bool | None:
        return True if (await http.get(evaluation)).status_code == 200 else None

    await eventually(known_to_evaluation, what="evaluation to learn the ingested product")


async def test_a_wrong_classification_and_a_foreign_province_are_dead_lettered_with_reasons(
    infra: Infra, services: ServiceStack, http: httpx.AsyncClient
) -> None:
    system = ProvinceSystem()
    group_not_set = system.product(scoring_set_code="I.3")
    foreign = system.product(commune_code=ELSEWHERE, product_code=f"82-{ELSEWHERE}-1-2026")

    await system.send(infra.kafka_bootstrap, system.producer(), group_not_set, foreign)

    classification, province = await system.reasons(infra, services, 2)
    assert classification.startswith("ProductRegistered rejected (scoring_set_code):")
    assert "'I.3' is a group or sector; its scoring sets are I.3.a" in classification
    assert province.startswith("ProductRegistered rejected (commune_code):")
    assert f"is not in province {PROVINCE}" in province and "belongs to province 82" in province
    assert "declares as its source" in province
    for rejected in (group_not_set, foreign):
        page = expect(
            await http.get(
                f"{services.url('registry')}/products", params={"q": rejected.product_id}
            ),
            200,
        )
        assert page["total"] == 0


async def test_a_re_sent_registration_is_registered_once(
    infra: Infra, services: ServiceStack, http: httpx.AsyncClient
) -> None:
    system = ProvinceSystem()
    message = system.product()
    resent = message.model_copy(update={"event_id": uuid.uuid4()})  # a producer's retry
    after = system.product()  # once it is registered, everything before it was read
    duplicates_before = await _duplicates(http, services)

    await system.send(infra.kafka_bootstrap, system.producer(), message, message, resent, after)

    await registered_as(http, services, after)
    product = await registered_as(http, services, message)
    assert product["version"] == 1
    assert await _duplicates(http, services) >= duplicates_before + 1


async def _duplicates(http: httpx.AsyncClient, services: ServiceStack) -> int:
    metrics = expect(await http.get(f"{services.url('registry')}/metrics/pipeline"), 200)
    return int(metrics["duplicates"])


# Old Gia Lai (64, today's 52) in 2023: no plan's unit or year (test_reporting_plans counts
# exactly in those), so the producer mix there changes by this test's record alone.
OLD_GIA_LAI = LegacyUnit(province_code="64", district_code="622")
JOINED = date(2023, 5, 10)


async def test_a_registration_of_an_earlier_year_is_counted_in_its_year_and_old_unit(
    infra: Infra, services: ServiceStack, http: httpx.AsyncClient
) -> None:
    system = ProvinceSystem()
    overview = f"{services.url('reporting')}/reports/overview"
    unit: dict[str, str | int] = {"province_code": "64", "edition": "2008", "year": 2023}
    before = expect(await http.get(overview, params=unit), 200)["producer_mix"]["total"]
    tomorrow = Clock().today() + timedelta(days=1)
    in_the_future = system.product(registered_on=tomorrow)
    message = system.product(registered_on=JOINED, legacy_unit=OLD_GIA_LAI)

    producer = system.producer(registered_on=JOINED, legacy_unit=OLD_GIA_LAI)
    await system.send(infra.kafka_bootstrap, producer, in_the_future, message)

    (reason,) = await system.reasons(infra, services, 1)
    assert reason.startswith("ProductRegistered rejected (registered_on):")
    assert f"{tomorrow.isoformat()} is after today" in reason
    product = await registered_as(http, services, message)
    assert (product["registered_on"], product["legacy_unit"]["province_code"]) == (
        JOINED.isoformat(),
        "64",
    )
    (record,) = await records_keyed(infra.kafka_bootstrap, topics.REGISTRY, product["entity_id"], 1)
    canonical = parse_event(record.value)
    assert isinstance(canonical, EntityRegistered)
    assert (canonical.schema_version, canonical.province_code) == (2, PROVINCE)
    assert (canonical.registered_on, canonical.legacy_unit) == (JOINED, OLD_GIA_LAI)

    async def counted() -> bool | None:
        mix = expect(await http.get(overview, params=unit), 200)["producer_mix"]
        return True if mix["total"] == before + 1 else None

    # A new producer of old Gia Lai in 2023 (not of today's Gia Lai in 2026).
    await eventually(counted, what="reporting to count the producer in 2023, old Gia Lai")
