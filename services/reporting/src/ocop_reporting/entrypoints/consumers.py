"""What reporting reacts to: the projections' table of event types (`adapters.projections`),
one subscription per topic they come from, and the ingest topic of province targets. The rebuild
CLI replays the same fact subscriptions."""

from ocop_contracts import Event, TargetUpdated, topics
from ocop_contracts.catalog import TOPIC_OF
from ocop_platform.consumer import Handler, Subscription
from ocop_reporting.service_layer.services import ReportingService


def fact_subscriptions(service: ReportingService) -> list[Subscription]:
    """The canonical topics the read models are derived from (replayed by the rebuild). A batch's
    summary writes are held and written once per document at its end, before its commit
    (`prefetch`: it wraps the batch's handling; the rebuild holds and flushes its own)."""
    by_topic: dict[str, dict[type[Event], Handler]] = {}
    for event_type in service.projected_types:
        by_topic.setdefault(TOPIC_OF[event_type], {})[event_type] = service.on_fact
    return [
        Subscription(topic, handlers, prefetch=service.facts_batch)
        for topic, handlers in by_topic.items()
    ]


def subscriptions(service: ReportingService) -> list[Subscription]:
    return [
        *fact_subscriptions(service),
        # Province systems publish targets here; anything unreadable is dead-lettered.
        Subscription(
            topics.INGEST_REPORTING,
            {TargetUpdated: service.on_target_ingested},
            unknown_types="dead_letter",
        ),
    ]
