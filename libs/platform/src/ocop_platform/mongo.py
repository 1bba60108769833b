"""The document store client (PyMongo's async API; Motor is end-of-life)."""

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from ocop_platform.command_profile import listeners_from_env

Document = dict[str, Any]
Database = AsyncDatabase[Document]


def create_client(url: str, max_pool_size: int = 100) -> AsyncMongoClient[Document]:
    # tz_aware: datetimes come back as UTC-aware, like the ones the contracts carry.
    return AsyncMongoClient(
        url,
        tz_aware=True,
        uuidRepresentation="standard",
        connect=False,
        maxPoolSize=max_pool_size,
        event_listeners=listeners_from_env(),  # OCOP_MONGO_PROFILE: a benchmark's aid
    )


async def is_ferretdb(db: AsyncDatabase[Document]) -> bool:
    info: Document = await db.command("buildInfo")
    return "ferretdbVersion" in info
