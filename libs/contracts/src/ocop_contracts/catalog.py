"""Which event types exist, which topic each belongs to, and how to read one off the wire."""

from collections.abc import Mapping
from typing import Final

from pydantic import BaseModel, ValidationError

from ocop_contracts.envelope import Event
from ocop_contracts.events import MODULES

TOPIC_OF: Final[Mapping[type[Event], str]] = {
    cls: module.TOPIC for module in MODULES for cls in module.EVENTS
}

EVENT_TYPES: Final[Mapping[str, type[Event]]] = {
    cls.model_fields["type"].default: cls for cls in TOPIC_OF
}


class UnreadableEvent(ValueError):
    """The bytes are not an event this code can read; ``reason`` says why, for a dead letter."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnknownEventType(UnreadableEvent):
    def __init__(self, type_name: str) -> None:
        super().__init__(f"unknown event type {type_name!r}")
        self.type_name = type_name


class _Header(BaseModel):
    type: str
    schema_version: int = 1


def topic_of(event: Event) -> str:
    return TOPIC_OF[type(event)]


def type_name(cls: type[Event]) -> str:
    name = cls.model_fields["type"].default
    assert isinstance(name, str)
    return name


def parse_event(raw: bytes, accepted: Mapping[str, type[Event]] = EVENT_TYPES) -> Event:
    """Decode and validate one message. Raises UnreadableEvent with a human-readable reason."""
    try:
        header = _Header.model_validate_json(raw)
    except ValidationError as exc:
        raise UnreadableEvent(f"not an event envelope: {_first_error(exc)}") from exc
    cls = accepted.get(header.type)
    if cls is None:
        raise UnknownEventType(header.type)
    known = cls.model_fields["schema_version"].default
    if header.schema_version > known:
        # A breaking change is a new schema version: reading it with an older model would
        # silently misread it. Dead-letter it until this consumer is upgraded.
        raise UnreadableEvent(
            f"{header.type} schema_version {header.schema_version} is newer than {known}, "
            "the newest this consumer reads"
        )
    try:
        return cls.model_validate_json(raw)
    except ValidationError as exc:
        raise UnreadableEvent(f"invalid {header.type}: {_first_error(exc)}") from exc


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    details = "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(message)'}: {err['msg']}" for err in errors[:3]
    )
    more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
    return details + more
