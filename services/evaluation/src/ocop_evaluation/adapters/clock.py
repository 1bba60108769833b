"""Today's date for evaluation: the platform clock, or a date moved by an administrator.

Order: an override stored in the database (PUT /admin/clock; survives restarts, shared by every
instance), then the platform clock (real, or pinned by ``OCOP_CLOCK``). Production refuses both
overrides: the platform clock refuses to be pinned there and this refuses to store a date.
"""

from __future__ import annotations

from datetime import date

from ocop_contracts.clock import Clock
from ocop_evaluation.adapters.repository import CLOCK, MongoEvaluationRepository
from ocop_platform.errors import DomainError

_KEY = "today"


class StoredClock:
    def __init__(self, repository: MongoEvaluationRepository, base: Clock) -> None:
        self._repo = repository
        self._base = base

    async def today(self) -> date:
        if self._base.controllable:
            doc = await self._repo.get(CLOCK, _KEY)
            if doc is not None:
                return date.fromisoformat(doc["today"])
        return self._base.today()

    async def set(self, today: date | None) -> date:
        if not self._base.controllable:
            raise DomainError("the clock cannot be moved in production", field="today")
        if today is None:
            await self._repo.delete(CLOCK, _KEY)
        else:
            await self._repo.put(CLOCK, _KEY, {"today": today.isoformat()})
        return await self.today()

    @property
    def controlled(self) -> bool:
        return self._base.controllable
