"""The development clock and the scheduler."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class ClockView(BaseModel):
    today: date
    controllable: bool


class SchedulerRun(BaseModel):
    today: date
    renewal_due: int
    expired: int
    looked_at: int = Field(description="Due certificates looked at in this batch.")
    more: bool = Field(description="Certificates due today are left for the next batch.")
