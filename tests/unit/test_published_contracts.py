"""The JSON Schemas and AsyncAPI documents in the repo are what the code generates today."""

from ocop_contracts import EVENT_TYPES
from ocop_contracts.schema import SCHEMA_DIR, schema_version_of
from ocop_devstack.config import workspace_root
from ocop_devstack.published import published_files, stale_files
from ocop_devstack.services import SERVICES


def test_checked_in_schemas_and_asyncapi_match_the_code() -> None:
    stale = [str(p.relative_to(workspace_root())) for p in stale_files()]
    assert stale == [], f"regenerate with ./dev contracts: {stale}"


def test_every_event_has_a_schema_and_every_service_an_asyncapi_document() -> None:
    names = {p.name for p in published_files()}
    assert {f"{t}.v{schema_version_of(c)}.schema.json" for t, c in EVENT_TYPES.items()} <= names
    assert {f"{s}.json" for s in SERVICES} <= names


def test_the_schemas_of_older_versions_stay_published_for_their_readers() -> None:
    # A version bump keeps the older schema beside the new one (hand-made and province-system
    # events still use it); it is history, no longer generated.
    for name, cls in EVENT_TYPES.items():
        for version in range(1, schema_version_of(cls)):
            assert (SCHEMA_DIR / f"{name}.v{version}.schema.json").exists(), (name, version)
