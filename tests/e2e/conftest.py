"""The four services started through their own entrypoints, on the session's real infrastructure."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from ocop_devstack.infra import Infra
from ocop_devstack.services import ServiceStack
from ocop_platform.auth import ALL_PROVINCES, Role, mint_token
from ocop_platform.settings import DEV_JWT_SECRET

T = TypeVar("T")


@pytest.fixture(scope="session")
def run_id() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
def year() -> int:
    """A year of its own per session: counts stay exact even on a shared, long-lived Kafka."""
    return random.randint(2040, 2099)


@pytest.fixture(scope="session")
def services(
    infra: Infra, tmp_path_factory: pytest.TempPathFactory, run_id: str
) -> Iterator[ServiceStack]:
    stack = ServiceStack.on_free_ports(
        infra.kafka_bootstrap,
        infra.mongo_url,
        Path(tmp_path_factory.mktemp("services")),
        namespace=f"t{run_id}",
    )
    try:
        stack.start_all()
        yield stack
    finally:
        stack.stop_all()


@pytest.fixture(scope="session")
def token() -> str:
    roles = [Role.PROVINCE_OFFICE, Role.MINISTRY, Role.PROMOTION_TEAM]
    return mint_token(DEV_JWT_SECRET, "e2e", roles, [ALL_PROVINCES])


@pytest.fixture
async def http(token: str) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=10.0) as client:
        yield client
