"""Fault report: what callers and the data go through when a real process stalls or dies.

    uv run python bench/faults.py [--events 1000] [--only "broker killed" ...]

On a stack of its own (Kafka, FerretDB and the four services, all native processes), each
scenario sends a burst of events, stops (SIGSTOP … SIGCONT) or kills (SIGKILL, then restart)
one process for 8 s mid-burst, and prints:
  answered   HTTP requests a dashboard and a promotion team made meanwhile that got any answer
             (a fast 503 naming the dependency counts; a timeout or a refused connection not)
  p99 ms     the 99th percentile of their latency
  lost       events that never reached reporting's count or promotion's feed (must be 0)
  doubled    events applied more than once there (must be 0)
  settle s   how long after the fault the totals took to become exact
Scenarios and measures: ocop_devstack.faults (tests/e2e/test_faults.py asserts on them).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from ocop_devstack.faults import HEADER, PROVINCES, SCENARIOS, FaultStack, run_scenario


async def _run_all(stack: FaultStack, events: int, only: list[str]) -> int:
    print(HEADER, flush=True)
    failures = 0
    for fault, province in zip(SCENARIOS, PROVINCES, strict=False):
        if only and fault.name not in only:
            continue
        report = await run_scenario(stack, fault, province, events)
        print(report.line(), flush=True)
        failures += report.lost + report.double_applied
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--only", nargs="*", default=[], help='e.g. "store stopped"')
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="ocop-faults-") as tmp,
        FaultStack.running(Path(tmp)) as stack,
    ):
        failures = asyncio.run(_run_all(stack, args.events, args.only))
    print("no event lost or applied twice" if failures == 0 else f"{failures} events wrong")
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
