"""National-scale benchmark of reporting: rebuild time and report latency, with raw baselines.

    uv run python bench/reporting_national.py [--products 18000 --producers 10000 --years 5]
                                              [--requests 200]

Generates the events of a national programme (default: 18,000 products and 10,000 producers in
the 34 provinces, five years of ratings and certificates; facts before 1 July 2025 in the 63 old
provinces) on topics of its own, then in the same run:
  raw replay      aiokafka reads the same topics from offset 0 and inserts one document per
                  message (parsed JSON, no domain logic): the floor for a replay
  rebuild         `ocop-reporting-rebuild`'s code path: drop the read models, replay every topic
                  through reporting's handlers
  raw query       one indexed `distinct` on the ratings of a province and year
  reports         GET /reports/overview (once per province), /reports/progress (`--requests`
                  times, round the provinces) and /reports/national (`--requests` times) through
                  the FastAPI app (ASGI, no network): p50, p95 and p99
  figures         the national view's certified and new products in all, and a digest by
                  province: the same line from the code before a change and after it (the data
                  set is the same in every run) says the change kept the figures
`--relay`: one outbox relay pass after the targets are set, as a running service's relay would
make (the app's lifespan, and so its relay, is not started here): the targets' events are
dropped and pulled from their documents, which otherwise keep them and are read with them.
Infrastructure as in the tests: env URLs, Docker, or native processes.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import statistics
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from datetime import time as dtime
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from ocop_contracts import (
    Event,
    ProductRated,
    ProductRegistered,
    RatingLevel,
    TargetMetric,
    topics,
)
from ocop_contracts.events.evaluation import CertificateIssued
from ocop_contracts.events.registry import EntityRegistered
from ocop_contracts.reference import MERGER_DAY, current_provinces, predecessors_of
from ocop_contracts.vocabulary import LegalForm
from ocop_devstack.infra import InfraStack
from ocop_devstack.kafka_bench import raw_replay
from ocop_platform.mongo import create_client
from ocop_platform.outbox import OutboxRecord, OutboxRelay
from ocop_platform.topics import ensure_topics
from ocop_reporting.adapters.facts import RATINGS, fact_collection
from ocop_reporting.adapters.targets import OUTBOX_COLLECTIONS
from ocop_reporting.domain.commands import SetTarget
from ocop_reporting.main import ReportingSettings, create_app
from ocop_reporting.rebuild import rebuild
from ocop_reporting.service_layer.services import ReportingService

FORMS = list(LegalForm)[:5]
SETS = ("I.1.a", "I.3.d", "I.2.b", "II.1.a", "III.1", "IV.1", "VI.1")


def _code_on(new_code: str, day: date, rng: random.Random) -> str:
    """The province code a fact of `day` carries: an old predecessor before the merger."""
    return new_code if day >= MERGER_DAY else rng.choice(predecessors_of(new_code))


def generate(run: str, products: int, producers: int, years: int) -> list[tuple[str, Event]]:
    rng = random.Random(7)
    provinces = list(current_provinces())
    last_year = 2026
    first_year = last_year - years + 1
    events: list[tuple[str, Event]] = []

    def day_in(year: int) -> date:
        return date(year, rng.randint(1, 12), rng.randint(1, 28))

    entity_home: list[tuple[str, str, str]] = []
    for i in range(producers):
        province = provinces[i % len(provinces)]
        day = day_in(rng.randint(first_year, last_year))
        entity_id = f"{run}-e{i}"
        entity_home.append((entity_id, province, str(day.year)))
        events.append(
            (
                topics.REGISTRY,
                EntityRegistered(
                    producer="registry",
                    aggregate_id=entity_id,
                    aggregate_version=1,
                    schema_version=1,  # the province in the edition of its day
                    province_code=_code_on(province, day, rng),
                    occurred_at=datetime.combine(day, dtime(9), tzinfo=UTC),
                    entity_id=entity_id,
                    name=f"Chủ thể {i}",
                    legal_form=rng.choice(FORMS),
                    commune_code=f"{rng.randint(0, 32000):05d}",
                    women_led=rng.random() < 0.3,
                    ethnic_minority_led=rng.random() < 0.15,
                ),
            )
        )
    for i in range(products):
        entity_id, province, _ = entity_home[i % producers]
        year = first_year + i % years
        registered = day_in(year)
        rated = min(registered.replace(month=12, day=28), registered.replace(day=28))
        product_id = f"{run}-p{i}"
        commune = f"{rng.randint(0, 32000):05d}"
        scoring_set = SETS[i % len(SETS)]
        events.append(
            (
                topics.REGISTRY,
                ProductRegistered(
                    producer="registry",
                    aggregate_id=product_id,
                    aggregate_version=1,
                    schema_version=1,  # the province in the edition of its day
                    province_code=_code_on(province, registered, rng),
                    occurred_at=datetime.combine(registered, dtime(9), tzinfo=UTC),
                    product_id=product_id,
                    product_code=f"{province}-{commune}-{i % 99999 + 1}-{year}",
                    name=f"Sản phẩm {i}",
                    entity_id=entity_id,
                    legal_form=LegalForm.COOPERATIVE,
                    scoring_set_code=scoring_set,
                    commune_code=commune,
                ),
            )
        )
        stars = rng.choices([2, 3, 4], weights=[10, 60, 30])[0]
        ratings = [(rated, stars, 0)]
        if stars == 3 and year < last_year and rng.random() < 0.2:  # upgraded a year or two on
            ratings.append((day_in(min(last_year, year + rng.randint(1, 2))), 4, 3))
        for version, (day, now, before) in enumerate(ratings, start=1):
            code = _code_on(province, day, rng)
            events.append(
                (
                    topics.EVALUATION,
                    ProductRated(
                        producer="evaluation",
                        aggregate_id=product_id,
                        aggregate_version=version * 2 - 1,
                        schema_version=1,  # code: of the edition in force on day
                        province_code=code,
                        product_id=product_id,
                        score={2: 45.0, 3: 60.0, 4: 75.0}[now],
                        stars=now,
                        previous_stars=before,
                        level=RatingLevel.PROVINCE,
                        rule_set_id="qd26-2026",
                        round_id=f"{run}-{province}-{day.year}-{1 + (day.month > 6)}",
                        rated_on=day,
                        scoring_set_code=scoring_set,
                        commune_code=commune,
                    ),
                )
            )
            if now >= 3:
                events.append(
                    (
                        topics.EVALUATION,
                        CertificateIssued(
                            producer="evaluation",
                            aggregate_id=product_id,
                            aggregate_version=version * 2,
                            schema_version=1,
                            province_code=code,
                            certificate_id=f"{run}-c{i}-{version}",
                            product_id=product_id,
                            stars=now,
                            level=RatingLevel.PROVINCE,
                            decision_ref=f"{i}/QĐ-UBND",
                            issued_on=day,
                            valid_until=date(day.year + 3, day.month, day.day),
                            rule_set_id="qd26-2026",
                        ),
                    )
                )
    return events


async def publish(bootstrap: str, names: dict[str, str], events: list[tuple[str, Event]]) -> float:
    await ensure_topics(bootstrap, list(names.values()), partitions=3)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
    await producer.start()
    started = time.perf_counter()
    try:
        for topic, event in events:
            await producer.send(
                names[topic], event.to_json_bytes(), key=event.aggregate_id.encode()
            )
        await producer.flush()
    finally:
        await producer.stop()
    return time.perf_counter() - started


def _stats(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)

    def pct(p: float) -> float:
        return ms[min(len(ms) - 1, int(len(ms) * p))]

    return (
        f"p50 {statistics.median(ms):7.1f} ms   p95 {pct(0.95):7.1f} ms"
        f"   p99 {pct(0.99):7.1f} ms   (n={len(ms)})"
    )


class _Dropped:
    """A relay's sink that sends nothing anywhere (the bench's targets' events)."""

    async def send_batch(self, records: Sequence[OutboxRecord]) -> None:
        return None


