"""Only the platform clock reads the machine's time for dates: the machine's date (its zone)
and UTC's date both differ from Vietnam's for seven hours a day."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("libs", "services", "deploy", "bench", "tests")
THE_CLOCK = ROOT / "libs/contracts/src/ocop_contracts/clock.py"
MACHINE_TIME = re.compile(r"\b(date\.today|datetime\.now|datetime\.utcnow|datetime\.today)\(")


def _python_files() -> list[Path]:
    files = [p for src in SOURCES for p in (ROOT / src).rglob("*.py") if ".venv" not in p.parts]
    return [p for p in files if p not in {THE_CLOCK, Path(__file__).resolve()}]


def test_nothing_but_the_clock_asks_the_machine_for_the_date() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _python_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if MACHINE_TIME.search(line)
    ]
    assert offenders == [], "use ocop_contracts.clock instead:\n" + "\n".join(offenders)


def test_the_scan_sees_the_services() -> None:
    scanned = {p.relative_to(ROOT).parts[0] for p in _python_files()}
    assert {"libs", "services", "tests"} <= scanned
