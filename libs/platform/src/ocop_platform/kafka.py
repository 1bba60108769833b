"""Broker construction and the Kafka side of the outbox and the dead-letter topic."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from aiokafka.structs import RecordMetadata
from faststream.kafka import KafkaBroker

from ocop_platform.outbox import OutboxRecord
from ocop_platform.settings import ServiceSettings


def create_broker(settings: ServiceSettings, **options: Any) -> KafkaBroker:
    """Idempotent producer (acks=all implied), so a retried send never duplicates or reorders."""
    return KafkaBroker(
        settings.kafka_bootstrap,
        client_id=f"ocop-{settings.service_name}",
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        graceful_timeout=10.0,
        description=f"OCOP {settings.service_name} service",
        log_level=logging.DEBUG,  # per-message "Received/Processed" lines: debug, not info
        **options,
    )


class KafkaRecordSink:
    """Sends outbox records through the broker's producer and waits for every acknowledgement."""

    def __init__(self, broker: KafkaBroker) -> None:
        self._broker = broker

    async def send_batch(self, records: Sequence[OutboxRecord]) -> None:
        pending: list[asyncio.Future[RecordMetadata]] = []
        for record in records:
            # Enqueue in order without waiting; the idempotent producer keeps per-partition order.
            future = await self._broker.publish(
                record.value,
                record.topic,
                key=record.key.encode(),
                headers=record.headers,
                correlation_id=record.correlation_id or None,
                no_confirm=True,
            )
            pending.append(future)
        await asyncio.gather(*pending)
