"""The JSON Schemas and AsyncAPI documents in the repo are what the code generates today."""

from ocop_contracts import EVENT_TYPES
from ocop_devstack.config import workspace_root
from ocop_devstack.published import published_files, stale_files
from ocop_devstack.services import SERVICES


def test_checked_in_schemas_and_asyncapi_match_the_code() -> None:
    stale = [str(p.relative_to(workspace_root())) for p in stale_files()]
    assert stale == [], f"regenerate with ./dev contracts: {stale}"


def test_every_event_has_a_schema_and_every_service_an_asyncapi_document() -> None:
    names = {p.name for p in published_files()}
    assert {f"{t}.v1.schema.json" for t in EVENT_TYPES} <= names
    assert {f"{s}.json" for s in SERVICES} <= names
