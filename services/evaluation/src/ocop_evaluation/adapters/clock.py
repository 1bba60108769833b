"""Today's date for evaluation: the platform clock, or a date moved by an administrator.

Order: an override stored in the database (PUT /admin/clock; survives restarts, shared by every
instance), then the platform clock (real, or pinned by ``OCOP_CLOCK``). Production refuses both
overrides: the platform clock refuses to be pinned there and this refuses to store a date.
"""

from __future__ import annotations

from datetime import date

from ocop_contracts.clock import Clock
from ocop_evaluation.adapters.stores import ClockStore
from ocop_platform.errors import DomainError


class StoredClock:
    def __init__(self, store: ClockStore, base: Clock) -> None:
        self._store = store
        self._base = base

    async def today(self) -> date:
        if self._base.controllable:
            stored = await self._store.stored_today()
            if stored is not None:
                return stored
        return self._base.today()

    async def set(self, today: date | None) -> date:
        if not self._base.controllable:
            raise DomainError("the clock cannot be moved in production", field="today")
        await self._store.store_today(today)
        return await self.today()

    @property
    def controlled(self) -> bool:
        return self._base.controllable
