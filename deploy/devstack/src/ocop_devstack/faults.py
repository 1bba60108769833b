"""Outage scenarios against a stack of its own: a fault is injected into a real process (the
store, the broker or a service is stopped with SIGSTOP or killed with SIGKILL and restarted)
while a burst of events flows, and the figures say what callers and the data went through.

Used by `bench/faults.py` (prints the report) and `tests/e2e/test_faults.py` (asserts that no
event is lost or applied twice). The stack is native: its own Kafka, its own FerretDB and the
four services, so a fault never touches anything else.

Each scenario uses a province and a year of its own. The burst is 500 products rated twice
(0→3★, then 3→4★: 1,000 ProductRated on evaluation's topic), or, when evaluation itself is the
victim, the 1,000 events it consumes for 500 products: each product's ProductRegistered and a
province system's rating on the ingest topic, interleaved. Totals are read from reporting
(ratings counted: one fact per event id) and promotion (newly-starred feed entries): both must
reach exactly the ratings the burst carries once the fault is over. When registry is the
victim, its 500 products are first registered through its API, and it must also end up
showing each one's latest stars (4★).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from ocop_contracts import Event, ProductRated, ProductRegistered, RatingLevel, topics
from ocop_contracts.reference import communes_of
from ocop_devstack.ferretdb import FerretNode, start_ferretdb
from ocop_devstack.kafka import KafkaNode, start_kafka
from ocop_devstack.process import NativeProcess
from ocop_devstack.provision import provision_all
from ocop_devstack.services import ServiceStack
from ocop_platform.auth import ALL_PROVINCES, Role, mint_token
from ocop_platform.settings import DEV_JWT_SECRET

FAULT_SECONDS = 8.0
# The burst is offered at this rate, below what the services keep up with, so that it lasts
# about ten seconds and the fault lands mid-way however fast they handle it (a burst offered
# at once was all counted before the fault struck once reporting inserted a batch's facts at once).
STREAM_RATE = 100  # events/s
SETTLE_TIMEOUT = 240.0
# 2025 provinces, one per scenario, so that feed and report totals never mix.
PROVINCES = ("01", "04", "08", "11", "12", "14", "15", "19", "20", "22", "24", "25")
COMMUNE = "00004"


@dataclass
class FaultStack:
    kafka: KafkaNode
    store: FerretNode
    services: ServiceStack

    @classmethod
    @contextlib.contextmanager
    def running(
        cls, workdir: Path, namespace: str = "faults", env: Mapping[str, str] | None = None
    ) -> Iterator[FaultStack]:
        """The stack; ``env`` adds settings to every service (e.g. OCOP_CLOCK)."""
        provisioned = provision_all()
        store = start_ferretdb(workdir / "ferretdb", provisioned.ferretdb_binary)
        try:
            kafka = start_kafka(workdir / "kafka", provisioned.kafka_libs, num_partitions=3)
            try:
                services = ServiceStack.on_free_ports(
                    kafka.bootstrap, store.mongo_url, workdir / "services", namespace=namespace
                )
                services.extra_env.update(env or {})
                try:
                    services.start_all()
                    yield cls(kafka, store, services)
                finally:
                    services.stop_all()
            finally:
                kafka.stop()
        finally:
            store.stop()


@dataclass
class Fault:
    """What is done to which process: ``stop`` (SIGSTOP … SIGCONT) or ``kill`` (then restart)."""

    target: str  # "store", "broker" or a service name
    action: str  # "stop" or "kill"

    @property
    def name(self) -> str:
        return f"{self.target} {'stopped' if self.action == 'stop' else 'killed'}"


SCENARIOS: tuple[Fault, ...] = (
    Fault("store", "stop"),
    Fault("store", "kill"),
    Fault("broker", "stop"),
    Fault("broker", "kill"),
    Fault("reporting", "kill"),
    Fault("promotion", "kill"),
    Fault("evaluation", "kill"),
    Fault("registry", "kill"),
)


@dataclass
class Report:
    fault: str
    events: int  # ratings the burst carries: what reporting and promotion must end up with
    requests: int = 0
    answered: int = 0
    latencies: list[float] = field(default_factory=list)
    counted_at_fault: int = 0  # by reporting, when the fault struck (must be under events)
    counted: int = 0  # by reporting
    feed_entries: int = 0  # by promotion
    registry_expected: int = 0  # products whose stars registry must show (registry's scenario)
    registry_shown: int = 0
    settle_seconds: float = 0.0

    @property
    def p99_ms(self) -> float:
        if len(self.latencies) < 2:
            return max(self.latencies, default=0.0) * 1000
        return statistics.quantiles(self.latencies, n=100)[98] * 1000

    @property
    def lost(self) -> int:
        missing = max(0, self.events - self.counted) + max(0, self.events - self.feed_entries)
        return missing + max(0, self.registry_expected - self.registry_shown)

    @property
    def double_applied(self) -> int:
        return max(0, self.counted - self.events) + max(0, self.feed_entries - self.events)

    def line(self) -> str:
        return (
            f"{self.fault:<18} {self.answered:>4}/{self.requests:<4} {self.p99_ms:>9.0f} "
            f"{self.lost:>6} {self.double_applied:>7} {self.settle_seconds:>8.1f}"
        )


HEADER = f"{'fault':<18} {'answered':>9} {'p99 ms':>9} {'lost':>6} {'doubled':>7} {'settle s':>8}"


def _token() -> str:
    roles = [Role.PROVINCE_OFFICE, Role.MINISTRY, Role.PROMOTION_TEAM]
    return mint_token(DEV_JWT_SECRET, "faults", roles, [ALL_PROVINCES])


async def run_scenario(stack: FaultStack, fault: Fault, province: str, events: int) -> Report:
    """Burst ``events`` events, inject the fault mid-burst, clear it, and count what arrived."""
    year = 2040 + PROVINCES.index(province)
    report = Report(fault.name, events // 2 if fault.target == "evaluation" else events)
    headers = {"Authorization": f"Bearer {_token()}"}
    async with httpx.AsyncClient(headers=headers, timeout=15.0) as http:
        burst = await _prepare_burst(stack, http, fault, (province, year), events, report)
        probing = asyncio.create_task(_probe_forever(stack, http, province, year, report))
        publishing = asyncio.create_task(burst())
        report.counted_at_fault = await _until_under_way(stack, http, province, year)
        async with _injected(stack, fault):
            await asyncio.sleep(FAULT_SECONDS)
        await publishing
        probing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await probing
        started = time.monotonic()
        await _settle(stack, http, province, year, report.events, report)
        report.settle_seconds = time.monotonic() - started
    return report


# --- the burst ----------------------------------------------------------------------------


async def _prepare_burst(
    stack: FaultStack,
    http: httpx.AsyncClient,
    fault: Fault,
    where: tuple[str, int],
    events: int,
    report: Report,
) -> Callable[[], Coroutine[Any, Any, None]]:
    run = uuid.uuid4().hex[:6]
    (province, year), bootstrap = where, stack.kafka.bootstrap
    if fault.target == "evaluation":
        products = [f"flt-{run}-{i}" for i in range(events // 2)]
        stream: list[tuple[str, Event]] = [
            pair
            for p in products
            for pair in (
                (topics.REGISTRY, _registered(p, province)),
                (topics.INGEST_EVALUATION, province_rating(p, province, year)),
            )
        ]
        return lambda: _publish_to(bootstrap, stream, pause_every=50)
    if fault.target == "registry":
        products = await _register_products(stack, http, province, events // 2)
        report.registry_expected = len(products)
    else:
        products = [f"flt-{run}-{i}" for i in range(events // 2)]
    rated = [burst_rating(p, province, year, v) for v in (1, 2) for p in products]
    return lambda: publish_stream(bootstrap, topics.EVALUATION, rated, pause_every=50)


async def _register_products(
    stack: FaultStack, http: httpx.AsyncClient, province: str, count: int
) -> list[str]:
    """Products registry owns (it ignores ratings of products it does not know)."""
    registry = stack.services.url("registry")
    producer = {
        "name": f"HTX thử sự cố {uuid.uuid4().hex[:6]}",
        "legal_form": "cooperative",
        "province_code": province,
        "commune_code": communes_of(province)[0],
    }
    entity = (await http.post(f"{registry}/entities", json=producer)).raise_for_status().json()
    ids = []
    for i in range(count):
        body = {
            "entity_id": entity["entity_id"],
            "name": f"Sản phẩm thử sự cố số {i}",
            "scoring_set_code": "I.1.a",
            "year": 2026,
        }
        created = (await http.post(f"{registry}/products", json=body)).raise_for_status()
        ids.append(str(created.json()["product_id"]))
    return ids


def burst_rating(product_id: str, province: str, year: int, version: int) -> ProductRated:
    """First rating 0→3★, second 3→4★, as evaluation publishes them."""
    return ProductRated(
        producer="evaluation",
        aggregate_id=product_id,
        aggregate_version=version,
        province_code=province,
        product_id=product_id,
        score=55.0 if version == 1 else 75.0,
        stars=3 if version == 1 else 4,
        previous_stars=0 if version == 1 else 3,
        level=RatingLevel.PROVINCE,
        rule_set_id="qd26-2026",
        rated_on=date(year, 6, 1),
        scoring_set_code="I.1.a",
    )


def _registered(product_id: str, province: str) -> ProductRegistered:
    return ProductRegistered(
        producer="registry",
        aggregate_id=product_id,
        aggregate_version=1,
        province_code=province,
        product_id=product_id,
        product_code=f"{province}-{COMMUNE}-{uuid.uuid4().int % 9999 + 1}-2026",
        name="Sản phẩm thử sự cố",
        entity_id=f"e-{product_id}",
        legal_form="cooperative",
        scoring_set_code="I.3.d",
        commune_code=COMMUNE,
    )


def province_rating(product_id: str, province: str, year: int) -> ProductRated:
    """A province system's 4★ rating of 1 June `year`, as sent on evaluation's ingest topic."""
    return ProductRated(
        producer=f"province-{province}",
        aggregate_id=product_id,
        aggregate_version=1,
        province_code=province,
        product_id=product_id,
        score=72.5,
        stars=4,
        level=RatingLevel.PROVINCE,
        rule_set_id="qd26-2026",
        rated_on=date(year, 6, 1),
        scoring_set_code="I.3.d",
        parts={"A": 30.0, "B": 17.5, "C": 25.0},
        source_rating_id=f"src-{product_id}",
    )


async def publish_stream(
    bootstrap: str, topic: str, events: Sequence[Event], pause_every: int = 0
) -> None:
    await _publish_to(bootstrap, [(topic, event) for event in events], pause_every)


async def _publish_to(
    bootstrap: str, stream: Sequence[tuple[str, Event]], pause_every: int = 0
) -> None:
    # Idempotent and patient: a broker that stops or restarts mid-burst delays the burst but
    # loses or duplicates nothing (request timeout well above the fault's length).
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=True, request_timeout_ms=120_000
    )
    await producer.start()
    try:
        for i, (topic, event) in enumerate(stream, start=1):
            await producer.send(topic, event.to_json_bytes(), key=event.aggregate_id.encode())
            if pause_every and i % pause_every == 0:
                await producer.flush()
                await asyncio.sleep(pause_every / STREAM_RATE)  # a stream, not one burst
        await producer.flush()
    finally:
        await producer.stop()


# --- the fault ----------------------------------------------------------------------------


def _process(stack: FaultStack, target: str) -> NativeProcess:
    if target == "store":
        return stack.store.process
    if target == "broker":
        return stack.kafka.process
    return stack.services.process(target)


@contextlib.asynccontextmanager
async def _injected(stack: FaultStack, fault: Fault) -> AsyncIterator[None]:
    pid = _process(stack, fault.target).pid
    os.kill(pid, signal.SIGSTOP if fault.action == "stop" else signal.SIGKILL)
    try:
        yield
    finally:
        await asyncio.to_thread(_clear, stack, fault, pid)


def _clear(stack: FaultStack, fault: Fault, pid: int) -> None:
    if fault.action == "stop":
        os.kill(pid, signal.SIGCONT)
    elif fault.target == "store":
        stack.store.restart()
    elif fault.target == "broker":
        stack.kafka.restart()
    else:
        stack.services.stop(fault.target)
        stack.services.start(fault.target)


# --- watching -----------------------------------------------------------------------------


async def _probe_forever(
    stack: FaultStack, http: httpx.AsyncClient, province: str, year: int, report: Report
) -> None:
    """What a dashboard and a promotion team see meanwhile: any HTTP answer counts as
    answered (a 503 naming the dependency included); a timeout or refused connection does not."""
    urls = [
        f"{stack.services.url('reporting')}/reports/progress?province_code={province}&year={year}",
        f"{stack.services.url('promotion')}/feed?province_code={province}&page_size=1",
    ]
    while True:
        for url in urls:
            report.requests += 1
            started = time.monotonic()
            try:
                await http.get(url)
            except httpx.HTTPError:
                continue
            report.answered += 1
            report.latencies.append(time.monotonic() - started)
        await asyncio.sleep(0.25)


async def _counts(
    stack: FaultStack, http: httpx.AsyncClient, province: str, year: int
) -> tuple[int, int]:
    reporting = stack.services.url("reporting")
    progress = await http.get(
        f"{reporting}/reports/progress", params={"province_code": province, "year": year}
    )
    feed = await http.get(
        f"{stack.services.url('promotion')}/feed",
        params={"province_code": province, "page_size": 1},
    )
    if progress.status_code != 200 or feed.status_code != 200:
        return -1, -1
    return int(progress.json()["ratings_counted"]), int(feed.json()["total"])


async def _until_under_way(
    stack: FaultStack, http: httpx.AsyncClient, province: str, year: int
) -> int:
    deadline = time.monotonic() + SETTLE_TIMEOUT  # the last fault's rebalance may still run
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            counted, _ = await _counts(stack, http, province, year)
            if counted >= 50:
                return counted
        await asyncio.sleep(0.2)
    raise TimeoutError("the burst never got under way")


async def _settle(
    stack: FaultStack,
    http: httpx.AsyncClient,
    province: str,
    year: int,
    events: int,
    report: Report,
) -> None:
    """Wait until both totals reach the burst (or time runs out), then a little longer, so
    that a late redelivery applied twice would show."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            report.counted, report.feed_entries = await _counts(stack, http, province, year)
            if report.counted >= events and report.feed_entries >= events:
                break
        await asyncio.sleep(0.5)
    await asyncio.sleep(3.0)
    with contextlib.suppress(httpx.HTTPError):
        report.counted, report.feed_entries = await _counts(stack, http, province, year)
    if report.registry_expected:
        report.registry_shown = await _registry_shows(stack, http, province, report)


async def _registry_shows(
    stack: FaultStack, http: httpx.AsyncClient, province: str, report: Report
) -> int:
    """How many of the scenario's products registry shows at their latest stars (4★)."""
    url = f"{stack.services.url('registry')}/products"
    params: dict[str, str | int] = {"province_code": province, "stars": 4, "page_size": 1}
    deadline, shown = time.monotonic() + SETTLE_TIMEOUT, 0
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            shown = int((await http.get(url, params=params)).json()["total"])
            if shown >= report.registry_expected:
                break
        await asyncio.sleep(0.5)
    return shown