async def latencies(
    mongo_url: str, db: str, year: int, requests: int, relay: bool = False
) -> dict[str, str]:
    # A slow report is measured, not cut off at the service's deadline (a 503 after 5 s).
    settings = ReportingSettings(mongo_url=mongo_url, mongo_db=db, request_deadline_seconds=300)
    app = create_app(settings)
    service: ReportingService = app.state.reporting
    for code in current_provinces():  # five targets per province for the year
        for metric, minimum in (
            ("certified_products", 100),
            ("upgraded_products", 20),
            ("national_proposals", 2),
            ("new_producers", 50),
            ("evaluation_rounds", 2),
        ):
            await service.set_target(
                SetTarget(
                    target_id=f"bench-{code}-{year}-{metric}",
                    province_code=code,
                    plan_ref="bench",
                    label=metric,
                    metric=TargetMetric(metric),
                    year_from=year,
                    year_to=year,
                    minimum=minimum,
                )
            )
    client = create_client(mongo_url)
    if relay:
        await OutboxRelay(client[db], OUTBOX_COLLECTIONS, _Dropped()).publish_all_pending()
    raw: list[float] = []
    progress: list[float] = []
    overview: list[float] = []
    national: list[float] = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        for code in current_provinces():
            started = time.perf_counter()
            await client[db][fact_collection(RATINGS, code)].distinct(
                "product_id",
                {
                    "current_code": code,
                    "year": year,
                    "stars": {"$gte": 3},
                    "previous_stars": {"$lt": 3},
                },
            )
            raw.append(time.perf_counter() - started)
            started = time.perf_counter()
            (await http.get("/reports/overview", params=_params(code, year))).raise_for_status()
            overview.append(time.perf_counter() - started)
        provinces = list(current_provinces())
        for i in range(requests):
            params = _params(provinces[i % len(provinces)], year)
            started = time.perf_counter()
            (await http.get("/reports/progress", params=params)).raise_for_status()
            progress.append(time.perf_counter() - started)
        body: dict[str, Any] = {}
        for _ in range(requests):
            started = time.perf_counter()
            answer = await http.get("/reports/national", params={"year": year})
            national.append(time.perf_counter() - started)
            body = answer.raise_for_status().json()
    await client.close()
    return {
        "raw query (distinct, 1 province)": _stats(raw),
        "GET /reports/progress (5 targets)": _stats(progress),
        "GET /reports/overview": _stats(overview),
        "GET /reports/national (34 provinces)": _stats(national),
        "national view's figures": _fingerprint(body),
    }


