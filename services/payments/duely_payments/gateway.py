"""The card gateway: Stripe through its official SDK, or the sandbox that speaks its API."""

from __future__ import annotations

import logging

import stripe

from duely_payments.domain.charging import (
    FAILED, AttemptFacts, ChargePending, ChargeResult, attempt_idempotency_key, payment_intent_params,
    result_from_payment_intent,
)
from duely_payments.domain import refunding
from duely_payments.domain.refunding import RefundFacts, RefundPending, RefundResult, refund_params, result_from_refund

log = logging.getLogger(__name__)


class CardGateway:
    def __init__(self, api_key: str, api_base: str = "") -> None:
        options = {"base_addresses": {"api": api_base.rstrip("/")}} if api_base else {}
        # Retries are safe: every create carries an idempotency key.
        self.client = stripe.StripeClient(api_key, max_network_retries=2, **options)

    async def charge(self, attempt: AttemptFacts) -> ChargeResult:
        """Create and confirm the attempt's PaymentIntent; a repeat replays the first result.

        Raises ChargePending when there is no final answer yet (the attempt stays processing).
        """
        key = attempt_idempotency_key(attempt.invoice_id, attempt.attempt_number)
        try:
            intent = await self.client.v1.payment_intents.create_async(
                params=payment_intent_params(attempt), options={"idempotency_key": key})
        except stripe.CardError as exc:
            intent = exc.error.payment_intent if exc.error else None
            return ChargeResult(FAILED, _intent_id(intent), None, exc.code or "card_declined",
                                exc.user_message or str(exc.error.message if exc.error else "Card declined."))
        except stripe.InvalidRequestError as exc:
            # The request was refused before any money moved (e.g. an unknown payment method).
            code = exc.code or ("resource_missing" if exc.http_status == 404 else "payment_method_invalid")
            return ChargeResult(FAILED, None, None, code,
                                f"The gateway refused the payment method: {exc.user_message or 'invalid request'}.",
                                failure_type="invalid_request_error")
        except stripe.StripeError as exc:
            # Unreachable, 5xx, rate limit, auth or idempotency trouble: no final answer.
            log.warning("gateway gave no final answer", extra={"attempt_id": attempt.id, "error": repr(exc)})
            raise ChargePending(repr(exc)) from exc
        return result_from_payment_intent(intent)

    async def refund(self, refund: RefundFacts) -> RefundResult:
        """Refund the payment's PaymentIntent with the refund's key; a repeat replays the first refund.

        Raises RefundPending when there is no final answer yet (the refund stays pending).
        """
        if not refund.payment_intent:
            return RefundResult(refunding.FAILED, None, "The payment has no gateway reference to refund.")
        try:
            if refund.gateway_reference:  # created before and still pending: ask how it went
                answer = await self.client.v1.refunds.retrieve_async(refund.gateway_reference)
            else:
                answer = await self.client.v1.refunds.create_async(
                    params=refund_params(refund), options={"idempotency_key": refund.idempotency_key})
        except stripe.InvalidRequestError as exc:
            # Refused for good (e.g. the charge was already refunded in the dashboard, or is disputed).
            return RefundResult(refunding.FAILED, None,
                                f"The gateway refused the refund: {exc.user_message or 'invalid request'}.")
        except stripe.StripeError as exc:
            log.warning("gateway gave no final answer on a refund", extra={"refund_id": refund.id, "error": repr(exc)})
            raise RefundPending(repr(exc), refund.gateway_reference) from exc
        return result_from_refund(answer)


def _intent_id(intent) -> str | None:
    if intent is None:
        return None
    return intent.get("id") if isinstance(intent, dict) else getattr(intent, "id", None)
