"""Human-visible progress on stderr (stdout stays clean for `export` lines) and log tails."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

_log = logging.getLogger("ocop_devstack")


def say(message: str) -> None:
    """Progress the developer must see even without logging configured (first builds are slow)."""
    _log.debug(message)
    print(f"[ocop-dev] {message}", file=sys.stderr, flush=True)


def tail(path: Path, lines: int = 40) -> str:
    """Last lines of a log file, for error messages; never fails."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"<no log at {path}: {exc}>"
    return "\n".join(text.splitlines()[-lines:])
