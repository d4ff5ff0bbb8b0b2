"""HTTP: a customer's saved payment methods."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from duely_payments.payment_methods.schemas import PaymentMethodList, PaymentMethodOut, SavePaymentMethodRequest
from duely_payments.payment_methods.service import PaymentMethods, view
from duely_runtime.http import ErrorResponse
from duely_runtime.kit.deps import Caller, DbSession

TAGS = ["payment_methods"]
SAVE_RESPONSES = {
    200: {"model": PaymentMethodOut, "description": "This gateway method was already saved for the customer."},
    402: {"model": ErrorResponse, "description": "The gateway refused to set the method up (e.g. a declined card)."},
    503: {"model": ErrorResponse, "description": "Invoicing or the gateway could not be asked; retry shortly."},
}


def router(methods: PaymentMethods) -> APIRouter:
    api = APIRouter()
    base = "/v1/customers/{customer_id}/payment_methods"

    @api.post(base, tags=TAGS, status_code=201, response_model=PaymentMethodOut, responses=SAVE_RESPONSES)
    async def save_payment_method(customer_id: str, body: SavePaymentMethodRequest, caller: Caller):
        """Attach a gateway PaymentMethod to the customer through a SetupIntent (off-session use; with the
        mandate for sepa_debit and us_bank_account). The customer's first method becomes the default."""
        method, created = await methods.save(caller.organization_id, customer_id, body)
        return JSONResponse(view(method).model_dump(mode="json"), status_code=201 if created else 200)

    @api.get(base, tags=TAGS, response_model=PaymentMethodList)
    async def list_payment_methods(customer_id: str, caller: Caller, session: DbSession):
        found = await methods.list(session, caller.organization_id, customer_id)
        return PaymentMethodList(data=[view(m) for m in found], has_more=False)

    @api.get(base + "/{payment_method_id}", tags=TAGS, response_model=PaymentMethodOut)
    async def get_payment_method(customer_id: str, payment_method_id: str, caller: Caller, session: DbSession):
        return view(await methods.get(session, caller.organization_id, customer_id, payment_method_id))

    @api.post(base + "/{payment_method_id}/default", tags=TAGS, response_model=PaymentMethodOut)
    async def set_default_payment_method(customer_id: str, payment_method_id: str, caller: Caller):
        return view(await methods.make_default(caller.organization_id, customer_id, payment_method_id))

    @api.delete(base + "/{payment_method_id}", tags=TAGS, response_model=PaymentMethodOut)
    async def detach_payment_method(customer_id: str, payment_method_id: str, caller: Caller):
        """Detach the method at the gateway; it is no longer listed or charged (status `detached` here)."""
        return view(await methods.detach(caller.organization_id, customer_id, payment_method_id))

    return api
