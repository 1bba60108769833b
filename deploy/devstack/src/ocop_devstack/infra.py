"""Pick and run the infrastructure (Kafka + document store) for development and tests.

Order: OCOP_INFRA forces a mode; else explicit OCOP_KAFKA_BOOTSTRAP + OCOP_MONGO_URL (start
nothing); else Docker if an engine answers; else native processes from the provisioning cache.

    with InfraStack() as infra:            # or: async with InfraStack() as infra:
        infra.kafka_bootstrap, infra.mongo_url
"""

from __future__ import annotations

import asyncio
import atexit
import shlex
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code

from ocop_devstack._console import say
from ocop_devstack.config import (
    ENV_INFRA,
    ENV_KAFKA_BOOTSTRAP,
    ENV_MONGO_URL,
    DevstackConfigError,
    InfraMode,
    InfraSettings,
)
from ocop_devstack.docker_infra import docker_available, start_docker_services
from ocop_devstack.ferretdb import start_ferretdb
from ocop_devstack.kafka import start_kafka
from ocop_devstack.process import DEFAULT_READY_TIMEOUT_S, stop_stale
from ocop_devstack.provision import provision_all

DockerProbe = Callable[[], tuple[bool, str]]


@dataclass(frozen=True)
class Infra:
    kafka_bootstrap: str
    mongo_url: str
    mode: InfraMode

    def as_env(self) -> dict[str, str]:
        return {ENV_KAFKA_BOOTSTRAP: self.kafka_bootstrap, ENV_MONGO_URL: self.mongo_url}

    def export_lines(self) -> list[str]:
        return [f"export {key}={shlex.quote(value)}" for key, value in self.as_env().items()]


def choose_mode(settings: InfraSettings, docker_probe: DockerProbe) -> tuple[InfraMode, str]:
    """(mode, human-readable reason). The Docker probe runs only when it can matter."""
    if settings.forced_mode is not None:
        return settings.forced_mode, f"forced by {ENV_INFRA}={settings.forced_mode}"
    if settings.has_urls:
        return "env", f"{ENV_KAFKA_BOOTSTRAP} and {ENV_MONGO_URL} are set"
    answers, why = docker_probe()
    if answers:
        return "docker", why
    return "native", f"{why}; running Kafka and FerretDB as local processes"


