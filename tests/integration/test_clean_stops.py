"""SIGTERM and SIGINT stop every process an entrypoint started: a benchmark and a test session,
each terminated while its Kafka, store (and services) run, leave no process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def _children_of(pid: int) -> dict[int, int]:
    """pid → parent pid of every live process."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    return parents


def _descendants(root: int) -> set[int]:
    parents = _children_of(root)
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        return subprocess.Popen(argv, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)


def _wait_for(condition: Callable[[], bool], timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}:\n{log.read_text()[-3000:]}")
        time.sleep(0.5)


def _terminate_and_check(
    proc: subprocess.Popen[bytes], sig: signal.Signals, expected: int, log: Path
) -> None:
    _wait_for(lambda: len(_descendants(proc.pid)) >= expected, 180, "its processes", log)
    started = _descendants(proc.pid)
    proc.send_signal(sig)
    try:
        proc.wait(timeout=90)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    time.sleep(0.5)
    left = sorted(pid for pid in started if _alive(pid))
    for pid in left:  # do not leak them into the rest of the session
        os.kill(pid, signal.SIGKILL)
    assert left == [], f"{len(left)} of {len(started)} processes left running:\n{log.read_text()}"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_terminated_benchmark_stops_kafka_and_the_store(
    tmp_path: Path, sig: signal.Signals
) -> None:
    log = tmp_path / "bench.log"
    bench = [sys.executable, "bench/store_lookup.py", "--sizes", "5000000", "--ops", "1"]
    proc = _start(bench, log)
    _wait_for(lambda: "store: " in log.read_text(), 180, "the benchmark to start", log)
    _terminate_and_check(proc, sig, expected=2, log=log)


def test_a_terminated_test_session_stops_its_services_kafka_and_the_store(
    tmp_path: Path,
) -> None:
    log = tmp_path / "session.log"
    session = [
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-s",
        "tests/e2e/session_to_terminate.py",
    ]  # fmt: skip
    proc = _start(session, log)
    _wait_for(lambda: "services are up" in log.read_text(), 240, "the services", log)
    _terminate_and_check(proc, signal.SIGTERM, expected=6, log=log)
