"""Saved payment methods at the gateway (Stripe through its SDK, or the sandbox): the gateway Customer,
a SetupIntent that attaches a method for off-session use (with the mandate for bank debits), the mandate's
reference, detach. Every create carries an idempotency key, so a retry never makes a second object."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import stripe

from duely_payments.domain.charging import gateway_field, object_id
from duely_runtime.errors import ApiError, invalid

log = logging.getLogger(__name__)

DEBIT_TYPES = ("us_bank_account", "sepa_debit")


class GatewayUnavailable(ApiError):
    def __init__(self, detail: str) -> None:
        super().__init__(503, "gateway_unavailable", "The payment gateway could not be reached; retry shortly.")
        self.detail = detail


@dataclass(frozen=True)
class MandateEvidence:
    accepted_at: datetime
    ip_address: str
    user_agent: str


@dataclass(frozen=True)
class SetupOutcome:
    """What the gateway said about a method it attached: the method's own (new) id and its details."""

    payment_method: Any  # the PaymentMethod object
    setup_intent_id: str | None
    setup_intent_status: str | None
    mandate_id: str | None
    mandate_reference: str | None


class MethodsGateway:
    def __init__(self, client: stripe.StripeClient) -> None:
        self.client = client

    async def create_customer(self, *, organization_id: str, customer_id: str, name: str, email: str) -> str:
        try:
            customer = await self.client.v1.customers.create_async(params={
                "name": name, "email": email,
                "metadata": {"duely_organization_id": organization_id, "duely_customer_id": customer_id}},
                options={"idempotency_key": f"{organization_id}:{customer_id}:gateway_customer"})
        except stripe.StripeError as exc:
            raise GatewayUnavailable(repr(exc)) from exc
        return customer.id

    async def retrieve_method(self, payment_method: str) -> Any:
        """The PaymentMethod (its type decides the SetupIntent); 400 naming payment_method when unknown."""
        try:
            return await self.client.v1.payment_methods.retrieve_async(payment_method)
        except stripe.InvalidRequestError as exc:
            raise invalid("payment_method", f"The payment gateway has no payment method '{payment_method}'.",
                          code="payment_method_invalid") from exc
        except stripe.StripeError as exc:
            raise GatewayUnavailable(repr(exc)) from exc

    async def set_up(self, *, idempotency_key: str, gateway_customer: str, payment_method: str, method_type: str,
                     mandate: MandateEvidence | None, metadata: dict[str, str]) -> SetupOutcome:
        """Confirm a SetupIntent for off-session use: it attaches the method to the customer."""
        params: dict[str, Any] = {
            "customer": gateway_customer, "payment_method": payment_method, "confirm": True,
            "usage": "off_session", "payment_method_types": [method_type], "metadata": metadata,
        }
        if mandate is not None:
            params["mandate_data"] = {"customer_acceptance": {
                "type": "online", "accepted_at": int(mandate.accepted_at.timestamp()),
                "online": {"ip_address": mandate.ip_address, "user_agent": mandate.user_agent}}}
        try:
            intent = await self.client.v1.setup_intents.create_async(
                params=params, options={"idempotency_key": idempotency_key})
        except stripe.CardError as exc:
            raise ApiError(402, exc.code or "card_declined",
                           f"The payment gateway refused to save this payment method: {exc.user_message or 'declined'}.",
                           param="payment_method", type="card_error") from exc
        except stripe.InvalidRequestError as exc:
            raise invalid(exc.param if exc.param in ("payment_method", "mandate") else "payment_method",
                          f"The payment gateway refused to save this payment method: "
                          f"{exc.user_message or 'invalid request'}.", code="payment_method_invalid") from exc
        except stripe.StripeError as exc:
            raise GatewayUnavailable(repr(exc)) from exc
        status = gateway_field(intent, "status")
        if status not in ("succeeded", "processing", "requires_action"):
            error = gateway_field(intent, "last_setup_error")
            raise ApiError(402, gateway_field(error, "code") or "setup_failed",
                           f"The payment gateway could not set up this payment method ({status}).",
                           param="payment_method", type="card_error")
        method_id = object_id(gateway_field(intent, "payment_method")) or payment_method
        method = await self.retrieve_method(method_id)
        mandate_id = object_id(gateway_field(intent, "mandate"))
        reference = await self.mandate_reference(mandate_id, method_type) if mandate_id else None
        return SetupOutcome(method, gateway_field(intent, "id"), status, mandate_id, reference)

    async def mandate_reference(self, mandate_id: str, method_type: str) -> str | None:
        """SEPA: the reference the debtor's bank shows; ACH has none of its own (the mandate id stands in)."""
        try:
            mandate = await self.client.v1.mandates.retrieve_async(mandate_id)
        except stripe.StripeError as exc:
            log.warning("mandate not readable", extra={"mandate": mandate_id, "error": repr(exc)})
            return mandate_id
        details = gateway_field(gateway_field(mandate, "payment_method_details"), method_type)
        return gateway_field(details, "reference") or mandate_id

    async def detach(self, payment_method: str) -> None:
        try:
            await self.client.v1.payment_methods.detach_async(payment_method)
        except stripe.InvalidRequestError as exc:
            # Already detached (or gone) at the gateway: what we wanted.
            log.info("detach refused by the gateway", extra={"payment_method": payment_method, "error": repr(exc)})
        except stripe.StripeError as exc:
            raise GatewayUnavailable(repr(exc)) from exc