def _fingerprint(national: dict[str, Any]) -> str:
    """The national view's figures in a line: the same data set gives the same line whatever
    the code that read it (compare a run of the code before a change with one after)."""
    rows = sorted(
        (r["province_code"], r["certified"], r["new_certified"]) for r in national["provinces"]
    )
    digest = hashlib.sha1(json.dumps(rows).encode()).hexdigest()[:12]
    certified = sum(r[1] for r in rows)
    return f"certified {certified}, new {sum(r[2] for r in rows)} in all; by province sha1 {digest}"


def _params(code: str, year: int) -> dict[str, str | int]:
    return {"province_code": code, "year": year, "edition": "2025"}


async def main(products: int, producers: int, years: int, requests: int, relay: bool) -> None:
    run = f"b{uuid.uuid4().hex[:6]}"
    canonical = (topics.REGISTRY, topics.EVALUATION, topics.PROMOTION)
    names = {t: f"bench.{run}.{t}" for t in canonical}
    db = f"ocop_bench_{run}_reporting"
    with InfraStack(kafka_partitions=3) as infra:
        print(f"generating {products} products, {producers} producers, {years} years…", flush=True)
        events = generate(run, products, producers, years)
        published = await publish(infra.kafka_bootstrap, names, events)
        print(f"published {len(events)} events in {published:.1f}s", flush=True)
        raw = await raw_replay(
            infra.kafka_bootstrap, infra.mongo_url, f"{db}_raw", list(names.values())
        )
        started = time.perf_counter()
        counts = await rebuild(
            infra.kafka_bootstrap, infra.mongo_url, db, topic_names=names, every=10000
        )
        rebuilt = time.perf_counter() - started
        figures = await latencies(infra.mongo_url, db, 2026, requests, relay)
        client = create_client(infra.mongo_url)
        await client.drop_database(db)
        await client.close()
    n = len(events)
    print(
        f"\n{n} events ({products} products, {producers} producers, 34 provinces, {years} years);"
        f" infrastructure {infra.mode}" + ("; the targets' events relayed" if relay else "")
    )
    print(f"  raw replay (insert per message)   {raw:7.1f} s   {n / raw:7.0f} events/s")
    print(
        f"  rebuild (reporting handlers)      {rebuilt:7.1f} s   {n / rebuilt:7.0f} events/s"
        f"   ({counts['applied']} applied, {counts['rejected']} rejected)"
    )
    print(f"  rebuild / raw replay time         {rebuilt / raw:7.2f}")
    for name, line in figures.items():
        print(f"  {name:<37} {line}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--products", type=int, default=18000)
    parser.add_argument("--producers", type=int, default=10000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200, help="progress and national requests")
    parser.add_argument(
        "--relay", action="store_true", help="relay the targets' events before the reports"
    )
    args = parser.parse_args()
    asyncio.run(main(args.products, args.producers, args.years, args.requests, args.relay))
