"""National benchmark (issue #9): the nation's OCOP data through the four real services.

    uv run python bench/national.py [--scale 1.0] [--rate 100] [--seconds 10] [--requests 200]

On a stack of its own (FerretDB, Kafka and the four services started through their entrypoints,
business date pinned to the data set's last day, 31 Dec 2025), it loads the national data set
of ocop_devstack.national (at --scale 1: 18,267 products of 10,410 producers in the 34
provinces, five years of ratings, certificates, renewals, expiries and placements) through the
services' own APIs and ingest topics (how: ocop_devstack.national_load), printing progress, then
prints in one run:

  pipeline        the first ratings of every product published at once on evaluation's ingest
                  topic, until reporting has handled every rating evaluation re-emitted
                  (evaluation's checks, outbox, relay, Kafka, reporting's facts and summaries;
                  registry and promotion consume them too), against the raw baseline: the same
                  payloads produced to a fresh topic and consumed with aiokafka ``getmany`` and
                  one ``insert_many`` per batch (batches of 10, the consumers' default)
  rating latency  ratings (0→3★) published on evaluation's topic at --rate per second for
                  --seconds: until promotion records the feed entry (its ``recorded_at``) and
                  until reporting's progress report counts it (polled every 0.1 s)
  reports         GET /reports/progress (rotating over the provinces, five targets each) and
                  GET /reports/national, --requests each, one after another, over HTTP
  rebuild         reporting's rebuild (ocop_reporting.rebuild, as `ocop-reporting-rebuild`) of
                  its live database from offset 0, against a raw replay of the same topics (one
                  insert per message); the national view must be the same before and after
  peak RSS        VmHWM of each service process
and each figure against its target in the issue. Nothing is asserted.

    --quick     stop loading after the pipeline (registrations and first ratings: a few
                minutes at --scale 0.05), then measure only the rating latency
    --profile   also print, for the pipeline and the rating latency, the store commands each
                service sent (count, statements, seconds until the reply) by shape, the largest
                first (ocop_platform.command_profile)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from ocop_contracts import topics
from ocop_contracts.clock import utc_now
from ocop_contracts.reference import current_provinces
from ocop_devstack import national_load as plan
from ocop_devstack.faults import FaultStack, burst_rating
from ocop_devstack.kafka_bench import KafkaWatch, from_the_start, raw_batches, raw_replay
from ocop_devstack.national import NationalDataSet, generate
from ocop_devstack.services import SERVICES
from ocop_platform.auth import ALL_PROVINCES, Role, mint_token
from ocop_platform.command_profile import PROFILE_ENV
from ocop_platform.settings import DEV_JWT_SECRET
from ocop_reporting.rebuild import rebuild

NAMESPACE = "national"
SERVICE_ENV = {
    "OCOP_CLOCK": plan.BENCH_DAY.isoformat(),
    # The scheduler runs once the certificates are in (POST /admin/scheduler/run), not mid-load.
    "OCOP_SCHEDULER_SECONDS": "86400",
}
CONSUMES: dict[str, tuple[str, ...]] = {
    "registry": (topics.EVALUATION, topics.INGEST_REGISTRY),
    "evaluation": (topics.REGISTRY, topics.INGEST_EVALUATION),
    "promotion": (topics.REGISTRY, topics.EVALUATION),
    "reporting": (topics.REGISTRY, topics.EVALUATION, topics.PROMOTION, topics.INGEST_REPORTING),
}
FACT_TOPICS = [topics.REGISTRY, topics.EVALUATION, topics.PROMOTION]
RETRIED = {409, 429, 503}  # a concurrent change, or a store busy past the request deadline
# Requests in flight per service. Each service holds one store connection, so more only queue;
# a request queued past the deadline (5 s) is answered 503 and retried, which repeats a write
# that is not idempotent (a producer, a rating, a listing): those go two at a time.
CONCURRENCY = 8  # certificates (one per number), targets (one per id), reads
CAREFUL = 2
REPORT_YEAR = 2025
PROBE_YEAR = 2030  # the latency probe's ratings count in a year of their own
CONSUMER_BATCH = 10  # OCOP_CONSUMER_BATCH_SIZE's default
STALL_SECONDS = 600.0


def say(message: str) -> None:
    print(f"[national] {message}", flush=True)


class Progress:
    """A stage's progress, printed every few seconds and once at the end."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, total, 0
        self.started = self.printed = time.monotonic()

    def advance(self, n: int = 1) -> None:
        self.done += n
        if time.monotonic() - self.printed >= 5:
            self.printed = time.monotonic()
            say(f"  {self.label}: {self.done:,}/{self.total:,} ({self.rate():,.0f}/s)")

    def rate(self) -> float:
        return self.done / max(time.monotonic() - self.started, 1e-6)

    def finish(self, note: str = "") -> float:
        seconds = time.monotonic() - self.started
        say(f"  {self.label}: {self.done:,} in {seconds:,.1f} s ({self.rate():,.0f}/s){note}")
        return seconds


