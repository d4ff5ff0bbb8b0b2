"""The saved-methods read model: kept from payments' `payment_method.attached | updated | detached` events
(newest version of each method wins, so late and repeated events change nothing), read to check a method
named in an AutoPay setting and to fix an invoice's AutoPay plan at approval.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts import Envelope, events
from duely_contracts.models import PaymentMethodRef
from duely_invoicing.models import SavedPaymentMethod
from duely_invoicing.payment_methods import repository
from duely_runtime.errors import invalid

DETACHED = "detached"


async def record_change(session: AsyncSession, envelope: Envelope, event: events.PaymentMethodChanged) -> None:
    method = event.payment_method
    if method.organization_id != envelope.organization_id:
        return  # a method is only ever its own organization's
    status = DETACHED if envelope.type == "payment_method.detached" else method.status
    written = await repository.upsert(session, {
        "id": method.id, "organization_id": envelope.organization_id, "customer_id": method.customer_id,
        "type": method.type, "brand": method.brand, "bank_name": method.bank_name, "last4": method.last4,
        "exp_month": method.exp_month, "exp_year": method.exp_year, "status": status,
        "is_default": method.is_default and status != DETACHED, "mandate_reference": method.mandate_reference,
        "version": envelope.aggregate_version, "updated_at": envelope.occurred_at})
    if written and method.is_default and status != DETACHED:
        await repository.clear_other_defaults(session, envelope.organization_id, method.customer_id, method.id)


async def check_named_method(session: AsyncSession, organization_id: str, customer_id: str, method_id: str | None,
                             param: str) -> None:
    """400 naming `param` unless `method_id` is a saved, attached method of this customer."""
    if method_id is None:
        return
    row = await repository.get_method(session, organization_id, method_id)
    if row is None or row.customer_id != customer_id:
        raise invalid(param, f"'{method_id}' is not a saved payment method of customer '{customer_id}'.")
    if row.status == DETACHED:
        raise invalid(param, f"Payment method '{method_id}' was removed from customer '{customer_id}'.")


async def get_method(session: AsyncSession, organization_id: str, method_id: str) -> SavedPaymentMethod | None:
    return await repository.get_method(session, organization_id, method_id)


async def default_method(session: AsyncSession, organization_id: str, customer_id: str) -> SavedPaymentMethod | None:
    return await repository.default_method(session, organization_id, customer_id)


def method_ref(row: SavedPaymentMethod) -> PaymentMethodRef:
    return PaymentMethodRef(id=row.id, organization_id=row.organization_id, customer_id=row.customer_id,
                            type=row.type, brand=row.brand, bank_name=row.bank_name, last4=row.last4,
                            exp_month=row.exp_month, exp_year=row.exp_year, status=row.status,
                            is_default=row.is_default, mandate_reference=row.mandate_reference)
