"""`ocop-dev up`: the whole system on this machine: Kafka, the document store, the four
services and demo data, with the URLs to open. Ctrl-C stops everything it started."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ocop_devstack import demo, demo_fixtures
from ocop_devstack.cli import Command
from ocop_devstack.config import workspace_root
from ocop_devstack.infra import InfraStack
from ocop_devstack.process import port_open
from ocop_devstack.services import DEFAULT_PORTS, SERVICES, ServiceStack
from ocop_platform.auth import ALL_PROVINCES, Role, mint_token
from ocop_platform.settings import ServiceSettings

# What each service was given to connect, written beside its log for command-line tools run
# next to the stack: `ocop-reporting-rebuild` finds .ocop/run/services/reporting.env by itself.
CONNECTION_SETTINGS = ("OCOP_KAFKA_BOOTSTRAP", "OCOP_MONGO_URL", "OCOP_MONGO_DB")


def write_settings_files(env_of: Mapping[str, Mapping[str, str]], directory: Path) -> list[Path]:
    """``<service>.env`` (KEY=value lines) with each service's connection settings."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for service, env in env_of.items():
        path = directory / f"{service}.env"
        path.write_text("".join(f"{k}={env[k]}\n" for k in CONNECTION_SETTINGS), encoding="utf-8")
        written.append(path)
    return written


def commands() -> list[Command]:
    return [Command("up", "run Kafka, the store, all four services and demo data", _options, _up)]


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-demo", action="store_true", help="start empty")
    parser.add_argument(
        "--exit-after-demo", action="store_true", help="print the report, then stop (smoke test)"
    )
    parser.add_argument(
        "--run-dir", type=Path, default=None, help="data and logs (default: .ocop/run in the clone)"
    )


def _up(args: argparse.Namespace) -> int:
    busy = [
        f"{name}:{port}" for name, port in DEFAULT_PORTS.items() if port_open("127.0.0.1", port)
    ]
    if busy:
        raise RuntimeError(f"ports already in use ({', '.join(busy)}); is another stack running?")
    run_dir = (args.run_dir or workspace_root() / ".ocop" / "run").resolve()
    # The services read the same OCOP_CLOCK, so the demo's season is the dashboard's year.
    today = ServiceSettings().business_clock().today()
    signal.signal(signal.SIGTERM, _interrupt)
    infra_stack = InfraStack(run_dir=run_dir, kafka_partitions=3)
    try:
        with infra_stack as infra:
            stack = ServiceStack(
                infra.kafka_bootstrap,
                infra.mongo_url,
                run_dir / "services",
                ports=dict(DEFAULT_PORTS),
                namespace="dev",
            )
            envs = {service: stack.env_for(service) for service in SERVICES}
            settings_files = write_settings_files(envs, stack.run_dir)
            try:
                stack.start_all()
                token = _dev_token()
                if not args.no_demo:
                    demo.seed(
                        {s: stack.url(s) for s in SERVICES}, token, today, infra.kafka_bootstrap
                    )
                _print_welcome(stack, token, run_dir, today.year)
                if not args.no_demo:
                    _print_report(stack, today.year)
                    _print_plans(stack)
                if not args.exit_after_demo:
                    print("[ocop-dev] running; press Ctrl-C to stop", file=sys.stderr, flush=True)
                    while True:
                        signal.pause()
            finally:
                stack.stop_all()
                for path in settings_files:  # a stopped stack is no longer there to be found
                    path.unlink(missing_ok=True)
    except KeyboardInterrupt:
        print("[ocop-dev] stopped", file=sys.stderr, flush=True)
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _dev_token() -> str:
    secret = ServiceSettings().jwt_secret.get_secret_value()
    roles = [Role.PROVINCE_OFFICE, Role.MINISTRY, Role.PROMOTION_TEAM]
    return mint_token(secret, "dev-newcomer", roles, [ALL_PROVINCES])


