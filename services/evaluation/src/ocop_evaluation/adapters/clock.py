"""Today's date for evaluation: the real date in Vietnam, or a controlled one outside production.

Order: an override stored in the database (PUT /admin/clock; survives restarts, shared by every
instance), then the ``OCOP_CLOCK`` setting (a fixed date), then today in Asia/Ho_Chi_Minh.
Production refuses both overrides.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from ocop_evaluation.adapters.repository import CLOCK, MongoEvaluationRepository
from ocop_platform.errors import DomainError

VIETNAM = timedelta(hours=7)
_KEY = "today"


class Clock:
    def __init__(
        self, repository: MongoEvaluationRepository, fixed: date | None, production: bool
    ) -> None:
        if production and fixed is not None:
            raise ValueError("OCOP_CLOCK cannot be set in production")
        self._repo = repository
        self._fixed = fixed
        self._production = production

    async def today(self) -> date:
        if not self._production:
            doc = await self._repo.get(CLOCK, _KEY)
            if doc is not None:
                return date.fromisoformat(doc["today"])
            if self._fixed is not None:
                return self._fixed
        return (datetime.now(UTC) + VIETNAM).date()

    async def set(self, today: date | None) -> date:
        if self._production:
            raise DomainError("the clock cannot be moved in production", field="today")
        if today is None:
            await self._repo.delete(CLOCK, _KEY)
        else:
            await self._repo.put(CLOCK, _KEY, {"today": today.isoformat()})
        return await self.today()

    @property
    def controlled(self) -> bool:
        return not self._production
