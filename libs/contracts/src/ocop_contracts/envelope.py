"""The envelope every integration event travels in (DESIGN §3).

Events are frozen pydantic models: the envelope fields first, then the payload fields of the
concrete event. Each concrete event pins ``type`` to its wire name with a ``Literal``. Consumers
ignore fields they do not know, so a contract can grow additively; a breaking change is a new
``schema_version``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID, uuid4

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from ocop_contracts.clock import utc_now


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
ProvinceCode = Annotated[str, StringConstraints(pattern=r"^\d{2}$")]
CommuneCode = Annotated[str, StringConstraints(pattern=r"^\d{5}$")]
AggregateId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
ProducerName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9.-]{1,62}$")]


class Event(BaseModel):
    """Base of every integration event; never published on its own."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: UUID = Field(default_factory=uuid4, description="Unique id; consumers dedupe on it.")
    type: str = Field(description="Wire name of the event, e.g. ProductRated.")
    schema_version: int = Field(default=1, ge=1)
    occurred_at: UtcDatetime = Field(default_factory=utc_now)
    producer: ProducerName = Field(description="Service or province system that emitted it.")
    aggregate_id: AggregateId = Field(
        description="Kafka key: one aggregate's events stay in order."
    )
    aggregate_version: int = Field(ge=1, description="Monotonic per aggregate.")
    province_code: ProvinceCode = Field(
        description="Province (2025 code) the aggregate belongs to."
    )
    correlation_id: UUID = Field(default_factory=uuid4)
    causation_id: UUID | None = None

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json().encode()
