"""Targets from province systems that break a rule go to the dead-letter topic with the reason;
the same mistakes over HTTP are a 422 naming the field. Labels are stored in NFC either way."""

from __future__ import annotations

import json
import unicodedata
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from ocop_contracts import topics
from ocop_devstack.infra import Infra
from ocop_devstack.services import ServiceStack
from tests.e2e.support import eventually, expect, read_dead_letters

pytestmark = pytest.mark.e2e

VALID: dict[str, Any] = {
    "province_code": "06",
    "province_edition": "2008",
    "plan_ref": "75/KH-UBND",
    "label": "Ít nhất 2 tin, bài/tháng trên Báo Bắc Kạn",
    "metric": "media_items",
    "unit": "per_month",
    "year_from": 2022,
    "year_to": 2022,
    "minimum": 2,
    "period_start": "2022-02-11",
    "period_end": "2022-12-31",
}
MISTAKES: dict[str, tuple[dict[str, Any], str, str]] = {
    # name: (changes, field, words of the reason)
    "unknown province": ({"province_code": "99"}, "province_code", "unknown province code 99"),
    "old code as a new unit": (
        {"province_code": "06", "province_edition": "2025"},
        "province_code",
        "unknown province code 06 in the 2025 edition",
    ),
    "negative": ({"minimum": -5}, "minimum", "greater than or equal to 0"),
    "inverted range": ({"unit": "count", "minimum": 15, "maximum": 10}, "maximum", "inverted"),
    "rate without a period": (
        {"period_start": None, "period_end": None},
        "period_start",
        "a per_month rate needs a period",
    ),
}


@pytest.fixture(scope="module")
def reporting(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceStack]:
    stack = ServiceStack.on_free_ports(
        infra.kafka_bootstrap,
        infra.mongo_url,
        Path(tmp_path_factory.mktemp("reporting-ingest")),
        namespace=f"ri{uuid.uuid4().hex[:6]}",
        services=["reporting"],
    )
    try:
        stack.start("reporting")
        yield stack
    finally:
        stack.stop_all()


@pytest.mark.parametrize("mistake", list(MISTAKES))
async def test_a_bad_target_over_http_is_a_422_naming_the_field(
    reporting: ServiceStack, http: httpx.AsyncClient, mistake: str
) -> None:
    changes, field, words = MISTAKES[mistake]
    response = await http.post(f"{reporting.url('reporting')}/targets", json=VALID | changes)
    body = expect(response, 422)
    assert field in json.dumps(body)
    assert words in json.dumps(body, ensure_ascii=False)


def _message(**changes: Any) -> dict[str, Any]:
    target_id = f"ing-{uuid.uuid4().hex[:8]}"
    return {
        "event_id": str(uuid.uuid4()),
        "type": "TargetUpdated",
        "occurred_at": "2022-02-11T08:00:00+07:00",
        "producer": "province.06",
        "aggregate_id": target_id,
        "aggregate_version": 1,
        "target_id": target_id,
        **VALID,
        **changes,
    }


async def test_bad_targets_from_province_systems_are_dead_lettered_with_the_reason(
    infra: Infra, reporting: ServiceStack, http: httpx.AsyncClient
) -> None:
    marker = uuid.uuid4().hex.encode()
    bad = [_message(**changes) for changes, _, _ in MISTAKES.values()]
    good = _message()
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for message in [*bad, good]:
            await producer.send_and_wait(
                topics.INGEST_REPORTING, json.dumps(message).encode(), key=marker
            )
    finally:
        await producer.stop()

    group = f"ocop.{reporting.namespace}.reporting"
    letters = await read_dead_letters(
        infra.kafka_bootstrap, topics.INGEST_REPORTING, marker, len(bad), group
    )
    reasons = {
        json.loads(r.value)["event_id"]: dict(r.headers)["x-dlq-reason"].decode() for r in letters
    }
    for message, (_, field, words) in zip(bad, MISTAKES.values(), strict=True):
        reason = reasons[message["event_id"]]
        assert words in reason and field in reason, reason

    async def good_applied() -> dict[str, Any] | None:
        report = expect(
            await http.get(
                f"{reporting.url('reporting')}/reports/progress",
                params={"province_code": "06", "edition": "2008", "year": 2022},
            ),
            200,
        )
        rows = [t for t in report["targets"] if t["target_id"] == good["target_id"]]
        return rows[0] if rows else None

    row = await eventually(good_applied, timeout=60, what="the valid target after the bad ones")
    assert (row["unit"], row["province_name"]) == ("per_month", "Bắc Kạn")


async def test_labels_sent_in_nfd_are_stored_in_nfc_over_http_and_the_ingest_topic(
    infra: Infra, reporting: ServiceStack, http: httpx.AsyncClient
) -> None:
    label = VALID["label"]
    decomposed = unicodedata.normalize("NFD", label)
    assert decomposed != label
    over_http = f"nfd-{uuid.uuid4().hex[:8]}"
    body = VALID | {"target_id": over_http, "label": decomposed}
    expect(await http.post(f"{reporting.url('reporting')}/targets", json=body), 201)
    over_ingest = _message(label=decomposed)
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            topics.INGEST_REPORTING,
            json.dumps(over_ingest).encode(),
            key=over_ingest["target_id"].encode(),
        )
    finally:
        await producer.stop()

    async def both_stored() -> dict[str, str] | None:
        report = expect(
            await http.get(
                f"{reporting.url('reporting')}/reports/progress",
                params={"province_code": "06", "edition": "2008", "year": 2022},
            ),
            200,
        )
        labels = {t["target_id"]: t["label"] for t in report["targets"]}
        wanted = (over_http, over_ingest["target_id"])
        return {k: labels[k] for k in wanted} if all(k in labels for k in wanted) else None

    labels = await eventually(both_stored, timeout=60, what="both targets")
    assert labels == {over_http: label, over_ingest["target_id"]: label}
