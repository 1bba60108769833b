"""Every outage scenario of ocop_devstack.faults on a stack of its own: the store and the broker
stopped (SIGSTOP) and killed (SIGKILL, then restarted), and each of the four services killed,
each during a burst of 1,000 events. After the fault, reporting's count and promotion's feed
hold exactly the burst: nothing lost, nothing applied twice. `bench/faults.py` prints the same
scenarios' figures (requests answered, p99 latency)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ocop_devstack.faults import PROVINCES, SCENARIOS, Fault, FaultStack, run_scenario

pytestmark = [pytest.mark.e2e, pytest.mark.faults]
EVENTS = 1000


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultStack]:
    with FaultStack.running(Path(tmp_path_factory.mktemp("faults"))) as running:
        yield running


@pytest.mark.parametrize(
    ("fault", "province"),
    list(zip(SCENARIOS, PROVINCES, strict=False)),
    ids=[fault.name.replace(" ", "-") for fault in SCENARIOS],
)
async def test_no_event_is_lost_or_applied_twice(
    stack: FaultStack, fault: Fault, province: str
) -> None:
    report = await run_scenario(stack, fault, province, EVENTS)
    print(f"\n{report.line()}")
    assert report.counted_at_fault < report.events, "the fault must strike mid-burst"
    assert (report.counted, report.feed_entries) == (report.events, report.events)
    assert (report.lost, report.double_applied) == (0, 0)
    assert report.registry_shown == report.registry_expected
