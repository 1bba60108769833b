"""JSON Schema of every event, for consumers outside Python (checked in under schemas/)."""

import json
from pathlib import Path
from typing import Any

from ocop_contracts.catalog import EVENT_TYPES, TOPIC_OF

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def event_schemas() -> dict[str, dict[str, Any]]:
    """File name → JSON Schema of one event type (validation mode, as a consumer reads it)."""
    out: dict[str, dict[str, Any]] = {}
    for name, cls in sorted(EVENT_TYPES.items()):
        schema = cls.model_json_schema(mode="validation")
        schema["$id"] = f"urn:ocop:event:{name}:v{schema_version_of(cls)}"
        schema["x-topic"] = TOPIC_OF[cls]
        out[f"{name}.v{schema_version_of(cls)}.schema.json"] = schema
    return out


def schema_version_of(cls: type) -> int:
    default = cls.model_fields["schema_version"].default  # type: ignore[attr-defined]
    return int(default)


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
