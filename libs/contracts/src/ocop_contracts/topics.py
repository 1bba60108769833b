"""Kafka topics: one canonical topic per owning service, one ingest topic per service that accepts
events from province systems, and a dead-letter topic beside each topic that is consumed."""

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

DLQ_SUFFIX: Final = ".dlq"


def dead_letter_topic(topic: str) -> str:
    return f"{topic}{DLQ_SUFFIX}"


def all_topics() -> tuple[str, ...]:
    """Every topic the platform uses, dead-letter topics included (for provisioning)."""
    consumed = CANONICAL + INGEST
    return consumed + tuple(dead_letter_topic(t) for t in consumed)
