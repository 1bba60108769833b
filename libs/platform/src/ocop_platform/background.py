"""Work a service does for as long as it runs, beside its API and its consumers.

A service declares each piece as a ``BackgroundTask`` (one step, and how often to run it) and
hands the list to ``service_app(background=[...])``. The one loop that runs a step again and
again lives here: it logs a failed step with the task's name, waits longer after each failure
in a row (the store or the broker may be down; hammering it helps nobody), and stops when the
app stops, cancelling a step that is still running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

Step = Callable[[], Awaitable[object]]
Sleep = Callable[[float], Awaitable[None]]
Stop = Callable[[], Awaitable[None]]

log = logging.getLogger(__name__)
MAX_DOUBLINGS = 30  # 2**30 intervals is beyond any cap; stops the power from growing unbounded


class Wakeup:
    """Cuts a background task's wait short: the relay after an outbox write, the webhook
    worker after a new feed entry. A wake-up that comes while the step runs is kept, so the
    next wait returns at once."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def set(self) -> None:
        self._event.set()

    async def wait(self, seconds: float, sleep: Sleep) -> None:
        """Return when woken or after ``seconds``, whichever comes first."""
        if not self._event.is_set():
            await _first_to_finish(self._event.wait(), sleep(seconds))
        self._event.clear()


@dataclass(frozen=True, slots=True)
class BackgroundTask:
    """``step`` runs at start-up and then again ``interval_seconds`` after each run ends
    (sooner when ``wakeup`` is set). After a failed step the wait doubles at each further
    failure in a row, up to ``max_backoff_seconds`` (never below the interval), and a wake-up
    does not cut it short. ``on_stop`` runs once the loop has stopped (to end what the steps
    started)."""

    name: str
    step: Step
    interval_seconds: float
    wakeup: Wakeup | None = None
    max_backoff_seconds: float = 30.0
    on_stop: Stop | None = None

    def delay_after(self, failures: int) -> float:
        """Seconds to wait after a step that ended ``failures`` failed steps in a row."""
        if failures == 0:
            return self.interval_seconds
        longest = max(self.interval_seconds, self.max_backoff_seconds)
        doublings = min(failures - 1, MAX_DOUBLINGS)
        return min(self.interval_seconds * float(2**doublings), longest)


async def supervise(task: BackgroundTask, *, sleep: Sleep = asyncio.sleep) -> None:
    """Run ``task``'s step until cancelled. A failed step is logged and retried later; it
    never ends the loop. Cancellation (the app stopping) ends it without a log line."""
    failures = 0
    while True:
        try:
            await task.step()
            failures = 0
        except Exception:  # the store or the broker may be back at the next try
            failures += 1
            log.exception(
                "background task %s failed; retrying in %.1f s",
                task.name,
                task.delay_after(failures),
                extra={"task": task.name, "failures": failures},
            )
        delay = task.delay_after(failures)
        if task.wakeup is not None and failures == 0:
            await task.wakeup.wait(delay, sleep)
        else:
            await sleep(delay)


@contextlib.asynccontextmanager
async def running(
    tasks: Sequence[BackgroundTask], *, sleep: Sleep = asyncio.sleep
) -> AsyncIterator[None]:
    """Supervise ``tasks`` while inside; on the way out cancel them, wait until every one has
    stopped, then run their ``on_stop``."""
    started = [asyncio.create_task(supervise(t, sleep=sleep), name=t.name) for t in tasks]
    try:
        yield
    finally:
        for supervisor in started:
            supervisor.cancel()
        await asyncio.gather(*started, return_exceptions=True)
        for task in tasks:
            if task.on_stop is not None:
                await task.on_stop()


async def _first_to_finish(*waits: Awaitable[object]) -> None:
    pending = {asyncio.ensure_future(w) for w in waits}
    try:
        await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for future in pending:
            future.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
