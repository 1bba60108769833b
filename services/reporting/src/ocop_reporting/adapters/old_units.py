"""The warning for facts dated before the 1 July 2025 merger that name no old unit in a merged
province (domain/units.attributed: `old_unit_unknown`), rate-limited.

A register without old addresses makes one such fact per rating, certificate and expiry before
the merger: thousands in a rebuild, each a log line written while the replay waits. The first
few are logged one by one (which events, to look them up), then one summary at most every
`every` seconds with how many came since, by current province. Nothing is lost from view: each
fact is stored with `old_unit_unknown: true` and counted in /metrics
(`ocop_facts_old_unit_unknown`).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable

FIRST = 5  # logged one by one
EVERY_SECONDS = 60.0  # then a summary at most this often


class OldUnitWarnings:
    def __init__(
        self,
        log: logging.Logger,
        *,
        first: int = FIRST,
        every: float = EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = log
        self._first = first
        self._every = every
        self._clock = clock
        self._seen = 0
        self._since: Counter[str] = Counter()  # by current province, since the last line
        self._last = clock()

    def record(self, event_id: str, event_type: str, day: str, current_code: str) -> None:
        self._seen += 1
        if self._seen <= self._first:
            self._log.warning(
                "fact before the merger without its old unit",
                extra={
                    "event_id": event_id,
                    "type": event_type,
                    "day": day,
                    "province": current_code,
                    "next": "logged one by one" if self._seen < self._first else "summarised",
                },
            )
            self._last = self._clock()
            return
        self._since[current_code] += 1
        if self._clock() - self._last >= self._every:
            self.summarise()

    def summarise(self) -> None:
        """One line for the facts since the last line (none: nothing to say)."""
        if not self._since:
            return
        self._log.warning(
            "facts before the merger without their old unit",
            extra={
                "count": sum(self._since.values()),
                "by_province": dict(sorted(self._since.items())),
                "total": self._seen,
                "metric": "ocop_facts_old_unit_unknown",
            },
        )
        self._since.clear()
        self._last = self._clock()
