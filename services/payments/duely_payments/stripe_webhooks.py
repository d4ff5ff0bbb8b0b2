"""`POST /webhooks/stripe`: the gateway's signed events. They settle bank debits (payment_intent.succeeded /
payment_failed) and activate ACH accounts verified later (setup_intent.succeeded).

Verified with `stripe.Webhook.construct_event` and DUELY_PAYMENTS_STRIPE_WEBHOOK_SECRET (400 on a bad or
missing signature). Each event id is handled once (gateway_events, in the transaction of its effects), so a
redelivery answers 200 and changes nothing. Unknown types, PaymentIntents that are not our attempts, and
attempts of another organization than the event's metadata says are acknowledged (200) and ignored: the
gateway must not keep retrying what we will never act on. Not under the API key (the signature is the
credential), outside /v1 and out of the public OpenAPI (it is the gateway's endpoint, not the merchant's).
"""

from __future__ import annotations

import logging

import stripe
from sqlalchemy import update
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from duely_payments import repository as repo
from duely_payments.domain.charging import PROCESSING, gateway_field, result_from_payment_intent
from duely_payments.models import GatewayEvent
from duely_payments.service import Charging, end_reservation_after, record_outcome
from duely_runtime.errors import error_body
from duely_runtime.kit.clock import utcnow
from duely_runtime.kit.writes import insert_ignore

log = logging.getLogger(__name__)

SETTLEMENT_EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed")


def router(charging: Charging, webhook_secret: str, methods=None) -> APIRouter:
    api = APIRouter()

    @api.post("/webhooks/stripe", include_in_schema=False)
    async def stripe_webhook(request: Request):
        payload = await request.body()
        signature = request.headers.get("stripe-signature", "")
        if not webhook_secret:
            return JSONResponse(error_body("api_error", "webhook_not_configured",
                                           "DUELY_PAYMENTS_STRIPE_WEBHOOK_SECRET is not set."), status_code=503)
        try:
            event = stripe.Webhook.construct_event(payload, signature, webhook_secret)
        except stripe.SignatureVerificationError:
            return JSONResponse(error_body("invalid_request_error", "signature_invalid",
                                           "The Stripe-Signature header does not verify.", "Stripe-Signature"),
                                status_code=400)
        except ValueError:
            return JSONResponse(error_body("invalid_request_error", "invalid_json",
                                           "The request body is not a Stripe event."), status_code=400)
        outcome = await handle_event(charging, event, methods)
        if outcome == NOT_READY:  # the gateway retries with backoff; by then the debit is recorded
            return JSONResponse(error_body("api_error", "not_ready", "This debit is not recorded yet; retry."),
                                status_code=503)
        return JSONResponse({"received": True, "outcome": outcome})

    return api


NOT_READY = "not_ready"


class _NotReady(Exception):
    """Raised inside the event's transaction so that nothing of it, its id included, is kept."""


DEBIT_TYPES = frozenset({"sepa_debit", "us_bank_account"})


def _debit_not_recorded_yet(intent, metadata, attempt) -> bool:
    """A bank debit of ours whose attempt does not yet say it is settling (or is not found by the intent)."""
    types = set(gateway_field(intent, "payment_method_types") or ())
    if not types & DEBIT_TYPES or not gateway_field(metadata, "duely_invoice_id"):
        return False
    return attempt is None or (attempt.settling_since is None and attempt.status == PROCESSING)


async def handle_event(charging: Charging, event, methods=None) -> str:
    """Act on one verified event, once: 'handled', 'ignored', 'duplicate', or 'not_ready' (nothing kept)."""
    try:
        return await _handle_event(charging, event, methods)
    except _NotReady:
        return NOT_READY


async def _handle_event(charging: Charging, event, methods=None) -> str:
    event_id, event_type = gateway_field(event, "id"), str(gateway_field(event, "type"))
    obj = gateway_field(gateway_field(event, "data"), "object")
    metadata = gateway_field(obj, "metadata") or {}
    organization_id = gateway_field(metadata, "duely_organization_id")
    now = utcnow()
    attempt = None
    async with charging.db.transaction() as session:
        if not await insert_ignore(session, GatewayEvent.__table__, {
                "id": event_id, "type": event_type[:100], "outcome": "ignored", "received_at": now}):
            return "duplicate"
        outcome = "ignored"
        if event_type in SETTLEMENT_EVENTS and gateway_field(obj, "object") == "payment_intent":
            candidate = await repo.attempt_by_gateway_reference(session, gateway_field(obj, "id"))
            if _debit_not_recorded_yet(obj, metadata, candidate):
                # The debit's outcome overtook our record of it as processing (both race the gateway's
                # answer): forget the event id and ask the gateway to deliver it again.
                raise _NotReady
            if candidate is not None and candidate.settling_since is not None and \
                    organization_id == candidate.organization_id:
                result = result_from_payment_intent(obj, settles_later=True)
                if result.status != PROCESSING:
                    attempt = await record_outcome(session, charging.outbox, candidate.id, result, now)
                    outcome = "handled"
        elif event_type == "setup_intent.succeeded" and methods is not None and \
                gateway_field(obj, "object") == "setup_intent":
            if await methods.verified(session, gateway_field(obj, "id"), organization_id) is not None:
                outcome = "handled"
        if outcome != "ignored":
            await session.execute(update(GatewayEvent).where(GatewayEvent.id == event_id).values(outcome=outcome))
    if attempt is not None:
        log.info("a bank debit settled", extra={"attempt_id": attempt.id, "status": attempt.status,
                                                "event_id": event_id})
        await end_reservation_after(charging, attempt)  # a late failure frees the invoice for another payment
    return outcome
