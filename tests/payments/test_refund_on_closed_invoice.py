"""The leftover case: a charge that still lands on a closed invoice is refunded, once, and announced.

It happens when a charge outlives its reservation: here the process that made the attempt died,
its hold expired, the merchant voided the invoice, and the recovery worker finished the attempt
afterwards (it cannot know whether the dead process reached the gateway, so it must ask again).
Everything is real: invoicing and payments on Postgres, the broker, the sandbox gateway.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timedelta, timezone

import httpx
from sqlalchemy import select, update

from duely_contracts import Envelope
from duely_payments.models import PaymentAttempt, Refund
from duely_payments.refunds_service import refund_facts

from tests.payments.test_recovery_and_internal import stuck_attempt


async def events_about(read_events, topic: str, invoice_id: str) -> list:
    return [e for e in await read_events(topic, timeout=3, quiet_s=0.5) if e.aggregate_id == invoice_id]


def refunds_in_sandbox(sandbox_gateway, intent_id: str) -> list:
    return list(sandbox_gateway.client().v1.refunds.list(params={"payment_intent": intent_id, "limit": 10}).data)


async def refunds_of(payments, invoice_id: str) -> list[Refund]:
    async with payments.session() as session:
        return list((await session.execute(select(Refund).where(Refund.invoice_id == invoice_id))).scalars())


async def finished_refunds(payments, invoice_id: str, expected: int = 1):
    rows = await refunds_of(payments, invoice_id)
    done = [r for r in rows if r.status != "pending"]
    return done if len(done) >= expected else None


async def run_attempt_now(payments, attempt_id: str) -> None:
    async with payments.session() as session:
        await session.execute(update(PaymentAttempt).where(PaymentAttempt.id == attempt_id)
                              .values(next_check_at=datetime.now(timezone.utc)))


async def test_a_charge_landing_on_a_void_invoice_is_refunded_once_and_announced(
        payments, invoicing, issue_invoice, org, sandbox_gateway, read_events, publish, wait_for):
    invoice = await issue_invoice(org)
    attempt = stuck_attempt(org.id, invoice, "pm_card_visa")
    attempt.next_check_at = datetime.now(timezone.utc) + timedelta(hours=1)  # the worker waits: we void first
    async with payments.session() as session:
        session.add(attempt)
    async with httpx.AsyncClient(base_url=invoicing.url, headers=org.headers) as merchant:
        voided = await merchant.post(f"/v1/invoices/{invoice['id']}/void")
        assert voided.status_code == 200, voided.text  # no hold: the dead attempt's one expired

        await run_attempt_now(payments, attempt.id)  # the recovery worker finishes it: the card is charged
        [refund] = await wait_for(lambda: finished_refunds(payments, invoice["id"]), timeout=30)

        [intent] = sandbox_gateway.intents_for(invoice["id"])
        assert (intent.status, intent.amount) == ("succeeded", invoice["amount_due"])
        [given_back] = refunds_in_sandbox(sandbox_gateway, intent.id)
        assert (given_back.amount, given_back.status) == (intent.amount, "succeeded")
        assert (refund.status, refund.reason, refund.amount, refund.gateway_reference) == (
            "succeeded", "invoice_void", intent.amount, given_back.id)
        [payment] = await payments.payments(invoice["id"])
        assert refund.payment_id == payment.id

        [rejected] = await wait_for(lambda: events_about(read_events, "invoice.payment_rejected", invoice["id"]))
        assert (rejected.data["payment_id"], rejected.data["reason"]) == (payment.id, "invoice_void")
        [announced] = await wait_for(lambda: events_about(read_events, "payment.refunded", invoice["id"]))
        assert announced.organization_id == org.id
        data = announced.data
        assert (data["refund_id"], data["payment_id"], data["amount"], data["currency"], data["reason"]) == (
            refund.id, payment.id, intent.amount, "usd", "invoice_void")
        assert data["gateway_reference"] == given_back.id and data["invoice"]["number"] == invoice["number"]
        assert announced.correlation_id == rejected.correlation_id  # one journey, from the charge to the refund

        after = (await merchant.get(f"/v1/invoices/{invoice['id']}")).json()
        assert (after["status"], after["amount_paid"], after["payments"]) == ("void", 0, [])

        # Asked again (the same event under a new id, as after a broker restart): nothing new.
        duplicate = Envelope(**{**rejected.model_dump(), "id": str(uuid.uuid4())})
        await publish(duplicate)
        runtime = payments.app.state.runtime

        async def duplicate_handled():  # payments has consumed it (and, rightly, done nothing new)
            inbox = runtime.tables.inbox
            async with runtime.db.transaction() as session:
                return (await session.execute(select(inbox.c.event_id).where(inbox.c.event_id == duplicate.id))).first()
        await wait_for(duplicate_handled)
        # And the create call itself repeated with the refund's key replays the same refund.
        repeat = dataclasses.replace(refund_facts(refund, intent.id), gateway_reference=None)
        again = await payments.app.state.charging.card_gateway.refund(repeat)
        assert again.gateway_reference == given_back.id
        await wait_for(lambda: events_about(read_events, "payment.refunded", invoice["id"]))
        assert len(refunds_in_sandbox(sandbox_gateway, intent.id)) == 1
        assert len(await refunds_of(payments, invoice["id"])) == 1
        assert len(await events_about(read_events, "payment.refunded", invoice["id"])) == 1


async def test_a_second_charge_of_a_paid_invoice_is_refunded_and_the_first_kept(
        payments, invoicing, issue_invoice, org, sandbox_gateway, read_events, wait_for):
    invoice = await issue_invoice(org)
    async with httpx.AsyncClient(base_url=payments.url, headers=org.headers, timeout=30) as payer:
        first = await payer.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})
        assert first.status_code == 200, first.text
    async with httpx.AsyncClient(base_url=invoicing.url, headers=org.headers) as merchant:
        async def paid():
            body = (await merchant.get(f"/v1/invoices/{invoice['id']}")).json()
            return body if body["status"] == "paid" else None
        await wait_for(paid, timeout=30)
        # An attempt a crash left open (from before the first one, say) is finished now: a second charge.
        second = stuck_attempt(org.id, invoice, "pm_card_visa", number=2)
        async with payments.session() as session:
            session.add(second)
        [refund] = await wait_for(lambda: finished_refunds(payments, invoice["id"]), timeout=30)
        assert (refund.status, refund.reason) == ("succeeded", "invoice_already_paid")

        intents = {pi.metadata.to_dict()["duely_attempt_id"]: pi for pi in sandbox_gateway.intents_for(invoice["id"])}
        assert {pi.status for pi in intents.values()} == {"succeeded"} and len(intents) == 2
        assert refunds_in_sandbox(sandbox_gateway, intents[first.json()["id"]].id) == []
        assert [r.amount for r in refunds_in_sandbox(sandbox_gateway, intents[second.id].id)] == [invoice["amount_due"]]
        after = (await merchant.get(f"/v1/invoices/{invoice['id']}")).json()
        assert (after["status"], after["amount_paid"], after["amount_due"]) == ("paid", invoice["total"], 0)
        assert [p["payment_id"] for p in after["payments"]] == [first.json()["payment_id"]]
    [announced] = await wait_for(lambda: events_about(read_events, "payment.refunded", invoice["id"]))
    assert announced.data["reason"] == "invoice_already_paid"
