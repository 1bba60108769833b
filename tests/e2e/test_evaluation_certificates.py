"""The certificate scheduler on a controllable clock: renewal window and expiry, each announced
exactly once across restarts of the service (its state lives in the certificate documents)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from ocop_contracts import topics
from ocop_devstack.infra import Infra
from ocop_devstack.services import ServiceStack
from tests.e2e.evaluation_support import (
    admin_headers,
    events_of,
    once_known,
    publish,
    registered,
    types,
)
from tests.e2e.support import expect

pytestmark = pytest.mark.e2e
ISSUED_ON = date(2030, 3, 10)  # valid until 9 Mar 2033; renewal window 11 Sep 2032 – 10 Nov 2032


@pytest.fixture(scope="module")
def evaluation_alone(
    infra: Infra, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceStack]:
    """Evaluation on its own database and group, so the clock and restarts are this module's."""
    stack = ServiceStack.on_free_ports(
        infra.kafka_bootstrap,
        infra.mongo_url,
        Path(tmp_path_factory.mktemp("evaluation-alone")),
        namespace=f"c{uuid.uuid4().hex[:8]}",
        services=["evaluation"],
    )
    stack.extra_env["OCOP_SCHEDULER_SECONDS"] = "0.3"
    try:
        stack.start("evaluation")
        yield stack
    finally:
        stack.stop_all()


async def _move_clock(url: str, today: date) -> None:
    async with httpx.AsyncClient(headers=admin_headers(), timeout=10.0) as admin:
        moved = expect(
            await admin.put(f"{url}/admin/clock", json={"today": today.isoformat()}), 200
        )
    assert moved["today"] == today.isoformat()


def _restart(stack: ServiceStack) -> None:
    stack.stop("evaluation")
    stack.start("evaluation")


async def test_renewal_due_and_expiry_fire_once_each_across_restarts(
    evaluation_alone: ServiceStack, infra: Infra, http: httpx.AsyncClient
) -> None:
    url = evaluation_alone.url("evaluation")
    product_id = f"cert-{uuid.uuid4().hex[:10]}"
    await publish(infra.kafka_bootstrap, topics.REGISTRY, [registered(product_id)])
    certificate_id = f"OCOP-92-{uuid.uuid4().hex[:6]}"
    body = {
        "product_id": product_id,
        "certificate_id": certificate_id,
        "stars": 4,
        "decision_ref": "88/QĐ-UBND",
        "issued_on": ISSUED_ON.isoformat(),
    }
    cert = await once_known(lambda: http.post(f"{url}/certificates", json=body), 201)
    assert (cert["renewal_opens_on"], cert["expires_on"]) == ("2032-09-11", "2033-03-10")

    await _move_clock(url, date(2032, 9, 10))  # the day before the window: nothing yet
    await _move_clock(url, date(2032, 9, 11))
    seen = await events_of(
        infra.kafka_bootstrap,
        topics.EVALUATION,
        product_id,
        lambda s: "CertificateRenewalDue" in types(s),
    )
    due = next(e for e, _ in seen if e.type == "CertificateRenewalDue")
    assert (due.window_opens_on, due.window_closes_on) == (date(2032, 9, 11), date(2032, 11, 10))  # type: ignore[attr-defined]

    _restart(evaluation_alone)  # the moved clock and the sent flag survive the restart
    await asyncio.sleep(2)  # several scheduler ticks on the same day
    await _move_clock(url, date(2033, 3, 10))
    seen = await events_of(
        infra.kafka_bootstrap,
        topics.EVALUATION,
        product_id,
        lambda s: "CertificateExpired" in types(s),
    )
    _restart(evaluation_alone)
    await asyncio.sleep(2)
    seen = await events_of(
        infra.kafka_bootstrap, topics.EVALUATION, product_id, lambda s: len(s) >= 3
    )
    assert types(seen) == ["CertificateIssued", "CertificateRenewalDue", "CertificateExpired"]
    assert [e.aggregate_version for e, _ in seen] == [1, 2, 3]
    shown = expect(await http.get(f"{url}/certificates/{certificate_id}"), 200)
    assert shown["status"] == "expired"


async def test_the_clock_is_moved_only_by_an_admin(
    evaluation_alone: ServiceStack, http: httpx.AsyncClient
) -> None:
    url = evaluation_alone.url("evaluation")
    refused = await http.put(f"{url}/admin/clock", json={"today": "2031-01-01"})
    assert refused.status_code == 403
