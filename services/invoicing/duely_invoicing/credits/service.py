"""Customer credit: what an allowed overpayment leaves over is the customer's, in the payment's currency, and
pays (part of) their next invoice in that currency at its approval.

Ledger entries (customer_credit_entries), each written once (entry_key):
    overpayment:<payment_id>   +excess     an allowed overpayment counted up to the invoice's balance
    applied:<invoice_id>       −applied    credit used at an invoice's approval (invoice.credit_applied)
    refunded:<refund_id>       −amount     a refund of an overpayment gave (part of) the excess back
                                           (may take the balance below zero when the credit was spent)
    released:<invoice_id>      +applied    the invoice that used it was voided: the credit is the customer's again
The balance per currency is the sum. Whoever takes credit out (approval, refund) holds the customer's row
lock first, so two approvals of one customer's invoices never spend the same credit twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from duely_invoicing.credits import repository
from duely_invoicing.customers import repository as customers_repository

OVERPAYMENT, APPLIED, REFUNDED, RELEASED = "overpayment", "applied", "refunded", "released"


async def add_overpayment(session: AsyncSession, *, organization_id: str, customer_id: str, currency: str,
                          amount: int, payment_id: str, invoice_id: str, now: datetime) -> bool:
    return await repository.add_entry(session, {
        "entry_key": f"{OVERPAYMENT}:{payment_id}", "organization_id": organization_id, "customer_id": customer_id,
        "currency": currency, "amount": amount, "reason": OVERPAYMENT, "payment_id": payment_id,
        "invoice_id": invoice_id, "created_at": now})


async def lock_customer(session: AsyncSession, organization_id: str, customer_id: str) -> None:
    await customers_repository.get_customer_for_update(session, organization_id, customer_id)


async def apply_to_invoice(session: AsyncSession, *, organization_id: str, customer_id: str, currency: str,
                           invoice_id: str, amount_due: int, now: datetime) -> int:
    """Take up to `amount_due` from the customer's credit in `currency` for this invoice; what was taken."""
    if amount_due <= 0:
        return 0
    await lock_customer(session, organization_id, customer_id)
    available = await repository.balance(session, organization_id, customer_id, currency)
    applied = min(available, amount_due)
    if applied <= 0:
        return 0
    written = await repository.add_entry(session, {
        "entry_key": f"{APPLIED}:{invoice_id}", "organization_id": organization_id, "customer_id": customer_id,
        "currency": currency, "amount": -applied, "reason": APPLIED, "payment_id": None, "invoice_id": invoice_id,
        "created_at": now})
    return applied if written else 0


async def take_back(session: AsyncSession, *, organization_id: str, customer_id: str, currency: str,
                    amount: int, refund_id: str, payment_id: str, invoice_id: str, now: datetime) -> None:
    """A refund of an overpayment's excess: that credit goes back out of the balance. If it was already spent
    on another invoice the balance goes below zero (the customer owes it; nothing negative is ever applied)."""
    if amount <= 0:
        return
    await lock_customer(session, organization_id, customer_id)
    await repository.add_entry(session, {
        "entry_key": f"{REFUNDED}:{refund_id}", "organization_id": organization_id, "customer_id": customer_id,
        "currency": currency, "amount": -amount, "reason": REFUNDED, "payment_id": payment_id,
        "invoice_id": invoice_id, "created_at": now})


async def give_back(session: AsyncSession, *, organization_id: str, customer_id: str, currency: str, amount: int,
                    invoice_id: str, now: datetime) -> None:
    """The invoice that used this credit was voided: the credit is the customer's again."""
    await repository.add_entry(session, {
        "entry_key": f"{RELEASED}:{invoice_id}", "organization_id": organization_id, "customer_id": customer_id,
        "currency": currency, "amount": amount, "reason": RELEASED, "payment_id": None, "invoice_id": invoice_id,
        "created_at": now})


async def balances(session: AsyncSession, organization_id: str, customer_ids: list[str]) -> dict[str, dict[str, int]]:
    """{customer_id: {currency: balance}}, currencies with a zero balance left out."""
    found = await repository.balances(session, organization_id, customer_ids)
    return {cid: {cur: amount for cur, amount in per.items() if amount} for cid, per in found.items()}
