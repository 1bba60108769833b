"""Debian's Chromium for the browser tests (the reporting dashboard in headless Chromium).

The tests drive `/usr/bin/chromium` with Playwright's Python client (no `playwright install`: no
browser download from a CDN). If it is missing and we are root, install it with apt, showing
apt's progress; otherwise fail with what to do. Never skip silently.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from ocop_devstack._console import say

CHROMIUM = Path(os.environ.get("OCOP_CHROMIUM", "/usr/bin/chromium"))
# Flags for a headless run in a container or CI box: no sandbox (root), no GPU, no background
# traffic to Google services, no first-run UI.
CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


class BrowserUnavailable(RuntimeError):
    """Chromium is not installed and cannot be installed here."""


def ensure_chromium() -> Path:
    """Path of a runnable Chromium, installing Debian's package when missing and we are root."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() != 0:
        raise BrowserUnavailable(
            f"{CHROMIUM} is missing and this user cannot install it: run "
            "`sudo apt-get install -y chromium` (Debian/Ubuntu), or set OCOP_CHROMIUM to a "
            "Chromium/Chrome binary"
        )
    if shutil.which("apt-get") is None:
        raise BrowserUnavailable(
            f"{CHROMIUM} is missing and there is no apt-get here: install Chromium and set "
            "OCOP_CHROMIUM to its path"
        )
    say("installing Debian's chromium for the browser tests (apt-get, about a minute)…")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        say("$ " + " ".join(command))
        result = subprocess.run(command, env=env, check=False)  # output streams to the console
        if result.returncode != 0:
            raise BrowserUnavailable(f"`{' '.join(command)}` failed ({result.returncode})")
    if not CHROMIUM.exists():
        raise BrowserUnavailable(f"apt installed chromium but {CHROMIUM} is still missing")
    say(f"chromium ready at {CHROMIUM}")
    return CHROMIUM


def main() -> int:
    try:
        print(ensure_chromium())
    except BrowserUnavailable as exc:
        say(str(exc))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