class InfraStack:
    """Starts the chosen infrastructure on enter/start() and stops what it started on exit."""

    def __init__(
        self,
        *,
        run_dir: Path | None = None,
        settings: InfraSettings | None = None,
        ready_timeout: float = DEFAULT_READY_TIMEOUT_S,
        kafka_partitions: int = 1,
        kafka_overrides: Mapping[str, str] | None = None,
        docker_probe: DockerProbe = docker_available,
    ) -> None:
        if ready_timeout <= 0:
            raise ValueError("ready_timeout must be positive")
        self._run_dir = run_dir
        self._settings = settings
        self._ready_timeout = ready_timeout
        self._kafka_partitions = kafka_partitions
        self._kafka_overrides = dict(kafka_overrides or {})
        self._docker_probe = docker_probe
        self._cleanups: list[Callable[[], None]] = []
        self._infra: Infra | None = None

    @property
    def infra(self) -> Infra:
        if self._infra is None:
            raise RuntimeError("InfraStack is not started")
        return self._infra

    def start(self) -> Infra:
        if self._infra is not None:
            return self._infra
        settings = self._settings or InfraSettings.from_env()
        mode, reason = choose_mode(settings, self._docker_probe)
        say(f"infrastructure mode: {mode} ({reason})")
        atexit.register(self.stop)
        try:
            self._infra = self._start_mode(mode, settings)
        except BaseException:
            self.stop()
            raise
        return self._infra

    def stop(self) -> None:
        """Stop everything this stack started, newest first. Idempotent."""
        atexit.unregister(self.stop)
        while self._cleanups:
            self._cleanups.pop()()
        self._infra = None

    def _start_mode(self, mode: InfraMode, settings: InfraSettings) -> Infra:
        if mode == "env":
            if settings.kafka_bootstrap is None or settings.mongo_url is None:
                raise DevstackConfigError(
                    f"mode env needs {ENV_KAFKA_BOOTSTRAP} and {ENV_MONGO_URL}"
                )
            return Infra(settings.kafka_bootstrap, settings.mongo_url, "env")
        if mode == "docker":
            return self._start_docker(check_engine=settings.forced_mode == "docker")
        return self._start_native()

    def _start_docker(self, *, check_engine: bool) -> Infra:
        if check_engine:  # auto mode already probed; a forced mode has not
            answers, why = self._docker_probe()
            if not answers:
                raise RuntimeError(f"{ENV_INFRA}=docker but {why}")
        started = time.monotonic()
        services = start_docker_services(
            num_partitions=self._kafka_partitions,
            overrides=self._kafka_overrides,
            timeout=self._ready_timeout,
        )
        self._cleanups.append(services.stop)
        say(f"containers ready in {time.monotonic() - started:.1f}s")
        return Infra(services.kafka_bootstrap, services.mongo_url, "docker")

    def _start_native(self) -> Infra:
        provisioned = provision_all()
        run_dir = self._prepare_run_dir()
        started = time.monotonic()
        ferret = start_ferretdb(
            run_dir / "ferretdb", provisioned.ferretdb_binary, timeout=self._ready_timeout
        )
        self._cleanups.append(ferret.stop)
        say(f"FerretDB ready at {ferret.mongo_url} in {time.monotonic() - started:.1f}s")
        started = time.monotonic()
        kafka = start_kafka(
            run_dir / "kafka",
            provisioned.kafka_libs,
            num_partitions=self._kafka_partitions,
            overrides=self._kafka_overrides,
            timeout=self._ready_timeout,
        )
        self._cleanups.append(kafka.stop)
        say(f"Kafka ready at {kafka.bootstrap} in {time.monotonic() - started:.1f}s")
        return Infra(kafka.bootstrap, ferret.mongo_url, "native")

    def _prepare_run_dir(self) -> Path:
        if self._run_dir is None:
            run_dir = Path(tempfile.mkdtemp(prefix="ocop-infra-"))
            # Only a directory we created is deleted, and only after a clean stop.
            self._cleanups.append(lambda: shutil.rmtree(run_dir, ignore_errors=True))
        else:
            run_dir = self._run_dir.resolve()
            for owned in ("kafka", "ferretdb"):  # fresh data: wipe only our own subdirectories
                for pidfile in (run_dir / owned).glob("*.pid"):
                    stop_stale(pidfile)  # left over by a crashed run; must die before its data
                shutil.rmtree(run_dir / owned, ignore_errors=True)
        run_dir.mkdir(parents=True, exist_ok=True)
        say(f"run directory (data and logs): {run_dir}")
        return run_dir

    def __enter__(self) -> Infra:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Infra:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)


async def ensure_topics(
    bootstrap: str,
    topics: Sequence[str],
    *,
    partitions: int = 1,
    replication_factor: int = 1,
    wait_s: float = 30.0,
) -> None:
    """Create the topics that do not exist yet (idempotent), then wait until they have leaders."""
    if partitions < 1 or replication_factor < 1:
        raise ValueError("partitions and replication_factor must be >= 1")
    if not topics:
        return
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(wait_s * 1000))
    await admin.start()
    try:
        response = await admin.create_topics(
            [NewTopic(name, partitions, replication_factor) for name in topics]
        )
        for name, code, *_ in response.topic_errors:
            if code and code != TopicAlreadyExistsError.errno:
                raise for_code(code)(f"cannot create topic {name!r}")
        await _wait_for_leaders(admin, list(topics), wait_s)
    finally:
        await admin.close()


async def _wait_for_leaders(admin: AIOKafkaAdminClient, topics: list[str], wait_s: float) -> None:
    # Creation is acknowledged before partition leaders exist; producing then races.
    deadline = time.monotonic() + wait_s
    while True:
        described = await admin.describe_topics(topics)
        ready = all(
            t["error_code"] == 0
            and t["partitions"]
            and all(p["leader"] >= 0 for p in t["partitions"])
            for t in described
        )
        if ready:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"topics {topics} have no leaders after {wait_s:.0f}s")
        await asyncio.sleep(0.1)
