"""The development clock and the scheduler."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel


class ClockView(BaseModel):
    today: date
    controllable: bool


class SchedulerRun(BaseModel):
    today: date
    renewal_due: int
    expired: int
