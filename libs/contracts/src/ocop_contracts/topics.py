"""Kafka topics: one canonical topic per owning service, one ingest topic per service that accepts
events from province systems, and a dead-letter topic beside each topic that is consumed."""

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

REGISTRY: Final = "ocop.registry.v1"
EVALUATION: Final = "ocop.evaluation.v1"
PROMOTION: Final = "ocop.promotion.v1"
REPORTING: Final = "ocop.reporting.v1"
CANONICAL: Final = (REGISTRY, EVALUATION, PROMOTION, REPORTING)

INGEST_REGISTRY: Final = "ocop.ingest.registry.v1"
INGEST_EVALUATION: Final = "ocop.ingest.evaluation.v1"
INGEST_REPORTING: Final = "ocop.ingest.reporting.v1"
INGEST: Final = (INGEST_REGISTRY, INGEST_EVALUATION, INGEST_REPORTING)

# No message from outside may exhaust a consumer's memory: an ingest message larger than its
# type's limit is dead-lettered unread. A rating or a registration is one or two KB of JSON;
# the limits leave room for long Vietnamese names, notes and a full table of part scores.
INGEST_MAX_BYTES: Final[Mapping[str, int]] = MappingProxyType(
    {
        "ProductRated": 8 * 1024,
        "EntityRegistered": 16 * 1024,
        "ProductRegistered": 16 * 1024,
        "TargetUpdated": 16 * 1024,
    }
)
INGEST_DEFAULT_MAX_BYTES: Final = 16 * 1024

DLQ_SUFFIX: Final = ".dlq"


def ingest_limit(type_name: str) -> int:
    """Largest accepted size, in bytes, of one ``type_name`` message on an ingest topic."""
    return INGEST_MAX_BYTES.get(type_name, INGEST_DEFAULT_MAX_BYTES)


def dead_letter_topic(topic: str) -> str:
    return f"{topic}{DLQ_SUFFIX}"


def all_topics() -> tuple[str, ...]:
    """Every topic the platform uses, dead-letter topics included (for provisioning)."""
    consumed = CANONICAL + INGEST
    return consumed + tuple(dead_letter_topic(t) for t in consumed)
