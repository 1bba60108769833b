"""The four OCOP services as child processes, started through their own entrypoints.

Used by `ocop-dev up` and by the end-to-end tests, so both exercise exactly what production runs
(`python -m ocop_<service>`): its settings from the environment, its lifespan, its consumers.
"""

from __future__ import annotations

import os
import signal
import sys
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pymongo import MongoClient

from ocop_devstack._console import say
from ocop_devstack.process import NativeProcess, free_ports

SERVICES: tuple[str, ...] = ("registry", "evaluation", "promotion", "reporting")
DEFAULT_PORTS: Mapping[str, int] = {
    "registry": 8101,
    "evaluation": 8102,
    "promotion": 8103,
    "reporting": 8104,
}
SERVICE_READY_TIMEOUT_S = 90.0


def http_ok(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def is_ferretdb(mongo_url: str) -> bool:
    client: MongoClient[dict[str, object]]
    with MongoClient(mongo_url, serverSelectionTimeoutMS=10_000) as client:
        info: dict[str, object] = client.admin.command("buildInfo")
    return "ferretdbVersion" in info


@dataclass
class ServiceStack:
    """Runs services against given infrastructure; ``namespace`` isolates databases and groups."""

    kafka_bootstrap: str
    mongo_url: str
    run_dir: Path
    namespace: str = ""
    ports: dict[str, int] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)
    _procs: dict[str, NativeProcess] = field(default_factory=dict)
    _single_store_connection: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._single_store_connection = is_ferretdb(self.mongo_url)

    @classmethod
    def on_free_ports(
        cls,
        kafka_bootstrap: str,
        mongo_url: str,
        run_dir: Path,
        namespace: str = "",
        services: Iterable[str] = SERVICES,
    ) -> ServiceStack:
        names = list(services)
        ports = dict(zip(names, free_ports(len(names)), strict=True))
        return cls(kafka_bootstrap, mongo_url, run_dir, namespace, ports)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.port(service)}"

    def port(self, service: str) -> int:
        return self.ports.get(service, DEFAULT_PORTS[service])

    def env_for(self, service: str) -> dict[str, str]:
        prefix = f"ocop_{self.namespace}_" if self.namespace else "ocop_"
        group = f"ocop.{self.namespace}" if self.namespace else "ocop"
        return {
            "OCOP_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "OCOP_MONGO_URL": self.mongo_url,
            "OCOP_MONGO_DB": f"{prefix}{service}",
            "OCOP_CONSUMER_GROUP_PREFIX": group,
            "OCOP_HTTP_HOST": "127.0.0.1",
            "OCOP_HTTP_PORT": str(self.port(service)),
            "PYTHONUNBUFFERED": "1",
            # FerretDB loses concurrent updates to one document: one connection per service.
            **({"OCOP_MONGO_MAX_POOL_SIZE": "1"} if self._single_store_connection else {}),
            **self.extra_env,
        }

    def start(self, service: str, *, wait: bool = True) -> NativeProcess:
        proc = NativeProcess.start(
            service,
            [sys.executable, "-m", f"ocop_{service}"],
            log=self.run_dir / f"{service}.log",
            pidfile=self.run_dir / f"{service}.pid",
            env=self.env_for(service),
        )
        self._procs[service] = proc
        if wait:
            self.wait_ready(service)
        return proc

    def wait_ready(self, service: str) -> float:
        ready = f"{self.url(service)}/health/ready"
        seconds = self._procs[service].wait_ready(
            lambda: http_ok(ready), timeout=SERVICE_READY_TIMEOUT_S
        )
        say(f"{service} ready on {self.url(service)} ({seconds:.1f}s)")
        return seconds

    def start_all(self, services: Iterable[str] = SERVICES) -> None:
        names = list(services)
        for name in names:  # start together, then wait: the JVM-free start-up overlaps
            self.start(name, wait=False)
        for name in names:
            self.wait_ready(name)

    def process(self, service: str) -> NativeProcess:
        return self._procs[service]

    def kill(self, service: str) -> None:
        """SIGKILL, as a crash would: no shutdown hooks, no final commit."""
        proc = self._procs[service]
        os.kill(proc.pid, signal.SIGKILL)
        proc.stop()  # reaps it and removes the pid file

    def stop(self, service: str) -> None:
        self._procs.pop(service).stop()

    def stop_all(self) -> None:
        for name in list(self._procs):
            self.stop(name)

    def logs(self, service: str) -> Path:
        return self.run_dir / f"{service}.log"
