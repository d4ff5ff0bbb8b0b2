"""When an invoice's timers fall due. All times are UTC.

Only the overdue timer exists for now; reminders before and after the due date and the
dunning steps (day 0/3/7/14/30 after a failure) will be more kinds planned here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum


class TimerKind(StrEnum):
    # The due date has passed unpaid: tell invoicing so it marks the invoice past due.
    OVERDUE = "overdue"


@dataclass(frozen=True)
class PlannedTimer:
    kind: str
    due_at: datetime


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def overdue_at(due_date: date) -> datetime:
    """An invoice is payable through its whole due date; it is overdue when the next day starts."""
    return start_of_day(due_date + timedelta(days=1))


def timers_for_issued_invoice(due_date: date | None) -> list[PlannedTimer]:
    """The timers an invoice gets when it is issued. No due date, nothing to chase."""
    if due_date is None:
        return []
    return [PlannedTimer(TimerKind.OVERDUE, overdue_at(due_date))]


def timer_status(fired_at: datetime | None, cancelled_at: datetime | None) -> str:
    if fired_at is not None:
        return "fired"
    if cancelled_at is not None:
        return "cancelled"
    return "pending"
