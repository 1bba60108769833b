"""Fixtures shared by the whole test suite (unit, integration, e2e)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from ocop_devstack.infra import Infra, InfraStack

# --- real infrastructure --------------------------------------------------------------------


@pytest.fixture(scope="session")
def infra(request: pytest.FixtureRequest) -> Iterator[Infra]:
    """Real Kafka + document store, started once per session.

    The mode (env URLs, Docker, or native processes) is chosen by ocop_devstack; set
    OCOP_INFRA=native|docker|env to force one.
    """
    stack = InfraStack()
    # Output capture off while starting, so first-run provisioning progress is visible live.
    capture = request.config.pluginmanager.getplugin("capturemanager")
    uncaptured = capture.global_and_fixture_disabled() if capture else contextlib.nullcontext()
    try:
        with uncaptured:
            started = stack.start()
            print(
                f"\ninfra mode={started.mode} kafka={started.kafka_bootstrap} "
                f"mongo={started.mongo_url}",
                flush=True,
            )
        yield started
    finally:
        stack.stop()
