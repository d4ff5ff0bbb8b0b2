"""The card gateway: Stripe through its official SDK, or the sandbox that speaks its API."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

import stripe

from duely_payments.domain.charging import (
    FAILED, AttemptFacts, ChargePending, ChargeResult, attempt_idempotency_key, card_details,
    card_of_intent, invalid_request_result, is_hard_decline, payment_intent_params, result_from_payment_intent, safe_failure_reason,
)
from duely_payments.domain import refunding
from duely_payments.domain.refunding import RefundFacts, RefundPending, RefundResult, refund_params, result_from_refund

log = logging.getLogger(__name__)


CARD_LOOKUP_TIMEOUT_S = 5.0  # brand and last4 are nice to have; the charge's outcome is not


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
            error = exc.error
            intent = error.payment_intent if error else None
            code = exc.code or "card_declined"
            result = ChargeResult(FAILED, _intent_id(intent), None, code,
                                  exc.user_message or str(error.message if error else "Card declined."),
                                  safe_failure_reason(code, getattr(error, "decline_code", None)),
                                  card_of_intent(intent) or card_details(getattr(error, "payment_method", None)),
                                  hard_decline=is_hard_decline(code, getattr(error, "decline_code", None)))
            return await self._with_card(result, attempt)
        except stripe.InvalidRequestError as exc:
            # Refused before the card was even asked (e.g. an unknown payment method): the caller's error.
            return invalid_request_result(exc.code, exc.param, attempt.payment_method)
        except stripe.StripeError as exc:
            # Unreachable, 5xx, rate limit, auth or idempotency trouble: no final answer.
            log.warning("gateway gave no final answer", extra={"attempt_id": attempt.id, "error": repr(exc)})
            raise ChargePending(repr(exc)) from exc
        return await self._with_card(result_from_payment_intent(intent, settles_later=attempt.settles_later),
                                     attempt)

    async def settlement(self, payment_intent: str) -> ChargeResult:
        """A processing bank debit's PaymentIntent read again: PROCESSING while it settles, else its outcome.
        Raises ChargePending when the gateway gave no answer."""
        try:
            intent = await self.client.v1.payment_intents.retrieve_async(payment_intent)
        except stripe.StripeError as exc:
            raise ChargePending(repr(exc)) from exc
        return result_from_payment_intent(intent, settles_later=True)

    async def _with_card(self, result: ChargeResult, attempt: AttemptFacts) -> ChargeResult:
        """Fill in the card's brand and last4 when the answer carried only ids: ask for the PaymentMethod.
        Best effort: the outcome stands without them."""
        if result.card is not None or attempt.method_type != "card":
            return result
        try:  # bounded: the outcome waits for this call before it is recorded
            method = await asyncio.wait_for(
                self.client.v1.payment_methods.retrieve_async(attempt.payment_method), CARD_LOOKUP_TIMEOUT_S)
        except (stripe.StripeError, asyncio.TimeoutError) as exc:
            log.info("card details unavailable", extra={"attempt_id": attempt.id, "error": repr(exc)})
            return result
        return replace(result, card=card_details(method))

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
