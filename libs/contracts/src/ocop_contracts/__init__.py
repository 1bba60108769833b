"""OCOP integration contracts: the event envelope, the events, their topics and reference data."""

from ocop_contracts.catalog import (
    EVENT_TYPES,
    TOPIC_OF,
    UnknownEventType,
    UnreadableEvent,
    parse_event,
    topic_of,
    type_name,
)
from ocop_contracts.clock import Clock, business_date, today_in_vietnam, utc_now
from ocop_contracts.envelope import Event
from ocop_contracts.events import EntityRegistered, ProductRated, ProductRegistered, TargetUpdated
from ocop_contracts.vocabulary import LegalForm, RatingLevel, TargetMetric, TargetUnit

__all__ = [
    "EVENT_TYPES",
    "TOPIC_OF",
    "Clock",
    "EntityRegistered",
    "Event",
    "LegalForm",
    "ProductRated",
    "ProductRegistered",
    "RatingLevel",
    "TargetMetric",
    "TargetUnit",
    "TargetUpdated",
    "UnknownEventType",
    "UnreadableEvent",
    "business_date",
    "parse_event",
    "today_in_vietnam",
    "topic_of",
    "type_name",
    "utc_now",
]
