"""Creates the topics a service uses when they are missing (development and tests)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

log = logging.getLogger(__name__)


async def ensure_topics(
    bootstrap: str, names: Iterable[str], partitions: int = 3, replication_factor: int = 1
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="ocop-topic-setup")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = sorted(set(names) - existing)
        if not missing:
            return
        new = [
            NewTopic(name, num_partitions=partitions, replication_factor=replication_factor)
            for name in missing
        ]
        with contextlib.suppress(TopicAlreadyExistsError):  # another service was first
            await admin.create_topics(new)
        log.info("created topics", extra={"topics": missing})
    finally:
        await admin.close()