def _print_welcome(stack: ServiceStack, token: str, run_dir: Path, year: int) -> None:
    lines = [
        "",
        "OCOP platform is up.",
        f"  Dashboard (reporting):  {stack.url('reporting')}/?province_code=82&year={year}",
        f"  Bắc Kạn's 2022 plan:    {stack.url('reporting')}/?province_code=06&edition=2008"
        "&year=2022 (within today's Thái Nguyên: ?province_code=19&edition=2025&year=2022)",
        f"  Newly-starred feed:     {stack.url('promotion')}/feed",
    ]
    lines += [f"  {s.capitalize():<11} API docs: {stack.url(s)}/docs" for s in SERVICES]
    lines += [
        f"  AsyncAPI (per service): {stack.url('registry')}/asyncapi.json …",
        f"  Logs and data:          {run_dir}",
        "",
        "  A development token (all provinces; province office, ministry, promotion team):",
        f"  export OCOP_TOKEN={token}",
        f'  curl -H "Authorization: Bearer $OCOP_TOKEN" {stack.url("registry")}/products/<id>',
        "",
    ]
    print("\n".join(lines), flush=True)


def _print_report(stack: ServiceStack, year: int) -> None:
    url = f"{stack.url('reporting')}/reports/progress?province_code=82&year={year}"
    report = _wait_for_derived(url)
    print(f"Progress of Đồng Tháp (82) in {year}, derived from the events ({url}):")
    for row in report["targets"]:
        goal = row["minimum"] if row["minimum"] is not None else row["maximum"]
        print(f"  {row['label']}: {row['actual']} / {goal:g} → {row['standing']}")
    print(flush=True)


def _print_plans(stack: ServiceStack, timeout: float = 90.0) -> None:
    """The five published plans' figures, once their history has reached reporting (Hòa Bình's
    new producers with a product and Tứ Kỳ's fair placements, among the last facts entered, are
    counted; else what is there after `timeout`)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        reports = {plan: _plan_report(stack, plan) for plan in demo_fixtures.PLAN_UNITS}
        last = [
            r
            for plan in ("hb20", "tk22")
            for r in reports[plan]["targets"]
            if r["target_id"] in ("hb20-producers", "tk22-fair-producers")
        ]
        if (len(last) == 2 and all(r["actual"] for r in last)) or time.monotonic() > deadline:
            break
        time.sleep(1.0)
    for plan, report in reports.items():
        code, edition, year = demo_fixtures.PLAN_UNITS[plan]
        print(f"Plan {plan} of province {code} ({edition} edition), {year}:")
        for row in report["targets"]:
            if not row["target_id"].startswith(plan):
                continue
            goal = row["minimum"] if row["minimum"] is not None else row["maximum"]
            actual = "—" if row["actual"] is None else row["actual"]  # evidence, none reported
            print(f"  {row['label']}: {actual} / {goal:g} → {row['standing']}")
    print(flush=True)


def _plan_report(stack: ServiceStack, plan: str) -> dict[str, Any]:
    code, edition, year = demo_fixtures.PLAN_UNITS[plan]
    query = f"province_code={code}&edition={edition}&year={year}"
    with urllib.request.urlopen(f"{stack.url('reporting')}/reports/progress?{query}") as answer:
        report: dict[str, Any] = json.load(answer)
    return report


def _wait_for_derived(url: str, timeout: float = 30.0) -> dict[str, Any]:
    """Ratings reach reporting asynchronously: wait until the demo's ratings are all counted."""
    import time

    expected = sum(1 for p in demo.PRODUCTS if p.score is not None and p.score >= 50)
    deadline = time.monotonic() + timeout
    while True:
        with urllib.request.urlopen(url, timeout=5) as response:
            report: dict[str, Any] = json.load(response)
        certified = [r for r in report["targets"] if r["metric"] == "certified_products"]
        if (certified and certified[0]["actual"] >= expected) or time.monotonic() > deadline:
            return report
        time.sleep(0.3)
