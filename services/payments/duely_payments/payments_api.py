"""HTTP: record a payment made outside the gateway, list an invoice's payments, refund a payment."""

from __future__ import annotations

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from duely_payments import payment_refunds, service
from duely_payments import repository as repo
from duely_payments.manual_payments import ManualPayment, record_manual_payment
from duely_payments.models import Payment
from duely_payments.schemas import (
    ManualPaymentRequest, PaymentList, PaymentOut, RefundList, RefundOut, RefundRequest,
)
from duely_payments.service import Charging
from duely_runtime.http import ErrorResponse
from duely_runtime.kit.deps import Caller, DbSession

RECORD_RESPONSES = {
    409: {"model": ErrorResponse, "description": "invoice_not_payable (paid, void, draft...) or payment_in_progress "
                                                "(a charge, or a payment just recorded, holds the invoice: retry "
                                                "shortly)."},
    503: {"model": ErrorResponse, "description": "Invoicing could not be asked about the invoice; retry shortly."},
}
REFUND_RESPONSES = {
    409: {"model": ErrorResponse, "description": "payment_fully_refunded: nothing is left to refund."},
}


async def payments_out(session: AsyncSession, payments: list[Payment]) -> list[PaymentOut]:
    refunds = await repo.refunds_of_payments(session, [payment.id for payment in payments])
    return [PaymentOut.of(payment, refunds[payment.id]) for payment in payments]


def router(charging: Charging) -> APIRouter:
    api = APIRouter()

    @api.post("/v1/invoices/{invoice_id}/payments", status_code=201, response_model=PaymentOut, tags=["payments"],
              responses=RECORD_RESPONSES)
    async def record_payment(invoice_id: str, body: ManualPaymentRequest, caller: Caller):
        """Record money received outside the gateway (wire transfer, check, cash...) against the invoice."""
        payment = await record_manual_payment(
            charging, organization_id=caller.organization_id, invoice_id=invoice_id,
            request=ManualPayment(method=body.method, amount=body.amount, paid_at=body.paid_at,
                                  reference=body.reference or None, note=body.note or None,
                                  allow_overpayment=body.allow_overpayment),
            recorded_by=caller.api_key_id)
        return PaymentOut.of(payment, [])

    @api.get("/v1/invoices/{invoice_id}/payments", response_model=PaymentList, tags=["payments"])
    async def list_invoice_payments(invoice_id: str, caller: Caller, session: DbSession,
                                    limit: int = Query(10, ge=1, le=100), starting_after: str | None = None):
        """The invoice's payments, newest first; 404 unless the invoice is the organization's."""
        await service.invoice_known_to(charging, session, caller.organization_id, invoice_id)
        page = await repo.list_payments(session, caller.organization_id, invoice_id=invoice_id, limit=limit,
                                        starting_after=starting_after)
        return PaymentList(data=await payments_out(session, page.rows), has_more=page.has_more)

    @api.post("/v1/payments/{payment_id}/refunds", status_code=201, response_model=RefundOut, tags=["payments"],
              responses=REFUND_RESPONSES)
    async def refund_payment(payment_id: str, caller: Caller, body: RefundRequest | None = None):
        """Refund a payment, in full or in part: through the gateway for a charged payment (status pending
        until the gateway answers), recorded at once for a manual one."""
        body = body or RefundRequest()
        refund = await payment_refunds.refund_payment(
            charging, organization_id=caller.organization_id, payment_id=payment_id, amount=body.amount,
            reason=body.reason, requested_by=caller.api_key_id)
        return RefundOut.of(refund)

    @api.get("/v1/payments/{payment_id}/refunds", response_model=RefundList, tags=["payments"])
    async def list_payment_refunds(payment_id: str, caller: Caller, session: DbSession):
        """The payment's refunds, oldest first."""
        refunds = await payment_refunds.list_refunds(session, caller.organization_id, payment_id)
        return RefundList(data=[RefundOut.of(refund) for refund in refunds])

    return api
