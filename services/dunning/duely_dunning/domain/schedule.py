"""When timeline entries fall due: the plan of each kind, pure (callers pass `now`). All times are UTC.

A collection timeline entry is (subject, kind, step) with a due time. Kinds today:

- `overdue` (invoice, step "1"): the due date passed unpaid; step "after_attempt_N" when a late bank-debit
  failure re-plans it (the first one was skipped while the debit was processing).
- `autopay_charge` (invoice, step "1"): the AutoPay moment, the start of the charge day in the
  organization's timezone. Retries of a later issue are more steps of the same kind.
- `payment_method_expiry` (payment method, step "YYYY-MM" = the card's expiry): the month before it expires.
- `reminder` (invoice, step "before_7", "after_1" or "manual_2026-12-01"), `dunning_step` (invoice, step
  "v3:day_7": an invoice keeps the schedule version it started with) and `late_fee` (invoice, step
  "period_1"): planned in `domain/dunning_plan.py`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from duely_contracts.models import AutopayPlan, PaymentMethodRef

log = logging.getLogger(__name__)

FIRST_STEP = "1"


class TimerKind(StrEnum):
    # The due date has passed unpaid: tell invoicing so it marks the invoice past due.
    OVERDUE = "overdue"
    # AutoPay's moment: ask payments to charge the invoice.
    AUTOPAY_CHARGE = "autopay_charge"
    # A saved card expires next month: ask payments to warn the customer.
    PAYMENT_METHOD_EXPIRY = "payment_method_expiry"
    # A reminder before or after the due date, or one asked for by hand: notifications sends it.
    REMINDER = "reminder"
    # A step of the invoice's dunning schedule: retries, reminders, subscription actions, write-off.
    DUNNING_STEP = "dunning_step"
    # A late fee period: invoicing issues the fee invoice.
    LATE_FEE = "late_fee"


@dataclass(frozen=True)
class PlannedTimer:
    kind: str
    due_at: datetime
    step: str = FIRST_STEP
    detail: dict | None = field(default=None)


def start_of_day(day: date, tz: str = "UTC") -> datetime:
    """00:00 of `day` in the IANA timezone `tz`, as a UTC instant (an unknown zone counts as UTC)."""
    try:
        zone = ZoneInfo(tz) if tz and tz != "UTC" else timezone.utc
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown timezone, counted as UTC", extra={"timezone": tz})
        zone = timezone.utc
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(timezone.utc)


def overdue_at(due_date: date) -> datetime:
    """An invoice is payable through its whole due date; it is overdue when the next day starts."""
    return start_of_day(due_date + timedelta(days=1))


def autopay_charge_at(plan: AutopayPlan) -> datetime | None:
    if plan.charge_date is None:
        return None
    return start_of_day(plan.charge_date, plan.timezone or "UTC")


def autopay_detail(plan: AutopayPlan) -> dict:
    """What the charge entry keeps: the plan as fixed at approval (shown on the collection view)."""
    method = plan.payment_method
    return {
        "timing": plan.timing, "days_before_due": plan.days_before_due,
        "charge_date": plan.charge_date.isoformat() if plan.charge_date else None, "timezone": plan.timezone,
        "payment_method_id": method.id if method else None,
        "payment_method": None if method is None else {
            "id": method.id, "type": method.type, "brand": method.brand, "bank_name": method.bank_name,
            "last4": method.last4},
        "payment_method_source": plan.payment_method_source, "source": plan.source,
    }


def timers_for_issued_invoice(due_date: date | None, autopay: AutopayPlan | None = None) -> list[PlannedTimer]:
    """The entries an invoice gets when it is issued: its overdue notice (when it has a due date)
    and its AutoPay charge (when AutoPay is on)."""
    planned = []
    if due_date is not None:
        planned.append(PlannedTimer(TimerKind.OVERDUE, overdue_at(due_date)))
    if autopay is not None and autopay.enabled:
        charge_at = autopay_charge_at(autopay)
        if charge_at is not None:
            planned.append(PlannedTimer(TimerKind.AUTOPAY_CHARGE, charge_at, FIRST_STEP, autopay_detail(autopay)))
    return planned


def overdue_after_late_failure(attempt_number: int, now: datetime) -> PlannedTimer:
    """A debit that was processing when the due date passed failed late: the overdue notice, now."""
    return PlannedTimer(TimerKind.OVERDUE, now, f"after_attempt_{attempt_number}")


# -- card expiry ------------------------------------------------------------------------

def expiry_step(exp_month: int, exp_year: int) -> str:
    return f"{exp_year:04d}-{exp_month:02d}"


def _first_of_month(year: int, month: int) -> date:
    while month < 1:
        year, month = year - 1, month + 12
    while month > 12:
        year, month = year + 1, month - 12
    return date(year, month, 1)


def expiry_check_at(exp_month: int, exp_year: int) -> datetime:
    """00:00 UTC of the first day of the month before the expiry month (12/2026 → 2026-11-01)."""
    return start_of_day(_first_of_month(exp_year, exp_month - 1))


def card_expired(exp_month: int, exp_year: int, now: datetime) -> bool:
    """A card works through its whole expiry month."""
    return now >= start_of_day(_first_of_month(exp_year, exp_month + 1))


def expiry_check_for(method: PaymentMethodRef, now: datetime) -> PlannedTimer | None:
    """The expiry check of a saved card, or None (not a card, no expiry, detached, already expired).
    A moment already passed (the card expires next month or this month) is due now."""
    if method.type != "card" or method.exp_month is None or method.exp_year is None:
        return None
    if method.status == "detached" or not 1 <= method.exp_month <= 12:
        return None
    if card_expired(method.exp_month, method.exp_year, now):
        return None
    due_at = max(expiry_check_at(method.exp_month, method.exp_year), now)
    return PlannedTimer(TimerKind.PAYMENT_METHOD_EXPIRY, due_at, expiry_step(method.exp_month, method.exp_year),
                        {"customer_id": method.customer_id, "exp_month": method.exp_month,
                         "exp_year": method.exp_year, "brand": method.brand, "last4": method.last4})


def timer_status(fired_at: datetime | None, cancelled_at: datetime | None) -> str:
    if fired_at is not None:
        return "fired"
    if cancelled_at is not None:
        return "cancelled"
    return "pending"


def entry_status(fired_at: datetime | None, cancelled_at: datetime | None, outcome: str | None) -> str:
    """How the collection view shows an entry: planned | done | skipped | cancelled."""
    if fired_at is not None:
        return "skipped" if (outcome or "").startswith("skipped") else "done"
    if cancelled_at is not None:
        return "cancelled"
    return "planned"
