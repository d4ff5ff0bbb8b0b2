"""HTTP: pay an invoice (public and internal), read payments and attempts."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from duely_payments import group_payments, service
from duely_payments.schemas import (
    InternalPayInvoicesRequest, InternalPayRequest, PayInvoicesRequest, PayRequest, PaymentAttemptList,
    PaymentAttemptOut, PaymentGroupOut, PaymentList, PaymentOut,
)
from duely_payments.payments_api import payments_out
from duely_payments.service import Charging, ChargeOutcome
from duely_runtime.auth import require_internal
from duely_runtime.errors import error_body, invalid
from duely_runtime.http import ErrorResponse
from duely_runtime.kit.deps import Caller, DbSession


def _attempt_response(outcome: ChargeOutcome, *, failures_as_errors: bool) -> JSONResponse:
    attempt = PaymentAttemptOut.of(outcome.attempt).model_dump(mode="json")
    if attempt["status"] == "processing":  # the gateway did not answer yet; recovery finishes it
        return JSONResponse(attempt, status_code=202)
    if attempt["status"] == "failed" and failures_as_errors:
        body = error_body("card_error", attempt["failure_code"], attempt["failure_message"] or "The payment failed.",
                          "payment_method")
        body["error"]["payment_attempt"] = attempt  # as Stripe includes the payment_intent
        return JSONResponse(body, status_code=402)
    return JSONResponse(attempt, status_code=200)


# What a pay call answers besides the runtime's 400/401/404/409 (a processing attempt is a 202). A payment
# method the gateway refuses as unknown or malformed is a 400 payment_method_invalid: no attempt is listed.
PAY_RESPONSES = {
    202: {"model": PaymentAttemptOut, "description": "The gateway has not answered yet; the attempt is processing."},
    402: {"model": ErrorResponse, "description": "The card was declined; `error.payment_attempt` holds the attempt."},
    503: {"model": ErrorResponse, "description": "Invoicing could not be asked about the invoice; retry shortly."},
}


def _group_response(outcome: group_payments.GroupOutcome) -> JSONResponse:
    """200 with the group's outcome (a decline is status failed, each invoice's attempt says why); 202 while the
    gateway has not answered; a payment method the gateway refused outright is the caller's 400."""
    group = outcome.group
    if group.status == "invalid":
        failure = next((a for a in outcome.attempts if a.failure_message), None)
        raise invalid("payment_method", failure.failure_message if failure else "The payment method was refused.",
                      code=group.failure_code or "payment_method_invalid")
    body = PaymentGroupOut.of(group, outcome.attempts).model_dump(mode="json")
    return JSONResponse(body, status_code=202 if group.status == "processing" else 200)


def router(runtime, charging: Charging) -> APIRouter:
    api = APIRouter()

    @api.post("/v1/invoices/{invoice_id}/pay", tags=["payments"], response_model=PaymentAttemptOut,
              responses=PAY_RESPONSES)
    async def pay_invoice(invoice_id: str, caller: Caller, body: PayRequest | None = None):
        outcome = await service.charge_invoice(charging, organization_id=caller.organization_id, invoice_id=invoice_id,
                                               payment_method=body.payment_method if body else None)
        return _attempt_response(outcome, failures_as_errors=True)

    @api.get("/v1/invoices/{invoice_id}/payment_attempts", response_model=PaymentAttemptList, tags=["payments"])
    async def list_payment_attempts(invoice_id: str, caller: Caller, session: DbSession):
        attempts = await service.list_attempts(charging, session, caller.organization_id, invoice_id)
        return PaymentAttemptList(data=[PaymentAttemptOut.of(attempt) for attempt in attempts])

    @api.get("/v1/payments", response_model=PaymentList, tags=["payments"])
    async def list_payments(caller: Caller, session: DbSession, invoice_id: str | None = None,
                            customer_id: str | None = None,
                            limit: int = Query(10, ge=1, le=100), starting_after: str | None = None):
        page = await service.list_payments(session, caller.organization_id, invoice_id=invoice_id, limit=limit,
                                           starting_after=starting_after, customer_id=customer_id)
        return PaymentList(data=await payments_out(session, page.rows), has_more=page.has_more)

    @api.get("/v1/payments/{payment_id}", response_model=PaymentOut, tags=["payments"])
    async def get_payment(payment_id: str, caller: Caller, session: DbSession):
        payment = await service.get_payment(session, caller.organization_id, payment_id)
        return (await payments_out(session, [payment]))[0]

    @api.post("/v1/customers/{customer_id}/payments", tags=["payments"], response_model=PaymentGroupOut,
              responses={202: {"model": PaymentGroupOut, "description": "The gateway has not answered yet."},
                         503: PAY_RESPONSES[503]})
    async def pay_invoices(customer_id: str, body: PayInvoicesRequest, caller: Caller):
        """Pay several of the customer's open invoices with one charge: each invoice gets its own payment,
        `payment.succeeded` and receipt. A smaller `amount` pays them oldest first."""
        return _group_response(await group_payments.pay_invoices(
            charging, organization_id=caller.organization_id, customer_id=customer_id, invoice_ids=body.invoice_ids,
            payment_method=body.payment_method, amount=body.amount))

    @api.get("/v1/customers/{customer_id}/payments/{group_id}", tags=["payments"], response_model=PaymentGroupOut)
    async def get_payment_group(customer_id: str, group_id: str, caller: Caller):
        return _group_response(await group_payments.get_group(charging, caller.organization_id, customer_id,
                                                               group_id))

    @api.post("/internal/customers/{customer_id}/payments", response_model=PaymentGroupOut, include_in_schema=False,
              dependencies=[Depends(require_internal(runtime.settings.internal_secret))])
    async def pay_invoices_internal(customer_id: str, body: InternalPayInvoicesRequest):
        """The portal's "pay selected": as the public route, for the customer the portal session is for."""
        return _group_response(await group_payments.pay_invoices(
            charging, organization_id=body.organization_id, customer_id=customer_id, invoice_ids=body.invoice_ids,
            payment_method=body.payment_method, amount=body.amount))

    @api.post("/internal/invoices/{invoice_id}/pay", response_model=PaymentAttemptOut, include_in_schema=False,
              dependencies=[Depends(require_internal(runtime.settings.internal_secret))])
    async def pay_invoice_internal(invoice_id: str, body: InternalPayRequest):
        """For our own services (the portal's pay button): failures are a 200 with status failed."""
        outcome = await service.charge_invoice(
            charging, organization_id=body.organization_id, invoice_id=invoice_id,
            payment_method=body.payment_method, method_type=body.payment_method_type,
            mandate_data=body.mandate_data.model_dump(exclude_none=True) if body.mandate_data else None)
        return _attempt_response(outcome, failures_as_errors=False)

    return api
