"""Collections (issue #10), the rules without I/O: what a reminder, late fee and dunning-schedule setting may say,
and how much a late fee is.

A late fee is its own invoice (an issued invoice is never edited), one per (overdue invoice, period):
    fee = percentage % × the overdue invoice's balance at fire time (exact, ROUND_HALF_UP to minor units)
          + fixed_amount,
limited so that all fees of one overdue invoice add up to at most `cap`. E.g. 1.5 % of 12345 = 185.175 → 185.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from duely_contracts.models import LATE_FEE_RECURRENCES, MESSAGE_CHANNELS, REMINDER_TEMPLATES

REMINDER_DAY_MIN, REMINDER_DAY_MAX = 1, 90
MAX_REMINDERS_PER_SIDE = 10
LATE_FEE_AFTER_DAYS_MIN, LATE_FEE_AFTER_DAYS_MAX = 0, 365
DUNNING_SCHEDULE_ID = re.compile(r"^dsch_[A-Za-z0-9_]{1,60}$")

TEMPLATES = REMINDER_TEMPLATES
CHANNELS = MESSAGE_CHANNELS
RECURRENCES = LATE_FEE_RECURRENCES


def percentage_str(value: Decimal) -> str:
    """The canonical string kept: no exponent, no trailing zeros ('1.50' → '1.5', '2E+1' → '20')."""
    return format(value.normalize(), "f")


def late_fee_amount(*, percentage: str | None, fixed_amount: int | None, balance: int, cap: int | None,
                    already_charged: int) -> int:
    """The fee of one period, in the overdue invoice's minor units: percentage of `balance` (ROUND_HALF_UP) plus
    the fixed amount, limited to what is left under `cap` given the fees `already_charged`. 0 = no fee."""
    if balance <= 0:
        return 0
    fee = 0
    if percentage:
        fee += int((Decimal(percentage) * Decimal(balance) / Decimal(100)).quantize(Decimal(1),
                                                                                     rounding=ROUND_HALF_UP))
    fee += fixed_amount or 0
    if cap is not None:
        fee = min(fee, cap - already_charged)
    return max(fee, 0)


def late_fee_description(invoice_number: str | None, invoice_id: str, period: int) -> str:
    return f"Late fee for invoice {invoice_number or invoice_id} (period {period})"