@dataclass
class Run:
    stack: FaultStack
    http: httpx.AsyncClient
    watch: KafkaWatch
    data: NationalDataSet
    ids: dict[str, str] = field(default_factory=dict)  # data set's product id → registry's
    stages: dict[str, float] = field(default_factory=dict)  # seconds per loading stage
    targets: list[plan.Target] = field(default_factory=list)
    quick: bool = False
    profile: Path | None = None  # where the services write their command profiles

    @property
    def bootstrap(self) -> str:
        return self.stack.kafka.bootstrap

    @property
    def mongo_url(self) -> str:
        return self.stack.store.mongo_url

    def url(self, service: str, path: str) -> str:
        return f"{self.stack.services.url(service)}{path}"

    def group(self, service: str) -> str:
        return f"{self.stack.services.env_for(service)['OCOP_CONSUMER_GROUP_PREFIX']}.{service}"

    def database(self, service: str) -> str:
        return self.stack.services.env_for(service)["OCOP_MONGO_DB"]


# --- sending -----------------------------------------------------------------------------------


async def request(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    retry: bool = True,
    seen: Counter[int] | None = None,
    **kw: Any,
) -> httpx.Response:
    """One request, retried while the service answers busy (409, 429, 503) or not at all;
    ``seen`` counts every attempt's answer (0: no answer)."""
    attempts = 10 if retry else 1
    for attempt in range(attempts):
        try:
            response = await http.request(method, url, **kw)
        except httpx.TransportError:
            if seen is not None:
                seen[0] += 1
            if attempt == attempts - 1:
                raise
        else:
            if seen is not None:
                seen[response.status_code] += 1
            if response.status_code not in RETRIED or attempt == attempts - 1:
                return response
        await asyncio.sleep(min(5.0, 0.2 * 2**attempt))
    raise AssertionError("unreachable")


async def post_all(
    run: Run,
    label: str,
    url: str,
    bodies: Sequence[dict[str, Any]],
    concurrency: int = CAREFUL,
    headers: Sequence[dict[str, str]] = (),
) -> list[dict[str, Any]]:
    """POST every body (with its ``headers``, if given), ``concurrency`` at a time; prints the
    answers by status, how many attempts were retried, and the first refusals; returns the
    bodies answered 409 (after a retry: perhaps written by the attempt a deadline cut short)."""
    progress, statuses, attempts = Progress(label, len(bodies)), Counter[int](), Counter[int]()
    queue, conflicts = iter(zip(bodies, headers or [{}] * len(bodies), strict=True)), []

    async def worker() -> None:
        for body, extra in queue:
            response = await request(run.http, "POST", url, json=body, headers=extra, seen=attempts)
            statuses[response.status_code] += 1
            if response.status_code == 409:
                conflicts.append(body)
            if response.status_code >= 400 and statuses[response.status_code] <= 3:
                say(f"  {label}: {response.status_code} {response.text[:300]}")
            progress.advance()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    retried = sum(attempts.values()) - len(bodies)
    note = f"; answers {dict(sorted(statuses.items()))}, {retried} attempts retried"
    run.stages[label] = progress.finish(note)
    return conflicts


