"""`ocop-dev contracts [--check]`: the contracts as published for people outside Python —
JSON Schema per event (libs/contracts/schemas) and an AsyncAPI document per service
(docs/asyncapi), generated from the code and checked in; --check fails when they drifted."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from ocop_contracts.schema import SCHEMA_DIR, event_schemas, render
from ocop_devstack.cli import Command
from ocop_devstack.config import workspace_root
from ocop_platform.runtime import asyncapi_document


def commands() -> list[Command]:
    return [
        Command("contracts", "write (or --check) JSON Schemas and AsyncAPI docs", _options, _run)
    ]


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check", action="store_true", help="fail if the files differ; write nothing"
    )


def asyncapi_dir() -> Path:
    return workspace_root() / "docs" / "asyncapi"


def _service_factories() -> dict[str, Callable[[], FastAPI]]:
    from ocop_evaluation.main import create_app as evaluation
    from ocop_promotion.main import create_app as promotion
    from ocop_registry.main import create_app as registry
    from ocop_reporting.main import create_app as reporting

    return {
        "registry": registry,
        "evaluation": evaluation,
        "promotion": promotion,
        "reporting": reporting,
    }


def published_files() -> dict[Path, str]:
    """Every generated file and its expected content (creating the apps does no I/O)."""
    files = {SCHEMA_DIR / name: render(schema) for name, schema in event_schemas().items()}
    for name, factory in _service_factories().items():
        app = factory()
        document: dict[str, Any] = asyncapi_document(app.state.infra.broker, app.title)
        files[asyncapi_dir() / f"{name}.json"] = (
            json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        )
    return files


def stale_files() -> list[Path]:
    return [
        path
        for path, text in published_files().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def _run(args: argparse.Namespace) -> int:
    files = published_files()
    stale = stale_files()
    if args.check:
        if stale:
            names = ", ".join(str(p.relative_to(workspace_root())) for p in stale)
            print(f"out of date: {names}; run ./dev contracts", file=sys.stderr)
            return 1
        print(f"{len(files)} published contract files are up to date")
        return 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[path], encoding="utf-8")
    print(f"{len(stale)} of {len(files)} published contract files written")
    return 0
