"""Registrations published by province systems on ``ocop.ingest.registry.v1``. Pure: no I/O.

A province system publishes the registry's own contract events, EntityRegistered and
ProductRegistered. It names itself in ``producer`` and its province in ``province_code``: the
message's declared source. The ids inside (``entity_id``, ``product_id``) are the province
system's own. Like evaluation's ingest, the registry keys each record by its source,
``<province_code>:<producer>:<id>``, and derives its own id from that key: a record sent again,
under the same or a new event id, lands on the same document and is registered once.

The first message of a record is kept on its document with a fingerprint of its content. A later
message with the same source key is

- the same message again (same event id): a redelivery, already handled;
- a duplicate (new event id, same content): acknowledged, nothing registered again;
- a conflict (other content): rejected, naming what differs (changes are not registrations).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ocop_contracts import Event
from ocop_contracts.events.registry import EntityRegistered, ProductRegistered
from ocop_contracts.reference import normalize_vi

ENTITY_PREFIX = "ent"
PRODUCT_PREFIX = "prd"


class Resend(StrEnum):
    SAME_MESSAGE = "same_message"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class IngestSource:
    """Where an ingested record came from; kept on the producer or product as ``source``."""

    system: str  # the province system (envelope producer)
    province_code: str  # the declared source province
    id: str  # the record's id in the province system
    event_id: str  # the first message registering it
    fingerprint: str
    content: dict[str, Any]

    @property
    def key(self) -> str:
        return source_key(self.province_code, self.system, self.id)


def source_key(province_code: str, system: str, record_id: str) -> str:
    """A province system's ids are its own: unique per declared province and system."""
    return f"{province_code}:{system}:{record_id}"


def registry_id(prefix: str, key: str) -> str:
    """The registry's id of the record with source ``key``: the same key, the same id."""
    return f"{prefix}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def entity_source(event: EntityRegistered) -> IngestSource:
    return _source(
        event,
        event.entity_id,
        name=normalize_vi(event.name),
        legal_form=event.legal_form.value,
        commune_code=event.commune_code,
        women_led=event.women_led,
        ethnic_minority_led=event.ethnic_minority_led,
        disability_led=event.disability_led,
        **_history(event),
    )


def product_source(event: ProductRegistered) -> IngestSource:
    return _source(
        event,
        event.product_id,
        product_code=event.product_code,
        name=normalize_vi(event.name),
        entity_id=event.entity_id,
        legal_form=event.legal_form.value,
        scoring_set_code=event.scoring_set_code,
        commune_code=event.commune_code,
        **_history(event),
    )


def _history(event: EntityRegistered | ProductRegistered) -> dict[str, Any]:
    """The registration day and old unit, only when given: a record sent before they were read
    keeps its fingerprint."""
    found: dict[str, Any] = {}
    if event.registered_on is not None:
        found["registered_on"] = event.registered_on.isoformat()
    if event.legacy_unit is not None:
        found["legacy_unit"] = event.legacy_unit.model_dump(mode="json", exclude_none=True)
    return found


def _source(event: Event, record_id: str, **content: Any) -> IngestSource:
    """``content``: what the registry takes from the message (compared on a re-send)."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    fingerprint = hashlib.sha256(canonical.encode()).hexdigest()
    return IngestSource(
        event.producer, event.province_code, record_id, str(event.event_id), fingerprint, content
    )


def classify(first: IngestSource, message: IngestSource) -> Resend:
    """How ``message`` relates to the ``first`` message recorded under the same source key."""
    if message.event_id == first.event_id:
        return Resend.SAME_MESSAGE
    if message.fingerprint == first.fingerprint:
        return Resend.DUPLICATE
    return Resend.CONFLICT


def conflict_reason(first: IngestSource, message: IngestSource, registered_as: str) -> str:
    changes = "; ".join(
        f"{name} {first.content.get(name)!r} → {value!r}"
        for name, value in sorted(message.content.items())
        if value != first.content.get(name)
    )
    return (
        f"{message.system}'s record {message.id} was registered as {registered_as} from event "
        f"{first.event_id} with other content ({changes}); a registration is not re-sent to "
        "change a record"
    )
