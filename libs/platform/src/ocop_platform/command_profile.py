"""Where a service's store time goes: every command it sends, counted and timed by its shape.

A benchmark aid, off unless OCOP_MONGO_PROFILE names a directory. Then each process keeps, per
shape (database, command, collection, the filter's fields and operators, e.g.
``find evaluation.products {_id:$in}``), how many commands it sent, the documents they carried
and the seconds until their replies, and rewrites ``<dir>/<pid>.json`` with those totals at most
every WRITE_EVERY seconds. A benchmark reads the files before and after a phase and prints the
difference (bench/national.py --profile). The seconds are the client's: they include the wait
for the store's one connection, so on a shared FerretDB they show what each command waited for,
not only what it cost.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymongo import monitoring

PROFILE_ENV = "OCOP_MONGO_PROFILE"
WRITE_EVERY = 1.0
# Commands that carry their statements in a list, and the list's key.
STATEMENTS = {"update": "updates", "delete": "deletes", "insert": "documents"}


@dataclass
class Totals:
    commands: int = 0
    statements: int = 0
    seconds: float = 0.0


def shape_of(value: Any) -> str:
    """A filter's fields and operators without its values: {_id:$in, status}."""
    if not isinstance(value, Mapping):
        return ""
    parts = []
    for key, inner in value.items():
        if isinstance(inner, Mapping) and inner and all(str(k).startswith("$") for k in inner):
            parts.append(f"{key}:{','.join(sorted(inner))}")
        elif key in ("$and", "$or") and isinstance(inner, list):
            parts.append(f"{key}[{' '.join(shape_of(i) for i in inner)}]")
        else:
            parts.append(str(key))
    return "{" + ", ".join(sorted(parts)) + "}"


def command_shape(database: str, name: str, command: Mapping[str, Any]) -> tuple[str, int]:
    """The command's shape and how many statements (documents, updates, deletes) it carries."""
    collection = command.get(name)
    target = f"{database}.{collection}" if isinstance(collection, str) else database
    if name in STATEMENTS:
        statements = command.get(STATEMENTS[name]) or []
        first = statements[0] if statements else {}
        what = "" if name == "insert" else shape_of(first.get("q"))
        if name == "update" and isinstance(first.get("u"), Mapping):
            what += " " + ",".join(sorted(first["u"]))
        return f"{name} {target} {what}".strip(), len(statements)
    if name in ("find", "count", "delete", "findAndModify", "distinct"):
        return f"{name} {target} {shape_of(command.get('filter', command.get('query')))}", 1
    if name == "aggregate":
        stages = [next(iter(stage), "?") for stage in command.get("pipeline") or []]
        match = next((s["$match"] for s in command.get("pipeline") or [] if "$match" in s), None)
        return f"aggregate {target} {'|'.join(stages)} {shape_of(match)}".strip(), 1
    return f"{name} {target}", 1


class CommandProfile(monitoring.CommandListener):
    """Totals per command shape, written to a JSON file now and then (see the module)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._started: dict[tuple[int, Any], str] = {}
        self._totals: dict[str, Totals] = {}
        self._written = 0.0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        shape, statements = command_shape(event.database_name, event.command_name, event.command)
        self._started[(event.request_id, event.connection_id)] = shape
        totals = self._totals.setdefault(shape, Totals())
        totals.commands += 1
        totals.statements += statements

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._finish(event.request_id, event.connection_id, event.duration_micros)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._finish(event.request_id, event.connection_id, event.duration_micros)

    def _finish(self, request_id: int, connection_id: Any, micros: int) -> None:
        shape = self._started.pop((request_id, connection_id), None)
        if shape is not None:
            self._totals[shape].seconds += micros / 1e6
        if time.monotonic() - self._written >= WRITE_EVERY:
            self.write()

    def write(self) -> None:
        self._written = time.monotonic()
        totals = {shape: vars(t) for shape, t in self._totals.items()}
        scratch = self._path.with_suffix(".tmp")
        scratch.write_text(json.dumps(totals))
        scratch.replace(self._path)  # a reader never sees half a file


def listeners_from_env() -> list[monitoring.CommandListener]:
    """The profile's listener when OCOP_MONGO_PROFILE names a directory, else none."""
    directory = os.environ.get(PROFILE_ENV)
    if not directory:
        return []
    Path(directory).mkdir(parents=True, exist_ok=True)
    return [CommandProfile(Path(directory) / f"{os.getpid()}.json")]
