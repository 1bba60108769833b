"""FerretDB v1 (SQLite backend) as a native MongoDB-compatible document store."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pymongo import MongoClient

from ocop_devstack.process import DEFAULT_READY_TIMEOUT_S, NativeProcess, free_ports, port_open

HOST = "127.0.0.1"
# host:port for FerretDB's debug handler (metrics, Go's /debug/pprof) when profiling the store;
# off ("-") by default.
DEBUG_ADDR_ENV = "OCOP_FERRETDB_DEBUG_ADDR"


def ferretdb_args(binary: Path, *, port: int, data_dir: Path, state_dir: Path) -> list[str]:
    """Command line for an auth-less SQLite FerretDB listening on loopback only."""
    if not 0 < port < 65536:
        raise ValueError(f"invalid port {port}")
    # FerretDB insists on an absolute, existing directory given as a file: URL ending in '/'.
    sqlite_url = f"file:{data_dir.resolve()}/"
    return [
        str(binary),
        "--handler=sqlite",
        f"--sqlite-url={sqlite_url}",
        f"--listen-addr={HOST}:{port}",
        f"--state-dir={state_dir.resolve()}",
        f"--debug-addr={os.environ.get(DEBUG_ADDR_ENV) or '-'}",
        "--telemetry=disable",
        "--log-level=warn",
    ]


def mongo_url(port: int) -> str:
    return f"mongodb://{HOST}:{port}/"


@dataclass
class FerretNode:
    process: NativeProcess
    mongo_url: str
    workdir: Path
    argv: list[str] = field(default_factory=list)

    def stop(self) -> None:
        self.process.stop()

    def restart(self, timeout: float = DEFAULT_READY_TIMEOUT_S) -> None:
        """Start the store again on the same port and data (after a crash, in fault tests)."""
        self.process.stop()
        self.process = NativeProcess.start(
            "ferretdb", self.argv, log=self.workdir / "ferretdb.log",
            pidfile=self.workdir / "ferretdb.pid",
        )  # fmt: skip
        self.process.wait_ready(lambda: mongo_answers(self.mongo_url), timeout)


def start_ferretdb(
    workdir: Path, binary: Path, *, timeout: float = DEFAULT_READY_TIMEOUT_S
) -> FerretNode:
    """Start FerretDB with a fresh data dir under `workdir`; returns once it answers ping."""
    (port,) = free_ports(1)
    data_dir = workdir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    argv = ferretdb_args(binary, port=port, data_dir=data_dir, state_dir=workdir)
    proc = NativeProcess.start(
        "ferretdb", argv, log=workdir / "ferretdb.log", pidfile=workdir / "ferretdb.pid"
    )
    url = mongo_url(port)
    proc.wait_ready(lambda: port_open(HOST, port) and mongo_answers(url), timeout)
    return FerretNode(proc, url, workdir, argv)


def mongo_answers(url: str, timeout_ms: int = 2000) -> bool:
    try:
        client: MongoClient[dict[str, object]] = MongoClient(
            url, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms
        )
        try:
            client.admin.command("ping")
            return True
        finally:
            client.close()
    except Exception:  # any failure just means "not ready yet"
        return False
