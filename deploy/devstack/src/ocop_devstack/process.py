"""Native child processes: own session, log file, readiness wait, stop by PID.

Only processes started here are ever signalled. Each child gets its own session so a Ctrl-C
in the parent's terminal does not kill it mid-write; an atexit hook (plus the context
managers of the callers) stops whatever is still running when the interpreter exits, newest
first: the services before Kafka and the store they use.

Python dies at once on SIGTERM and SIGHUP, skipping `finally` blocks and atexit, which would
leave every child running. So the first child started from the main thread also makes those
signals end the interpreter the way Ctrl-C does (unless the program set its own handler): the
benchmarks, the test session, `ocop-dev` and any other entrypoint stop their children cleanly.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from ocop_devstack._console import tail

DEFAULT_READY_TIMEOUT_S = 60.0
DEFAULT_STOP_TIMEOUT_S = 10.0

_live: list[NativeProcess] = []
_live_lock = threading.Lock()
_atexit_registered = False


class ProcessStartError(RuntimeError):
    """A native process exited or did not become ready; the message carries its log tail."""


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """Distinct free loopback ports (all sockets held open together so none repeats)."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind((host, 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class NativeProcess:
    """One started child process with its log file and pid file."""

    def __init__(self, name: str, popen: subprocess.Popen[bytes], log: Path, pidfile: Path):
        self.name = name
        self.log = log
        self.pidfile = pidfile
        self._popen = popen

    @property
    def pid(self) -> int:
        return self._popen.pid

    @classmethod
    def start(
        cls,
        name: str,
        argv: Sequence[str],
        *,
        log: Path,
        pidfile: Path,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> NativeProcess:
        stop_stale(pidfile)
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            popen = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env={**os.environ, **(env or {})},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        pidfile.write_text(f"{popen.pid}\n{pidfile.parent}\n")
        proc = cls(name, popen, log, pidfile)
        _register(proc)
        return proc

    def running(self) -> bool:
        return self._popen.poll() is None

    def wait_ready(
        self,
        check: Callable[[], bool],
        timeout: float = DEFAULT_READY_TIMEOUT_S,
        interval: float = 0.25,
    ) -> float:
        """Poll `check` until true; returns seconds waited. Fails fast if the process dies."""
        started = time.monotonic()
        while True:
            if not self.running():
                raise self._failure(f"exited with code {self._popen.returncode} during startup")
            if check():
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise self._failure(f"not ready after {timeout:.0f}s")
            time.sleep(interval)

    def stop(self, timeout: float = DEFAULT_STOP_TIMEOUT_S) -> None:
        """SIGTERM the child's process group, SIGKILL after `timeout`. Idempotent."""
        # poll() is None means we have not reaped it, so the PID cannot have been reused.
        if self.running():
            _signal_group(self.pid, signal.SIGTERM)
            try:
                self._popen.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.pid, signal.SIGKILL)
                self._popen.wait(timeout)
        self.pidfile.unlink(missing_ok=True)
        with _live_lock:
            if self in _live:
                _live.remove(self)

    def _failure(self, what: str) -> ProcessStartError:
        self.stop()
        return ProcessStartError(f"{self.name} {what}; log {self.log}:\n{tail(self.log)}")


def _signal_group(pid: int, sig: signal.Signals) -> None:
    # The child leads its own session, so its process group id is its pid.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _register(proc: NativeProcess) -> None:
    global _atexit_registered
    with _live_lock:
        _live.append(proc)
        if not _atexit_registered:
            atexit.register(stop_all)
            stop_cleanly_on_termination()
            _atexit_registered = True


def stop_all() -> None:
    """Stop every process this interpreter started and has not stopped yet, newest first."""
    with _live_lock:
        procs = list(reversed(_live))
    for proc in procs:
        proc.stop()


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
_stopping = threading.Event()


def stop_cleanly_on_termination() -> None:
    """Make SIGTERM and SIGHUP raise KeyboardInterrupt in the main thread, where Python's
    default would kill the interpreter without running cleanup. Handlers a program installed
    itself are left alone; from a worker thread signals cannot be set, so nothing happens."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in _STOP_SIGNALS:
        if signal.getsignal(sig) is signal.SIG_DFL:
            signal.signal(sig, _interrupt_once)


def _interrupt_once(signum: int, frame: object) -> None:
    # A second signal while we clean up must not abort the cleanup half-way.
    if _stopping.is_set():
        return
    _stopping.set()
    raise KeyboardInterrupt(f"stopped by signal {signal.Signals(signum).name}")


def stop_stale(pidfile: Path) -> None:
    """Stop a leftover child from a crashed earlier run of the same run directory.

    Only if its command line still mentions that run directory, so a recycled PID that now
    belongs to an unrelated process is left alone.
    """
    try:
        pid_text, run_dir = pidfile.read_text().splitlines()[:2]
        cmdline = Path(f"/proc/{int(pid_text)}/cmdline").read_bytes().decode(errors="replace")
    except (OSError, ValueError):
        return
    if run_dir and run_dir in cmdline:
        pid = int(pid_text)
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + DEFAULT_STOP_TIMEOUT_S
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        if Path(f"/proc/{pid}").exists():
            _signal_group(pid, signal.SIGKILL)
    pidfile.unlink(missing_ok=True)
