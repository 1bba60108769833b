"""One service on a stack of its own, for the benches that measure it without the national load
(bench/evaluation_ingest.py, bench/promotion_feed.py): its own FerretDB and Kafka in a temporary
directory, and the service started through its entrypoint.

    with single_service_stack("promotion", namespace="feed") as stack:
        asyncio.run(measure(stack.services, stack.store.process.pid, ...))

A context manager for plain ``with``, not ``async with``: the processes are started and stopped
from the main thread outside any event loop, as process.py wants for its SIGTERM/SIGHUP
handling, and the bench runs its loop inside.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ocop_devstack.ferretdb import FerretNode, start_ferretdb
from ocop_devstack.kafka import KafkaNode, start_kafka
from ocop_devstack.provision import provision_all
from ocop_devstack.services import ServiceStack


@dataclass(frozen=True)
class BenchStack:
    store: FerretNode
    kafka: KafkaNode
    services: ServiceStack


@contextlib.contextmanager
def single_service_stack(service: str, namespace: str) -> Iterator[BenchStack]:
    """The stack with ``service`` ready; ``namespace`` names its databases and groups. Whatever
    was started is stopped on exit, newest first, even when a stop fails."""
    provisioned = provision_all()
    with (
        tempfile.TemporaryDirectory(prefix=f"ocop-{service}-{namespace}-") as tmp,
        contextlib.ExitStack() as started,
    ):
        workdir = Path(tmp)
        store = start_ferretdb(workdir / "ferretdb", provisioned.ferretdb_binary)
        started.callback(store.stop)
        kafka = start_kafka(workdir / "kafka", provisioned.kafka_libs, num_partitions=3)
        started.callback(kafka.stop)
        services = ServiceStack.on_free_ports(
            kafka.bootstrap,
            store.mongo_url,
            workdir / "services",
            namespace=namespace,
            services=[service],
        )
        started.callback(services.stop_all)
        services.start_all([service])
        yield BenchStack(store, kafka, services)