async def publish(bootstrap: str, topic: str, payloads: Sequence[tuple[str, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        for key, payload in payloads:
            await producer.send(topic, payload, key=key.encode())
        await producer.flush()
    finally:
        await producer.stop()


async def wait_for(label: str, check: Callable[[], Awaitable[tuple[bool, str]]]) -> float:
    """Poll ``check`` (done, what it sees) until done; prints what it sees every 5 s. Gives up
    when what it sees has not changed for STALL_SECONDS."""
    started = printed = changed = time.monotonic()
    seen = ""
    while True:
        done, status = await check()
        if done:
            return time.monotonic() - started
        if status != seen:
            seen, changed = status, time.monotonic()
        if time.monotonic() - printed >= 5:
            printed = time.monotonic()
            say(f"  {label}: {status} ({time.monotonic() - started:,.0f} s)")
        if time.monotonic() - changed > STALL_SECONDS:
            raise TimeoutError(f"{label}: still {status} after {STALL_SECONDS:.0f} s")
        await asyncio.sleep(0.25)


async def lags(run: Run, services: Sequence[str] = SERVICES) -> dict[str, int]:
    return {s: await run.watch.lag(run.group(s), CONSUMES[s]) for s in services}


async def settle(run: Run, label: str) -> float:
    """Until every consumer has handled everything and the relays publish nothing more."""
    sizes: list[int] = []

    async def quiet() -> tuple[bool, str]:
        behind = await lags(run)
        sizes.append(await run.watch.size([*topics.CANONICAL, *topics.INGEST]))
        still = len(sizes) >= 8 and len(set(sizes[-8:])) == 1  # two seconds without a record
        return not any(behind.values()) and still, f"behind {plan.tally(behind)}"

    seconds = await wait_for(label, quiet)
    say(f"  {label}: every consumer caught up in {seconds:,.1f} s")
    run.stages[label] = seconds
    return seconds


# --- producers and products ----------------------------------------------------------------------


async def import_province(run: Run, province: str, rows: bytes, progress: Progress) -> None:
    files = {"file": (f"ocop-{province}.csv", rows, "text/csv")}
    url = run.url("registry", "/imports")
    started = await request(run.http, "POST", url, files=files, data={"province_code": province})
    job = started.raise_for_status().json()
    while job["status"] not in ("done", "rejected", "failed"):
        await asyncio.sleep(0.5)
        job = (await request(run.http, "GET", f"{url}/{job['job_id']}")).raise_for_status().json()
    if job["status"] != "done":
        raise RuntimeError(f"import of province {province}: {job['status']}: {job['message']}")
    progress.advance(job["imported_rows"])


async def load_register(run: Run) -> None:
    provinces = plan.by_province(run.data.products)
    say(f"registry: importing {len(run.data.products):,} products, one CSV per province")
    progress = Progress("import rows", len(run.data.products))
    for province, products in provinces.items():
        await import_province(run, province, plan.import_csv(products), progress)
    run.stages["import"] = progress.finish()
    orphans = plan.producers_without_products(run.data)
    await post_all(
        run,
        "producers without products",
        run.url("registry", "/entities"),
        [plan.entity_body(p) for p in orphans],
        headers=[plan.entity_headers(p) for p in orphans],  # a retry registers nothing more
    )
    await learn_product_ids(run)


async def learn_product_ids(run: Run) -> None:
    """Registry gives products its own ids: read them from its ProductRegistered events (which
    also shows how fast its relay publishes)."""
    by_name = {p.name: p.product_id for p in run.data.products}
    expected = len(run.data.producers) + len(run.data.products)
    progress = Progress("registry events published", expected)
    async for event in read_topic(run.bootstrap, topics.REGISTRY, expected):
        progress.advance()
        if event.get("type") == "ProductRegistered" and event["name"] in by_name:
            run.ids[by_name[event["name"]]] = event["product_id"]
    run.stages["registry relay"] = progress.finish()
    missing = len(by_name) - len(run.ids)
    if missing:
        raise RuntimeError(f"{missing} products never appeared on {topics.REGISTRY}")


async def read_topic(bootstrap: str, topic: str, count: int) -> AsyncIterator[dict[str, Any]]:
    """The first ``count`` events of a topic, waiting for them to be published."""
    consumer = from_the_start(bootstrap, [topic])
    await consumer.start()
    try:
        seen, last_new = 0, time.monotonic()
        while seen < count:
            batch = await consumer.getmany(timeout_ms=1000, max_records=2000)
            for records in batch.values():
                for record in records:
                    seen += 1
                    last_new = time.monotonic()
                    yield plan.parse(record.value)
            if time.monotonic() - last_new > STALL_SECONDS:
                raise TimeoutError(f"{topic}: {seen} of {count} events after a long silence")
    finally:
        await consumer.stop()


# --- ratings, certificates, scheduler, placements -------------------------------------------


async def rate_by_http(run: Run, steps: Sequence[plan.RatingStep], label: str) -> None:
    bodies = [plan.rating_body(s, run.ids[s.product.product_id]) for s in steps]
    await post_all(run, label, run.url("evaluation", "/ratings"), bodies)


def ingest_payloads(run: Run, steps: Sequence[plan.RatingStep]) -> list[tuple[str, bytes]]:
    events = [plan.ingest_rating(s, run.ids[s.product.product_id]) for s in steps]
    return [(e.aggregate_id, e.to_json_bytes()) for e in events]


async def ingest(run: Run, steps: Sequence[plan.RatingStep], label: str) -> float:
    """Publish ratings on the ingest topic; seconds until evaluation re-emitted every one and
    reporting handled them (the measured pipeline). The time evaluation alone took is kept in
    ``run.stages`` as "<label>: evaluation"."""
    before = await run.watch.size([topics.EVALUATION])
    started = time.monotonic()
    await publish(run.bootstrap, topics.INGEST_EVALUATION, ingest_payloads(run, steps))
    say(f"  {label}: {len(steps):,} published on {topics.INGEST_EVALUATION}")

    async def handled() -> tuple[bool, str]:
        emitted = await run.watch.size([topics.EVALUATION]) - before
        if emitted >= len(steps):
            run.stages.setdefault(f"{label}: evaluation", time.monotonic() - started)
        behind = await run.watch.lag(run.group("reporting"), [topics.EVALUATION])
        status = f"{emitted:,} re-emitted, reporting {behind:,} behind"
        return emitted >= len(steps) and behind == 0, status

    await wait_for(label, handled)
    seconds = run.stages[label] = time.monotonic() - started
    say(f"  {label}: {len(steps):,} in {seconds:,.1f} s ({len(steps) / seconds:,.0f}/s)")
    return seconds


async def load_round(run: Run, number: int, steps: Sequence[plan.RatingStep]) -> None:
    name = "first ratings" if number == 0 else "renewals"
    by_route = Counter(s.route.value for s in steps)
    say(f"evaluation: {name} ({plan.tally(by_route)})")
    await rate_by_http(
        run, [s for s in steps if s.route is not plan.Route.INGEST], f"{name} ≥90 points (HTTP)"
    )
    await settle(run, f"{name}: settle before the ingest")
    ingested = [s for s in steps if s.route is plan.Route.INGEST]
    if number == 0:
        await measure_pipeline(run, ingested)
        if run.quick:
            return
    else:
        await ingest(run, ingested, f"{name} ingested")
    await wait_for(f"{name}: evaluation", lambda: caught_up(run, "evaluation"))
    bodies = [plan.certificate_body(s, run.ids[s.product.product_id]) for s in steps if s.certified]
    url = run.url("evaluation", "/certificates")
    conflicts = await post_all(run, f"{name}: certificates", url, bodies, CONCURRENCY)
    await check_certificates(run, conflicts)


async def check_certificates(run: Run, conflicts: Sequence[dict[str, Any]]) -> None:
    """A certificate answered 409 "exists" after a retry: was it written by the attempt the
    request deadline cut short, or only its number taken?"""
    missing = []
    for body in conflicts:
        url = run.url("evaluation", f"/certificates/{body['certificate_id']}")
        if (await request(run.http, "GET", url)).status_code != 200:
            missing.append(body["certificate_id"])
    if conflicts:
        say(f"  of {len(conflicts)} certificates answered 409, {len(missing)} cannot be read")
        if missing:
            say(f"  e.g. {', '.join(missing[:5])}: number taken, certificate never written")


async def caught_up(run: Run, service: str) -> tuple[bool, str]:
    behind = (await lags(run, [service]))[service]
    return behind == 0, f"{service} {behind:,} behind"


async def run_scheduler(run: Run) -> None:
    """Renewals due and expiries as of the pinned day, one bounded batch a call: ask again while
    the answer says more is due (a 503 past the request deadline keeps what it wrote: ask again
    too). The events it emitted are counted on evaluation's topic."""
    url, before = (
        run.url("evaluation", "/admin/scheduler/run"),
        await run.watch.size([topics.EVALUATION]),
    )
    started, answers = time.monotonic(), Counter[int]()
    while answers[503] < 200:
        response = await request(run.http, "POST", url, retry=False)
        answers[response.status_code] += 1
        if response.status_code == 200 and not response.json()["more"]:
            break
        if sum(answers.values()) % 10 == 0:
            say(f"  scheduler: {sum(answers.values())} passes, answers {dict(answers)}")
    run.stages["scheduler"] = time.monotonic() - started
    emitted = await run.watch.size([topics.EVALUATION]) - before
    say(
        f"evaluation scheduler on {plan.BENCH_DAY}: {emitted:,} renewals due and expiries "
        f"(passes answered {dict(sorted(answers.items()))})"
    )


async def load(run: Run) -> None:
    data = run.data
    say(
        f"loading {len(data.products):,} products, {len(data.producers):,} producers "
        f"(about {data.events():,} domain events)"
    )
    started = time.monotonic()
    await load_register(run)
    await settle(run, "registrations: every service")
    for number, steps in enumerate(plan.rounds(data)):
        await load_round(run, number, steps)
        if run.quick:
            return
    await run_scheduler(run)
    await settle(run, "ratings and certificates: every service")
    placed = plan.listings(data)
    bodies = [plan.listing_body(p, run.ids[p.product_id]) for p in placed]
    await post_all(run, "online listings", run.url("promotion", "/listings"), bodies)
    await settle(run, "listings: every service")
    run.stages["whole load"] = time.monotonic() - started
    sizes = {t: await run.watch.size([t]) for t in [*topics.CANONICAL, topics.INGEST_EVALUATION]}
    say(f"loaded in {run.stages['whole load']:,.0f} s; events on the topics: {plan.tally(sizes)}")


# --- the figures ------------------------------------------------------------------------------


async def measure_pipeline(run: Run, steps: Sequence[plan.RatingStep]) -> None:
    payloads = [payload for _, payload in ingest_payloads(run, steps)]
    raw = await raw_batches(run.bootstrap, run.mongo_url, payloads, CONSUMER_BATCH)
    say(f"  raw baseline: {len(payloads):,} in {raw:,.1f} s ({len(payloads) / raw:,.0f}/s)")
    before = await command_totals(run)
    seconds = await ingest(run, steps, "first ratings ingested")
    await print_command_profile(run, "the pipeline", before, seconds)
    pipeline, baseline = len(steps) / seconds, len(payloads) / raw
    evaluation = len(steps) / run.stages["first ratings ingested: evaluation"]
    print(f"\npipeline: {len(steps):,} province ratings, ingest topic → evaluation → reporting")
    print(f"  raw getmany + insert_many per batch of {CONSUMER_BATCH}  {baseline:9,.0f} events/s")
    print(f"  evaluation's ingest (checked, re-emitted)     {evaluation:9,.0f} events/s")
    print(f"  pipeline (to reporting's read model)          {pipeline:9,.0f} events/s")
    print(
        f"  pipeline / raw                                {pipeline / baseline:9.3f}\n", flush=True
    )
    run.targets.append(plan.Target("pipeline / raw baseline", pipeline / baseline, 0.5, "×", "≥"))


Totals = dict[tuple[str, str], dict[str, float]]  # (service, command shape) → its totals


async def command_totals(run: Run) -> Totals:
    """What each service's command profile holds now (empty without --profile)."""
    if run.profile is None:
        return {}
    await asyncio.sleep(1.5)  # each process rewrites its file every second
    totals: Totals = {}
    for service in SERVICES:
        path = run.profile / f"{run.stack.services.process(service).pid}.json"
        if path.exists():
            for shape, figures in json.loads(path.read_text()).items():
                totals[(service, shape)] = figures
    return totals


async def print_command_profile(
    run: Run, phase: str, before: Totals, seconds: float, top: int = 25
) -> None:
    if run.profile is None:
        return
    after = await command_totals(run)
    rows = []
    for key, figures in after.items():
        earlier = before.get(key, {})
        delta = {name: value - earlier.get(name, 0) for name, value in figures.items()}
        if delta["commands"]:
            rows.append((key, delta))
    rows.sort(key=lambda row: -row[1]["seconds"])
    by_service: dict[str, float] = dict.fromkeys(SERVICES, 0.0)
    for (service, _), delta in rows:
        by_service[service] += delta["seconds"]
    print(f"\nstore commands during {phase} ({seconds:,.1f} s), by seconds until the reply:")
    print("  " + ", ".join(f"{s} {v:,.1f} s" for s, v in by_service.items()))
    print(f"  {'service':<11}{'commands':>9}{'stmts':>8}{'seconds':>9}{'ms/cmd':>8}  shape")
    for (service, shape), delta in rows[:top]:
        per = 1000 * delta["seconds"] / delta["commands"]
        print(
            f"  {service:<11}{delta['commands']:9,.0f}{delta['statements']:8,.0f}"
            f"{delta['seconds']:9.1f}{per:8.1f}  {shape}"
        )


async def set_targets(run: Run) -> None:
    metrics = {
        "certified_products": 100,
        "upgraded_products": 20,
        "national_proposals": 2,
        "new_producers": 50,
        "evaluation_rounds": 2,
    }
    bodies = [
        {
            "target_id": f"nat-{code}-{metric}",
            "province_code": code,
            "plan_ref": "bench",
            "label": metric,
            "metric": metric,
            "year_from": REPORT_YEAR,
            "year_to": REPORT_YEAR,
            "minimum": minimum,
        }
        for code in sorted(current_provinces())
        for metric, minimum in metrics.items()
    ]
    await post_all(run, "targets", run.url("reporting", "/targets"), bodies, CONCURRENCY)


async def timed_gets(run: Run, urls: Sequence[str]) -> list[float]:
    seconds = []
    for url in urls:
        started = time.perf_counter()
        (await run.http.get(url)).raise_for_status()
        seconds.append(time.perf_counter() - started)
    return seconds


async def measure_reports(run: Run, requests: int) -> None:
    await set_targets(run)
    provinces = sorted(current_provinces())
    progress = [
        run.url(
            "reporting",
            f"/reports/progress?province_code={provinces[i % len(provinces)]}&year={REPORT_YEAR}",
        )
        for i in range(requests)
    ]
    national = [run.url("reporting", f"/reports/national?year={REPORT_YEAR}")] * requests
    print(f"\nreports, {requests} requests each (HTTP, one at a time):")
    for name, urls in (("province progress", progress), ("national view", national)):
        samples = [s * 1000 for s in await timed_gets(run, urls)]
        p50, p99 = plan.percentile(samples, 50), plan.percentile(samples, 99)
        print(f"  {name:<20} p50 {p50:8.1f} ms   p99 {p99:8.1f} ms", flush=True)
        run.targets.append(plan.Target(f"{name} p99", p99, 100, "ms", "<"))


@dataclass
class Probe:
    province: str
    product_ids: list[str]
    sent: list[datetime] = field(default_factory=list)
    polls: list[tuple[float, int]] = field(default_factory=list)


async def send_at_rate(run: Run, probe: Probe, rate: float) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=run.bootstrap, enable_idempotence=True)
    await producer.start()
    started = time.monotonic()
    try:
        for i, product_id in enumerate(probe.product_ids):
            await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
            event = burst_rating(product_id, probe.province, PROBE_YEAR, 1)
            probe.sent.append(utc_now())
            await producer.send(topics.EVALUATION, event.to_json_bytes(), key=product_id.encode())
        await producer.flush()
    finally:
        await producer.stop()


async def poll_report(run: Run, probe: Probe, until: asyncio.Event) -> None:
    url = run.url("reporting", "/reports/progress")
    params: dict[str, str | int] = {"province_code": probe.province, "year": PROBE_YEAR}
    while not until.is_set():
        with contextlib.suppress(httpx.HTTPError):
            response = await run.http.get(url, params=params)
            counted = int(response.json()["ratings_counted"])
            probe.polls.append((utc_now().timestamp(), counted))
            if counted >= len(probe.product_ids):
                return
        await asyncio.sleep(0.1)


async def feed_delays(run: Run, probe: Probe) -> list[float | None]:
    async def one(product_id: str, sent: datetime) -> float | None:
        response = await request(run.http, "GET", run.url("promotion", f"/feed/{product_id}:1"))
        if response.status_code != 200 or not response.json().get("recorded_at"):
            return None
        recorded = datetime.fromisoformat(response.json()["recorded_at"])
        return plan.delay_seconds(sent, recorded)

    limit = asyncio.Semaphore(CONCURRENCY)

    async def bounded(product_id: str, sent: datetime) -> float | None:
        async with limit:
            return await one(product_id, sent)

    return list(await asyncio.gather(*map(bounded, probe.product_ids, probe.sent)))


async def measure_rating_latency(run: Run, rate: float, seconds: float) -> None:
    smallest = min(run.data.province_sizes, key=lambda code: run.data.province_sizes[code])
    tag = uuid.uuid4().hex[:6]
    probe = Probe(smallest, [f"lat-{tag}-{i}" for i in range(round(rate * seconds))])
    done = asyncio.Event()
    before, started = await command_totals(run), time.monotonic()
    polling = asyncio.create_task(poll_report(run, probe, done))
    await send_at_rate(run, probe, rate)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(polling), timeout=120)
    done.set()
    await polling
    await settle(run, "latency probe: every service")
    await print_command_profile(run, "the latency probe", before, time.monotonic() - started)
    feed = await feed_delays(run, probe)
    sent = [s.timestamp() for s in probe.sent]
    report = plan.count_latencies(sent, probe.polls)
    both = [max(f, r) for f, r in zip(feed, report, strict=False) if f is not None]
    print(f"\nrating → feed entry and report, {len(sent):,} ratings at {rate:g}/s offered:")
    seen = [f for f in feed if f is not None]
    print_latencies({"feed entry": seen, "report": report, "both": both}, len(sent))
    p99 = plan.percentile(both, 99)
    run.targets.append(plan.Target("rating → feed + report p99", p99, 2, "s", "<"))


def print_latencies(samples: dict[str, list[float]], sent: int) -> None:
    for name, seconds in samples.items():
        ms = [s * 1000 for s in seconds]
        p50, p99 = plan.percentile(ms, 50), plan.percentile(ms, 99)
        print(f"  {name:<11} p50 {p50:8.0f} ms   p99 {p99:8.0f} ms   ({len(ms):,} of {sent:,})")


async def measure_rebuild(run: Run) -> None:
    national = run.url("reporting", f"/reports/national?year={REPORT_YEAR}")
    before = (await run.http.get(national)).json()
    say(f"raw replay of {plan.tally({t: await run.watch.size([t]) for t in FACT_TOPICS})}")
    raw = await raw_replay(run.bootstrap, run.mongo_url, f"ocop_{NAMESPACE}_raw", FACT_TOPICS)
    say(f"  raw replay: {raw:,.1f} s; rebuilding reporting's database from offset 0")
    started = time.monotonic()
    counts = await rebuild(run.bootstrap, run.mongo_url, run.database("reporting"), every=10_000)
    rebuilt = time.monotonic() - started
    after = (await run.http.get(national)).json()
    events = await run.watch.size(FACT_TOPICS)
    print(f"\nrebuild of reporting from offset 0, {events:,} events:")
    print(f"  raw replay (insert per message)  {raw:8.1f} s  {events / raw:7,.0f} events/s")
    print(
        f"  rebuild                          {rebuilt:8.1f} s  {events / rebuilt:7,.0f} events/s"
        f"  ({plan.tally(counts)})"
    )
    print(f"  national view the same after the rebuild: {'yes' if before == after else 'NO'}")
    run.targets.append(plan.Target("rebuild / raw replay time", rebuilt / raw, 2, "×", "≤"))


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return plan.status_kib(status, "VmHWM") / 1024


def report_rss(run: Run) -> None:
    print("\npeak RSS (VmHWM) of each service:")
    for service in SERVICES:
        mb = peak_rss_mb(run.stack.services.process(service).pid)
        print(f"  {service:<11} {mb:7.0f} MB")
        run.targets.append(plan.Target(f"{service} peak RSS", mb, 400, "MB", "<"))


# --- the run --------------------------------------------------------------------------------


def token() -> str:
    roles = [Role.ADMIN, Role.MINISTRY, Role.PROVINCE_OFFICE, Role.PROMOTION_TEAM]
    return mint_token(DEV_JWT_SECRET, "national-bench", roles, [ALL_PROVINCES])


async def measure(stack: FaultStack, args: argparse.Namespace) -> None:
    data = generate(args.scale)
    headers = {"Authorization": f"Bearer {token()}"}
    limits = httpx.Limits(max_connections=2 * CONCURRENCY)
    async with (
        httpx.AsyncClient(headers=headers, timeout=60.0, limits=limits) as http,
        KafkaWatch(stack.kafka.bootstrap) as watch,
    ):
        run = Run(stack, http, watch, data, quick=args.quick)
        run.profile = args.profile_dir
        await load(run)
        if args.quick:
            await measure_rating_latency(run, args.rate, args.seconds)
            print_targets(run, args)
            return
        await measure_reports(run, args.requests)
        await measure_rating_latency(run, args.rate, args.seconds)
        await measure_rebuild(run)
        report_rss(run)
    print(
        f"\nnational set at scale {args.scale:g}: {len(data.products):,} products, "
        f"{len(data.producers):,} producers; loading took {run.stages['whole load']:,.0f} s"
    )
    print_targets(run, args)


def print_targets(run: Run, args: argparse.Namespace) -> None:
    print(
        "where the loading time went (s): "
        + plan.tally({stage: round(seconds) for stage, seconds in run.stages.items()})
    )
    print(
        f"machine load average (1 min) at the start and the end: {args.load:.1f}, "
        f"{os.getloadavg()[0]:.1f} (2 cores; other work shares them)"
    )
    print("against the issue's targets:")
    for target in run.targets:
        print(target.line())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the national set")
    parser.add_argument("--rate", type=float, default=100.0, help="ratings/s offered (latency)")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long they are offered")
    parser.add_argument("--requests", type=int, default=200, help="requests per report")
    parser.add_argument("--quick", action="store_true", help="pipeline and latency only")
    parser.add_argument("--profile", action="store_true", help="store commands by shape")
    args = parser.parse_args()
    args.load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="ocop-national-") as tmp:
        args.profile_dir = Path(tmp) / "profile" if args.profile else None
        env = {**SERVICE_ENV, PROFILE_ENV: str(args.profile_dir)} if args.profile else SERVICE_ENV
        with FaultStack.running(Path(tmp), namespace=NAMESPACE, env=env) as stack:
            asyncio.run(measure(stack, args))


if __name__ == "__main__":
    main()
