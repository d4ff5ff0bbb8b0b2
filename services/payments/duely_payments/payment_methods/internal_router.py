"""HTTP for our own services (shared secret, out of the OpenAPI): the portal's card update page.

The page's link (`payment_method.expiring`'s `update_url`) names the organization, the customer and the
card being replaced; the portal asks here what to show and to save the customer's new card. Saving goes
through the one save path (`PaymentMethods.save`: gateway Customer, SetupIntent, `payment_method.attached`)
and makes the new method the default. The portal sends an Idempotency-Key per form, so a double submit
saves once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, StringConstraints

from duely_payments import repository as payments_repo
from duely_payments.payment_methods import repository as repo
from duely_payments.payment_methods.schemas import MandateIn, PaymentMethodList, PaymentMethodOut, SavePaymentMethodRequest
from duely_payments.payment_methods.service import PaymentMethods, view
from duely_payments.schemas import RequestModel
from duely_runtime.auth import require_internal
from duely_runtime.errors import not_found
from duely_runtime.kit.deps import DbSession
from duely_runtime.text import CleanText

Id = Annotated[CleanText, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class InternalSaveRequest(RequestModel):
    organization_id: Id
    payment_method: Id  # a gateway PaymentMethod (pm_…) or a Stripe test id
    replaces: Id | None = None  # the method the customer is replacing: it must be this customer's
    set_default: bool = True  # the card update page replaces the default; the portal may add a spare
    mandate: MandateIn | None = None  # bank debits: the acceptance the portal's page collected
    authorization_text: Annotated[CleanText, StringConstraints(strip_whitespace=True, min_length=1,
                                                               max_length=5000)] | None = None


class OrganizationRequest(RequestModel):
    organization_id: Id


class CustomerOut(BaseModel):
    id: str
    name: str
    email: str
    locale: str | None


class UpdateContextOut(BaseModel):
    payment_method: PaymentMethodOut  # detached ones too: the page still says which card it was
    customer: CustomerOut
    organization_name: str | None


async def _customers_method(session, organization_id: str, customer_id: str, method_id: str):
    method = await repo.get_method(session, organization_id, method_id)
    if method is None or method.customer_id != customer_id:
        raise not_found("payment_method", method_id)
    return method


def router(runtime, methods: PaymentMethods) -> APIRouter:
    api = APIRouter(dependencies=[Depends(require_internal(runtime.settings.internal_secret))])
    base = "/internal/customers/{customer_id}/payment_methods"

    @api.get(base + "/{payment_method_id}", response_model=UpdateContextOut, include_in_schema=False)
    async def payment_method_context(customer_id: str, payment_method_id: str, organization_id: str,
                                     session: DbSession):
        """One of the customer's methods (detached too), the customer (name, locale) and the organization's
        name, for a page the customer opens from a link."""
        method = await _customers_method(session, organization_id, customer_id, payment_method_id)
        customer = await methods.customer(organization_id, customer_id)
        return UpdateContextOut(
            payment_method=view(method),
            customer=CustomerOut(id=customer.id, name=customer.name, email=customer.email, locale=customer.locale),
            organization_name=await payments_repo.organization_name(session, organization_id))

    @api.post(base, response_model=PaymentMethodOut, include_in_schema=False)
    async def save_payment_method_internal(customer_id: str, body: InternalSaveRequest):
        """Save a method for the customer and make it the default (201; 200 when it was saved already).
        A decline is the public API's 402 card_error, naming payment_method."""
        if body.replaces is not None:
            async with methods.db.transaction() as session:
                await _customers_method(session, body.organization_id, customer_id, body.replaces)
        method, created = await methods.save(body.organization_id, customer_id, SavePaymentMethodRequest(
            payment_method=body.payment_method, set_default=body.set_default, mandate=body.mandate,
            authorization_text=body.authorization_text))
        if body.set_default and not method.is_default:  # saved before (a replay): make it the default
            method = await methods.make_default(body.organization_id, customer_id, method.id)
        return JSONResponse(view(method).model_dump(mode="json"), status_code=201 if created else 200)

    # The portal's payment methods page: the same use cases as the public API, for the session's customer.

    @api.get(base, response_model=PaymentMethodList, include_in_schema=False)
    async def list_payment_methods_internal(customer_id: str, organization_id: str, session: DbSession):
        return PaymentMethodList(data=[view(m) for m in await methods.list(session, organization_id, customer_id)],
                                 has_more=False)

    @api.post(base + "/{payment_method_id}/default", response_model=PaymentMethodOut, include_in_schema=False)
    async def set_default_internal(customer_id: str, payment_method_id: str, body: OrganizationRequest):
        return view(await methods.make_default(body.organization_id, customer_id, payment_method_id))

    @api.delete(base + "/{payment_method_id}", response_model=PaymentMethodOut, include_in_schema=False)
    async def detach_internal(customer_id: str, payment_method_id: str, organization_id: str):
        return view(await methods.detach(organization_id, customer_id, payment_method_id))

    return api
