"""Re-sent ratings from province systems. Pure.

A province system names each of its ratings with its own ``source_rating_id``. Kafka producers
re-send (a retry after a timeout, a replay after a restore), sometimes under a new event id, so
the event id alone cannot tell a re-send from a new rating. The first message of a source rating
is recorded with a fingerprint of its content; a later message with the same source rating id is

- the same message again (same event id): a redelivery, handled as the first was;
- a duplicate (new event id, same content): acknowledged, no new rating;
- a conflict (different content): rejected, since a source rating cannot say two things (a
  correction is a new rating of the province system, with a new source rating id).

The content is what evaluation takes from the message: product, score, stars, level, date,
round and parts. The envelope (event id, times, correlation) and what evaluation works out
itself (rule set, previous stars, scoring set, commune) are not compared.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ocop_contracts import ProductRated


class Resend(StrEnum):
    FIRST = "first"
    SAME_MESSAGE = "same_message"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class SourceRating:
    """What is kept of the first message of one source rating (``key`` is its ``_id``)."""

    key: str
    source_rating_id: str
    event_id: str
    fingerprint: str
    content: dict[str, Any]

    @classmethod
    def of(cls, event: ProductRated) -> SourceRating | None:
        """None when the message names no source rating: each event id is then a rating."""
        if event.source_rating_id is None:
            return None
        content = rating_content(event)
        return cls(
            source_key(event),
            event.source_rating_id,
            str(event.event_id),
            fingerprint(content),
            content,
        )


def source_key(event: ProductRated) -> str:
    """Source ids are the province system's own: unique per province and producing system."""
    return f"{event.province_code}:{event.producer}:{event.source_rating_id}"


def rating_content(event: ProductRated) -> dict[str, Any]:
    return {
        "product_id": event.product_id,
        "score": event.score,
        "stars": event.stars,
        "level": event.level.value,
        "rated_on": event.rated_on.isoformat(),
        "round_id": event.round_id,
        "parts": None if event.parts is None else dict(sorted(event.parts.items())),
    }


def fingerprint(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def classify(first: SourceRating, message: SourceRating) -> Resend:
    """How ``message`` relates to the ``first`` message recorded under the same key."""
    if message.event_id == first.event_id:
        return Resend.SAME_MESSAGE
    if message.fingerprint == first.fingerprint:
        return Resend.DUPLICATE
    return Resend.CONFLICT


def conflict_reason(first: SourceRating, message: SourceRating) -> str:
    differing = sorted(
        name for name in message.content if message.content[name] != first.content.get(name)
    )
    changes = "; ".join(
        f"{name} {_shown(first.content.get(name))} → {_shown(message.content[name])}"
        for name in differing
    )
    return (
        f"source rating {message.source_rating_id} was first received as event "
        f"{first.event_id} with other content ({changes}); a source rating id names one "
        "rating, so send a correction under a new source rating id"
    )


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_shown(v)}" for k, v in value.items()) + "}"
    return "none" if value is None else str(value)
