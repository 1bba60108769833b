"""The benchmark's command profile: shapes without values, totals per shape, a file per process."""

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ocop_platform.command_profile import CommandProfile, command_shape, shape_of


def test_a_filter_shape_keeps_fields_and_operators_not_values() -> None:
    assert shape_of({"_id": {"$in": [1, 2]}, "version": 3}) == "{_id:$in, version}"
    assert shape_of({"$or": [{"a": 1}, {"b": {"$gt": 2}}]}) == "{$or[{a} {b:$gt}]}"
    assert shape_of(None) == ""


def test_a_write_command_counts_its_statements() -> None:
    update = {
        "update": "products",
        "updates": [{"q": {"_id": "a", "version": 1}, "u": {"$set": {}, "$push": {}}}] * 3,
    }
    shape = "update db.products {_id, version} $push,$set"
    assert command_shape("db", "update", update) == (shape, 3)
    insert = {"insert": "feed", "documents": [{}, {}]}
    assert command_shape("db", "insert", insert) == ("insert db.feed", 2)


def started(request_id: int, command: dict[str, Any]) -> Any:
    name = next(iter(command))
    return SimpleNamespace(
        database_name="db", command_name=name, command=command, request_id=request_id,
        connection_id=("h", 1),
    )  # fmt: skip


def replied(request_id: int, micros: int) -> Any:
    return SimpleNamespace(request_id=request_id, connection_id=("h", 1), duration_micros=micros)


def test_totals_per_shape_are_written_to_the_process_file(tmp_path: Path) -> None:
    path = tmp_path / "1.json"
    profile = CommandProfile(path)
    for request_id in (1, 2):
        profile.started(started(request_id, {"find": "products", "filter": {"_id": "x"}}))
        profile.succeeded(replied(request_id, micros=2500))
    profile.write()
    totals = json.loads(path.read_text())
    assert totals == {"find db.products {_id}": {"commands": 2, "statements": 2, "seconds": 0.005}}
