"""Recording a payment made outside the gateway: what may be recorded against an invoice's balance."""

from __future__ import annotations

from datetime import datetime, timedelta

# How far in the future `paid_at` may be: a caller's clock a little ahead of ours is not a payment from the future.
PAID_AT_CLOCK_SKEW = timedelta(minutes=5)


def amount_problem(amount: int, amount_due: int, currency: str, *, allow_overpayment: bool) -> str | None:
    """Why `amount` cannot be recorded against a balance of `amount_due`, or None when it can."""
    if amount <= 0:
        return "amount must be greater than 0."
    if amount > amount_due and not allow_overpayment:
        return (f"amount {amount} is more than the invoice's balance of {amount_due} ({currency.upper()} minor "
                f"units); record at most {amount_due}, or set allow_overpayment to keep the excess as the "
                f"customer's credit.")
    return None


def paid_at_problem(paid_at: datetime, now: datetime) -> str | None:
    if paid_at > now + PAID_AT_CLOCK_SKEW:
        return "paid_at must not be in the future."
    return None
