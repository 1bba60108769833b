"""Single-node Kafka (KRaft, combined broker+controller, static voter) from the cached jars."""

from __future__ import annotations

import asyncio
import base64
import subprocess
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient

from ocop_devstack._aio import run_in_fresh_loop
from ocop_devstack._console import tail
from ocop_devstack.process import (
    DEFAULT_READY_TIMEOUT_S,
    NativeProcess,
    ProcessStartError,
    free_ports,
    port_open,
)

HOST = "127.0.0.1"
BROKER_HEAP = ("256m", "768m")
TOOL_HEAP = ("64m", "256m")
_FORMAT_TIMEOUT_S = 120.0

_LOG4J2_PROPERTIES = """\
# Console only: the process's stdout is already redirected to a log file.
status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stdout.ref = STDOUT
# Startup/shutdown milestones ("Kafka Server started") help when readiness fails.
logger.server.name = kafka.server
logger.server.level = INFO
"""


def server_properties(
    *,
    port: int,
    controller_port: int,
    data_dir: str,
    listen_host: str = HOST,
    advertised: str | None = None,
    num_partitions: int = 1,
    overrides: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Broker settings for one combined node; `overrides` win over the defaults."""
    for value in (port, controller_port):
        if not 0 < value < 65536:
            raise ValueError(f"invalid port {value}")
    if port == controller_port:
        raise ValueError("broker and controller ports must differ")
    if num_partitions < 1:
        raise ValueError("num_partitions must be >= 1")
    return {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{HOST}:{controller_port}",
        "listeners": f"PLAINTEXT://{listen_host}:{port},CONTROLLER://{HOST}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{advertised or f'{HOST}:{port}'}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": data_dir,
        "num.partitions": str(num_partitions),
        "auto.create.topics.enable": "true",
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # Test speed: no 3 s wait before the first group rebalance, one offsets partition.
        "group.initial.rebalance.delay.ms": "0",
        "offsets.topic.num.partitions": "1",
        **(overrides or {}),
    }


def render_properties(props: Mapping[str, str]) -> str:
    return "".join(f"{key}={value}\n" for key, value in props.items())


def render_log4j2_properties() -> str:
    return _LOG4J2_PROPERTIES


def new_cluster_id() -> str:
    """Same format as `StorageTool random-uuid`, without paying for a JVM start."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):  # Kafka rejects ids that look like CLI flags
            return text


def java_command(
    libs: Path,
    main_class: str,
    args: Sequence[str],
    *,
    heap: tuple[str, str],
    tmp_dir: Path,
    log4j_config: Path,
    extra_jvm: Sequence[str] = (),
) -> list[str]:
    return [
        "java",
        f"-Xms{heap[0]}",
        f"-Xmx{heap[1]}",
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Djava.io.tmpdir={tmp_dir}",
        f"-Dlog4j2.configurationFile={log4j_config}",
        *extra_jvm,
        "-cp",
        f"{libs}/*",
        main_class,
        *args,
    ]


@dataclass(frozen=True)
class KafkaLayout:
    """Where one broker keeps its files; everything lives under `workdir`."""

    workdir: Path

    @property
    def props(self) -> Path:
        return self.workdir / "server.properties"

    @property
    def log4j(self) -> Path:
        return self.workdir / "log4j2.properties"

    @property
    def data(self) -> Path:
        return self.workdir / "data"

    @property
    def tmp(self) -> Path:
        return self.workdir / "tmp"

    @property
    def logs(self) -> Path:
        return self.workdir / "logs"

    @property
    def log(self) -> Path:
        return self.workdir / "kafka.log"

    @property
    def pidfile(self) -> Path:
        return self.workdir / "kafka.pid"

    def java(self, libs: Path, main_class: str, args: Sequence[str], **kw: Any) -> list[str]:
        return java_command(libs, main_class, args, tmp_dir=self.tmp, log4j_config=self.log4j, **kw)


@dataclass
class KafkaNode:
    process: NativeProcess
    bootstrap: str
    layout: KafkaLayout
    argv: list[str] = field(default_factory=list)

    def stop(self) -> None:
        self.process.stop()

    def restart(self, timeout: float = DEFAULT_READY_TIMEOUT_S) -> None:
        """Start the broker again on the same port and data (after a crash, in fault tests)."""
        self.process.stop()
        self.process = NativeProcess.start(
            "kafka", self.argv, log=self.layout.log, pidfile=self.layout.pidfile,
            cwd=self.layout.workdir,
        )  # fmt: skip
        self.process.wait_ready(lambda: kafka_answers(self.bootstrap), timeout)


def start_kafka(
    workdir: Path,
    libs: Path,
    *,
    num_partitions: int = 1,
    overrides: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_READY_TIMEOUT_S,
) -> KafkaNode:
    """Format a fresh data dir under `workdir` and start the broker; returns once it answers."""
    port, controller_port = free_ports(2)
    layout = KafkaLayout(workdir)
    for directory in (layout.data, layout.tmp, layout.logs):
        directory.mkdir(parents=True, exist_ok=True)
    props = server_properties(
        port=port,
        controller_port=controller_port,
        data_dir=str(layout.data),
        num_partitions=num_partitions,
        overrides=overrides,
    )
    layout.props.write_text(render_properties(props))
    layout.log4j.write_text(render_log4j2_properties())
    _format_storage(libs, layout)
    argv = layout.java(
        libs,
        "kafka.Kafka",
        [str(layout.props)],
        heap=BROKER_HEAP,
        extra_jvm=[f"-Dkafka.logs.dir={layout.logs}"],
    )
    proc = NativeProcess.start("kafka", argv, log=layout.log, pidfile=layout.pidfile, cwd=workdir)
    bootstrap = f"{HOST}:{port}"
    proc.wait_ready(lambda: port_open(HOST, port) and kafka_answers(bootstrap), timeout)
    return KafkaNode(proc, bootstrap, layout, argv)


def _format_storage(libs: Path, layout: KafkaLayout) -> None:
    argv = layout.java(
        libs,
        "kafka.tools.StorageTool",
        ["format", "-t", new_cluster_id(), "-c", str(layout.props)],
        heap=TOOL_HEAP,
        extra_jvm=["-XX:TieredStopAtLevel=1"],  # short-lived JVM: skip C2 warm-up
    )
    with layout.log.open("ab") as out:
        result = subprocess.run(
            argv, stdout=out, stderr=subprocess.STDOUT, timeout=_FORMAT_TIMEOUT_S, check=False
        )
    if result.returncode != 0:
        raise ProcessStartError(
            f"kafka storage format failed (exit {result.returncode}); "
            f"log {layout.log}:\n{tail(layout.log)}"
        )


def kafka_answers(bootstrap: str, timeout: float = 5.0) -> bool:
    """True once the broker serves metadata with itself registered."""

    async def probe() -> bool:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
        try:
            await asyncio.wait_for(admin.start(), timeout)
            cluster = await asyncio.wait_for(admin.describe_cluster(), timeout)
            return bool(cluster.get("brokers"))
        finally:
            await admin.close()

    try:
        return run_in_fresh_loop(probe)
    except Exception:  # any failure just means "not ready yet"
        return False
