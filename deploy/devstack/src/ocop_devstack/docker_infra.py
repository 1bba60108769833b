"""Kafka + MongoDB in Docker via testcontainers, used only when a Docker engine answers.

testcontainers and docker are dev-only dependencies, so they are imported lazily.
testcontainers' KafkaContainer drives Confluent image scripts and cannot run the official
apache/kafka image, so Kafka runs as a generic container configured through KAFKA_* env vars.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ocop_devstack.config import KAFKA_VERSION
from ocop_devstack.ferretdb import mongo_answers
from ocop_devstack.kafka import kafka_answers, server_properties
from ocop_devstack.process import DEFAULT_READY_TIMEOUT_S, free_ports

KAFKA_IMAGE = f"apache/kafka:{KAFKA_VERSION}"
MONGO_IMAGE = "mongo:8"
_CONTAINER_PORT = 9092
_CONTAINER_CONTROLLER_PORT = 9093


def docker_available(timeout: float = 3.0) -> tuple[bool, str]:
    """(answers, reason): whether a Docker engine responds to ping within `timeout`."""
    try:
        docker: Any = importlib.import_module("docker")
    except ImportError:
        return False, "the `docker` Python package is not installed"
    try:
        client = docker.from_env(timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # any failure means "no usable engine"
        return False, f"no Docker engine answered ({type(exc).__name__})"
    return True, "a Docker engine answered ping"


def kafka_container_env(
    host: str,
    host_port: int,
    num_partitions: int = 1,
    overrides: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """KAFKA_* variables for the apache/kafka image (dots become underscores)."""
    props = server_properties(
        port=_CONTAINER_PORT,
        controller_port=_CONTAINER_CONTROLLER_PORT,
        data_dir="/tmp/kraft-combined-logs",
        listen_host="0.0.0.0",
        advertised=f"{host}:{host_port}",
        num_partitions=num_partitions,
        overrides=overrides,
    )
    return {"KAFKA_" + key.upper().replace(".", "_"): value for key, value in props.items()}


@dataclass
class DockerServices:
    kafka_bootstrap: str
    mongo_url: str
    containers: list[Any]

    def stop(self) -> None:
        for container in reversed(self.containers):
            container.stop()
        self.containers.clear()


def start_docker_services(
    *,
    num_partitions: int = 1,
    overrides: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_READY_TIMEOUT_S,
) -> DockerServices:
    core = importlib.import_module("testcontainers.core.container")
    mongodb = _import_first("testcontainers.community.mongodb", "testcontainers.mongodb")
    services = DockerServices("", "", [])
    try:
        mongo = mongodb.MongoDbContainer(MONGO_IMAGE).start()
        services.containers.append(mongo)
        services.mongo_url = mongo.get_connection_url()
        kafka = core.DockerContainer(KAFKA_IMAGE)
        # The advertised address must be known before start, so bind a fixed free host port.
        (host_port,) = free_ports(1)
        host = kafka.get_docker_client().host()
        kafka.with_bind_ports(_CONTAINER_PORT, host_port)
        kafka.with_envs(**kafka_container_env(host, host_port, num_partitions, overrides))
        services.containers.append(kafka.start())
        services.kafka_bootstrap = f"{host}:{host_port}"
        _wait(lambda: kafka_answers(services.kafka_bootstrap), timeout, "Kafka container")
        _wait(lambda: mongo_answers(services.mongo_url), timeout, "MongoDB container")
    except BaseException:
        services.stop()
        raise
    return services


def _import_first(*names: str) -> Any:
    # testcontainers 4.15 moved modules under `community`; older releases only have the old path.
    for name in names[:-1]:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return importlib.import_module(names[-1])


def _wait(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {timeout:.0f}s")
        time.sleep(0.5)
