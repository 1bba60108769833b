"""Versions, paths and environment settings. Pure functions only: no I/O at import time."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

KAFKA_VERSION = "4.1.1"
FERRETDB_VERSION = "v1.24.2"
FERRETDB_PACKAGE = "github.com/FerretDB/FerretDB"

InfraMode = Literal["env", "docker", "native"]
INFRA_MODES: tuple[InfraMode, ...] = get_args(InfraMode)

ENV_CACHE_DIR = "OCOP_CACHE_DIR"
ENV_INFRA = "OCOP_INFRA"
ENV_KAFKA_BOOTSTRAP = "OCOP_KAFKA_BOOTSTRAP"
ENV_MONGO_URL = "OCOP_MONGO_URL"


class DevstackConfigError(ValueError):
    """A setting or a required path is invalid; the message says how to fix it."""


def workspace_root() -> Path:
    """The uv workspace root (the git clone); the package is installed editable from it."""
    # src/ocop_devstack/config.py -> parents: ocop_devstack, src, devstack, deploy, <root>
    return Path(__file__).resolve().parents[4]


def native_dir() -> Path:
    """deploy/native: the Maven POM and the Go module that pin the native infrastructure."""
    path = Path(__file__).resolve().parents[3] / "native"
    if not (path / "kafka-pom.xml").is_file() or not (path / "ferretdb" / "go.mod").is_file():
        raise DevstackConfigError(
            f"deploy/native not found at {path} (expected kafka-pom.xml and ferretdb/go.mod). "
            "ocop-devstack must be installed editable from the workspace (`uv sync` in the clone)."
        )
    return path


def cache_dir(env: Mapping[str, str] | None = None, home: Path | None = None) -> Path:
    """Provisioning cache: $OCOP_CACHE_DIR, else $XDG_CACHE_HOME/ocop, else ~/.cache/ocop."""
    env = os.environ if env is None else env
    if explicit := env.get(ENV_CACHE_DIR, "").strip():
        return Path(explicit).expanduser().resolve()
    if xdg := env.get("XDG_CACHE_HOME", "").strip():
        return (Path(xdg).expanduser() / "ocop").resolve()
    return ((home or Path.home()) / ".cache" / "ocop").resolve()


def checked_cache_dir(env: Mapping[str, str] | None = None, repo_root: Path | None = None) -> Path:
    """cache_dir(), refusing a location inside the git clone (never commit jars or binaries)."""
    path = cache_dir(env)
    root = (repo_root or workspace_root()).resolve()
    if path == root or root in path.parents:
        raise DevstackConfigError(
            f"provisioning cache {path} is inside the git clone {root}; "
            f"point {ENV_CACHE_DIR} (or XDG_CACHE_HOME) somewhere outside it"
        )
    return path


@dataclass(frozen=True)
class InfraSettings:
    """What the environment asks for: a forced mode and/or explicit service URLs."""

    forced_mode: InfraMode | None = None
    kafka_bootstrap: str | None = None
    mongo_url: str | None = None

    @property
    def has_urls(self) -> bool:
        return self.kafka_bootstrap is not None and self.mongo_url is not None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> InfraSettings:
        env = os.environ if env is None else env
        settings = cls(
            forced_mode=_parse_mode(env.get(ENV_INFRA, "")),
            kafka_bootstrap=env.get(ENV_KAFKA_BOOTSTRAP, "").strip() or None,
            mongo_url=env.get(ENV_MONGO_URL, "").strip() or None,
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        # Half a configuration is almost always a typo; starting a fresh stack would hide it.
        if (self.kafka_bootstrap is None) != (self.mongo_url is None):
            raise DevstackConfigError(
                f"set both {ENV_KAFKA_BOOTSTRAP} and {ENV_MONGO_URL}, or neither"
            )
        if self.forced_mode == "env" and not self.has_urls:
            raise DevstackConfigError(
                f"{ENV_INFRA}=env needs {ENV_KAFKA_BOOTSTRAP} and {ENV_MONGO_URL}"
            )
        if self.mongo_url is not None and not self.mongo_url.startswith(
            ("mongodb://", "mongodb+srv://")
        ):
            raise DevstackConfigError(f"{ENV_MONGO_URL} must be a mongodb:// URL")
        if self.kafka_bootstrap is not None and "://" in self.kafka_bootstrap:
            raise DevstackConfigError(f"{ENV_KAFKA_BOOTSTRAP} must be host:port[,host:port]")


def _parse_mode(raw: str) -> InfraMode | None:
    value = raw.strip().lower()
    if not value:
        return None
    if value not in INFRA_MODES:
        raise DevstackConfigError(f"{ENV_INFRA}={raw!r}: expected one of {', '.join(INFRA_MODES)}")
    return value
