"""The one supervised loop of background work: failures logged and retried with a capped
exponential backoff, wake-ups, and a clean stop. Time is a fake sleep, never the real clock."""

from __future__ import annotations

import asyncio
import logging

import pytest

from ocop_platform.background import BackgroundTask, Wakeup, running, supervise

SAFETY_NET = 5.0  # only a hung test ever reaches it


class FakeSleep:
    """Stands in for asyncio.sleep: records each delay and returns at once, until ``limit``
    delays are recorded; from then on it sleeps until cancelled, so the loop parks there."""

    def __init__(self, limit: int) -> None:
        self.delays: list[float] = []
        self.limit = limit
        self.parked = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        if len(self.delays) >= self.limit:
            self.parked.set()
            await asyncio.get_running_loop().create_future()
        await asyncio.sleep(0)

    async def until_parked(self) -> None:
        async with asyncio.timeout(SAFETY_NET):
            await self.parked.wait()


class Steps:
    """A step that fails ``failing`` times in a row, then succeeds; counts its runs."""

    def __init__(self, failing: int = 0) -> None:
        self.failing = failing
        self.runs = 0
        self.ran = asyncio.Event()

    async def __call__(self) -> None:
        self.runs += 1
        self.ran.set()
        if self.runs <= self.failing:
            raise ConnectionError("store down")


def errors_of(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


# --- the backoff --------------------------------------------------------------------------------


def test_the_wait_after_a_success_is_the_interval() -> None:
    assert BackgroundTask("t", Steps(), 2.0).delay_after(0) == 2.0


def test_the_wait_doubles_with_each_failure_in_a_row_up_to_the_cap() -> None:
    task = BackgroundTask("t", Steps(), 1.0, max_backoff_seconds=10.0)
    assert [task.delay_after(n) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_the_wait_after_a_failure_is_never_shorter_than_the_interval() -> None:
    task = BackgroundTask("hourly", Steps(), 3600.0, max_backoff_seconds=30.0)
    assert task.delay_after(1) == 3600.0
    assert task.delay_after(5) == 3600.0


def test_a_long_run_of_failures_does_not_overflow() -> None:
    task = BackgroundTask("t", Steps(), 0.5, max_backoff_seconds=30.0)
    assert task.delay_after(100_000) == 30.0


# --- the loop -----------------------------------------------------------------------------------


async def test_a_failed_step_is_logged_with_the_task_name_and_retried_with_backoff(
    caplog: pytest.LogCaptureFixture,
) -> None:
    step, sleep = Steps(failing=3), FakeSleep(limit=5)
    task = BackgroundTask("nightly-sweep", step, 1.0, max_backoff_seconds=60.0)
    caplog.set_level(logging.ERROR, logger="ocop_platform.background")
    async with running([task], sleep=sleep):
        await sleep.until_parked()

    assert step.runs == 5
    assert sleep.delays == [1.0, 2.0, 4.0, 1.0, 1.0]  # back to the interval after a success
    errors = errors_of(caplog)
    assert len(errors) == 3
    assert all("nightly-sweep" in r.getMessage() and r.exc_info for r in errors)
    assert [getattr(r, "failures", None) for r in errors] == [1, 2, 3]


async def test_stopping_cancels_the_loop_without_logging_and_leaves_no_task(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sleep, stopped = FakeSleep(limit=1), asyncio.Event()

    async def on_stop() -> None:
        stopped.set()

    task = BackgroundTask("relay", Steps(), 0.5, on_stop=on_stop)
    caplog.set_level(logging.DEBUG)
    async with running([task], sleep=sleep):
        await sleep.until_parked()
        assert [t for t in asyncio.all_tasks() if t.get_name() == "relay"] != []

    assert [t for t in asyncio.all_tasks() if t.get_name() == "relay"] == []
    assert stopped.is_set()
    assert errors_of(caplog) == []


async def test_a_step_that_hangs_is_cancelled_on_stop(caplog: pytest.LogCaptureFixture) -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def hangs() -> None:
        started.set()
        try:
            await asyncio.get_running_loop().create_future()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    caplog.set_level(logging.DEBUG)
    async with running([BackgroundTask("stuck", hangs, 1.0)], sleep=FakeSleep(limit=1)):
        async with asyncio.timeout(SAFETY_NET):
            await started.wait()

    assert cancelled.is_set()
    assert errors_of(caplog) == []


async def test_one_failing_task_does_not_stop_another() -> None:
    failing, healthy = Steps(failing=10**6), Steps()
    sleep = FakeSleep(limit=20)
    tasks = [BackgroundTask("broken", failing, 1.0), BackgroundTask("fine", healthy, 1.0)]
    async with running(tasks, sleep=sleep):
        await sleep.until_parked()
    assert failing.runs >= 2
    assert healthy.runs >= 2


# --- wake-ups -----------------------------------------------------------------------------------


async def test_a_wakeup_runs_the_next_step_before_the_interval_is_over() -> None:
    step, wakeup = Steps(), Wakeup()
    task = BackgroundTask("relay", step, 30.0, wakeup=wakeup)
    supervisor = asyncio.create_task(supervise(task, sleep=FakeSleep(limit=1)))
    try:
        async with asyncio.timeout(SAFETY_NET):
            await step.ran.wait()
            step.ran.clear()
            wakeup.set()
            await step.ran.wait()
        assert step.runs == 2
    finally:
        supervisor.cancel()
        await asyncio.gather(supervisor, return_exceptions=True)


async def test_a_wakeup_does_not_cut_the_backoff_after_a_failure() -> None:
    step, wakeup, sleep = Steps(failing=1), Wakeup(), FakeSleep(limit=1)
    task = BackgroundTask("relay", step, 30.0, wakeup=wakeup)
    supervisor = asyncio.create_task(supervise(task, sleep=sleep))
    try:
        await sleep.until_parked()
        wakeup.set()
        for _ in range(10):  # give a (wrong) wake-up every chance to run the step again
            await asyncio.sleep(0)
        assert step.runs == 1
    finally:
        supervisor.cancel()
        await asyncio.gather(supervisor, return_exceptions=True)


async def test_a_wakeup_during_a_step_makes_the_next_wait_return_at_once() -> None:
    wakeup, sleep = Wakeup(), FakeSleep(limit=1)
    wakeup.set()
    async with asyncio.timeout(SAFETY_NET):
        await wakeup.wait(30.0, sleep)
    assert sleep.delays == []  # it did not even start sleeping
