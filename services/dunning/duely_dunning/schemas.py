"""API models of dunning's endpoints."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from duely_contracts.timestamps import Timestamp

from duely_dunning.domain.clock_arithmetic import MAX_ADVANCE_SECONDS, SECONDS_PER_DAY
from duely_dunning.domain.schedule import timer_status
from duely_dunning.models import CollectionState, Timer
from duely_dunning.service import ClockReading


class TimerOut(BaseModel):
    object: Literal["timer"] = "timer"
    id: str
    kind: str
    invoice_id: str
    status: Literal["pending", "fired", "cancelled"]
    due_at: Timestamp
    fired_at: Timestamp | None
    cancelled_at: Timestamp | None
    outcome: str | None

    @classmethod
    def of(cls, timer: Timer) -> "TimerOut":
        return cls(id=timer.id, kind=timer.kind, invoice_id=timer.invoice_id,
                   status=timer_status(timer.fired_at, timer.cancelled_at), due_at=timer.due_at,
                   fired_at=timer.fired_at, cancelled_at=timer.cancelled_at, outcome=timer.outcome)


class FailuresOut(BaseModel):
    count: int
    last_code: str | None
    last_attempt: int | None
    last_failed_at: Timestamp | None


class CollectionStateOut(BaseModel):
    object: Literal["dunning_invoice"] = "dunning_invoice"
    invoice_id: str
    organization_id: str
    number: str | None
    status: str
    due_date: date | None
    amount_due: int
    currency: str
    version: int
    failures: FailuresOut
    next_timers: list[TimerOut] = Field(description="Pending timers, soonest first.")
    timers: list[TimerOut] = Field(description="Every timer of the invoice, fired and cancelled included.")
    closed_at: Timestamp | None
    updated_at: Timestamp

    @classmethod
    def of(cls, state: CollectionState, timers: list[Timer]) -> "CollectionStateOut":
        shown = [TimerOut.of(t) for t in timers]
        return cls(
            invoice_id=state.invoice_id, organization_id=state.organization_id, number=state.number,
            status=state.status, due_date=state.due_date, amount_due=state.amount_due, currency=state.currency,
            version=state.version,
            failures=FailuresOut(count=state.failure_count, last_code=state.last_failure_code,
                                 last_attempt=state.last_failure_attempt, last_failed_at=state.last_failure_at),
            next_timers=[t for t in shown if t.status == "pending"], timers=shown,
            closed_at=state.closed_at, updated_at=state.updated_at)


class TestClockOut(BaseModel):
    object: Literal["test_clock"] = "test_clock"
    organization_id: str
    now: Timestamp
    offset_seconds: int

    @classmethod
    def of(cls, reading: ClockReading) -> "TestClockOut":
        return cls(organization_id=reading.organization_id, now=reading.now, offset_seconds=reading.offset_seconds)


def _integer(maximum: int):
    """Document a positive integer that may be left out but not null (the validator keeps its messages)."""
    def extra(schema: dict) -> None:
        schema.pop("anyOf", None)
        schema.pop("default", None)
        schema.update(type="integer", minimum=1, maximum=maximum)
    return extra


class AdvanceTestClockIn(BaseModel):
    """Move the clock forward by days and/or seconds (positive integers, at most 3650 days in all)."""

    # The schema documents one of the two (the server also takes both, up to 3650 days together).
    model_config = ConfigDict(extra="forbid", json_schema_extra={"oneOf": [
        {"required": ["days"], "not": {"required": ["seconds"]}},
        {"required": ["seconds"], "not": {"required": ["days"]}}]})

    days: int | None = Field(None, strict=True, json_schema_extra=_integer(MAX_ADVANCE_SECONDS // SECONDS_PER_DAY))
    seconds: int | None = Field(None, strict=True, json_schema_extra=_integer(MAX_ADVANCE_SECONDS))


class AdvanceTestClockOut(TestClockOut):
    fired_timers: list[TimerOut] = Field(description="Timers that fell due and fired, in due order.")
