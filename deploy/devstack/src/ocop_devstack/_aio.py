"""Run a coroutine to completion from sync code, whether or not a loop is running here."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_in_fresh_loop(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    # A worker thread gets its own event loop, so this neither collides with a loop running in
    # the caller's thread (e.g. pytest-asyncio's session loop) nor resets the caller's loop.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()
