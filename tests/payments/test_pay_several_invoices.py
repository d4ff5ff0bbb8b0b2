"""Several invoices of one customer paid with one charge (`POST /v1/customers/{id}/payments`, and the portal's
internal route): one PaymentIntent at the real sandbox, one payment and one payment.succeeded per invoice,
shares oldest first, refusals that hold nothing, and no second charge whatever else is asked meanwhile."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from duely_devstack.net import free_port
from duely_payments.main import build
from duely_runtime.auth import INTERNAL_HEADER
from duely_runtime.config import EMBEDDED_SECRET
from tests.payments.conftest import PORT_RANGE, RunningPayments, SandboxGateway, payments_settings, start_sandbox
from tests.payments.test_autopay import about, charge_due, save


async def customer_with_invoices(invoicing, org, amounts: list[int], *, currency: str = "usd",
                                 customer_id: str | None = None, first_due_in_weeks: int = 1) -> tuple[str, list[dict]]:
    """A customer and one issued invoice per amount, the first due soonest (due dates a week apart)."""
    async with httpx.AsyncClient(base_url=invoicing.url, headers=org.headers) as client:
        if customer_id is None:
            customer = await client.post("/v1/customers", json={"name": "Many Invoices Ltd",
                                                                "email": "ap@many.example"})
            assert customer.status_code == 201, customer.text
            customer_id = customer.json()["id"]
        invoices = []
        for index, amount in enumerate(amounts):
            draft = await client.post("/v1/invoices", json={
                "customer_id": customer_id, "currency": currency,
                "payment_terms": f"net_{7 * (index + first_due_in_weeks)}",
                "lines": [{"description": f"Month {index + 1}", "quantity": "1", "unit_amount": amount}]})
            assert draft.status_code == 201, draft.text
            issued = await client.post(f"/v1/invoices/{draft.json()['id']}/approve")
            assert issued.status_code == 200, issued.text
            invoices.append(issued.json())
    return customer_id, invoices


async def invoice_of(invoicing, org, invoice_id: str) -> dict:
    async with httpx.AsyncClient(base_url=invoicing.url, headers=org.headers) as client:
        return (await client.get(f"/v1/invoices/{invoice_id}")).json()


async def pay_together(payments_url: str, org, customer_id: str, invoice_ids: list[str], **body) -> httpx.Response:
    async with httpx.AsyncClient(base_url=payments_url, headers=org.headers, timeout=30) as client:
        return await client.post(f"/v1/customers/{customer_id}/payments", json={"invoice_ids": invoice_ids, **body})


async def test_two_of_three_invoices_are_paid_with_one_charge(
        payments, invoicing, org, read_events, sandbox_gateway, wait_for):
    customer_id, (first, second, third) = await customer_with_invoices(invoicing, org, [10000, 2550, 700])
    card = await save(payments.url, org, customer_id, "pm_card_visa")

    response = await pay_together(payments.url, org, customer_id, [second["id"], first["id"]])
    assert response.status_code == 200, response.text
    group = response.json()
    assert (group["object"], group["status"], group["amount"], group["currency"]) == \
        ("payment_group", "succeeded", 12550, "usd")
    assert group["payment_method"] == card["id"]  # none named: the customer's default
    # Shares in the order a partial payment would fill them: the oldest due first.
    assert [(a["invoice_id"], a["amount"], a["status"]) for a in group["allocations"]] == \
        [(first["id"], 10000, "succeeded"), (second["id"], 2550, "succeeded")]

    # One charge at the gateway, for the sum, on the saved card's customer.
    [intent] = sandbox_gateway.intents_for(group["id"])
    assert (intent.amount, intent.status, intent.payment_method) == (12550, "succeeded", card["id"])
    assert intent.id == group["gateway_reference"]
    # Each invoice has its own payment and event, so its own receipt; both are paid.
    for invoice, share in ((first, 10000), (second, 2550)):
        [payment] = await payments.payments(invoice["id"])
        assert (payment.amount, payment.gateway_reference) == (share, intent.id)
        [event] = await wait_for(lambda: about(read_events, "payment.succeeded", invoice["id"]), timeout=30)
        assert event.data["amount"] == share and event.data["payment_id"] == payment.id

        async def paid(invoice_id=invoice["id"]):
            body = await invoice_of(invoicing, org, invoice_id)
            return body if body["status"] == "paid" else None
        await wait_for(paid, timeout=30)
    # The third was not touched.
    assert await payments.attempts(third["id"]) == []
    assert (await invoice_of(invoicing, org, third["id"]))["status"] == "issued"

    # The group can be read back; paying either invoice again is refused, naming it.
    async with httpx.AsyncClient(base_url=payments.url, headers=org.headers) as client:
        again = await client.get(f"/v1/customers/{customer_id}/payments/{group['id']}")
    assert again.status_code == 200 and again.json()["status"] == "succeeded"
    refused = await pay_together(payments.url, org, customer_id, [third["id"], first["id"]])
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["param"] == "invoice_ids[1]"
    assert len(sandbox_gateway.intents_for(group["id"])) == 1


async def test_a_smaller_amount_pays_the_oldest_invoice_first(
        payments, invoicing, org, read_events, wait_for):
    customer_id, (older, newer) = await customer_with_invoices(invoicing, org, [4000, 3000])
    response = await pay_together(payments.url, org, customer_id, [newer["id"], older["id"]],
                                  payment_method="pm_card_mastercard", amount=4500)
    assert response.status_code == 200, response.text
    assert [(a["invoice_id"], a["amount"]) for a in response.json()["allocations"]] == \
        [(older["id"], 4000), (newer["id"], 500)]

    async def settled():
        states = [await invoice_of(invoicing, org, i["id"]) for i in (older, newer)]
        return states if [(s["status"], s["amount_due"]) for s in states] == [("paid", 0), ("issued", 2500)] else None
    await wait_for(settled, timeout=30)
    # What runs out before an invoice leaves it alone and unheld: it can be paid on its own at once.
    _, (untouched,) = await customer_with_invoices(invoicing, org, [900], customer_id=customer_id,
                                                   first_due_in_weeks=5)  # due after `newer`
    partial = await pay_together(payments.url, org, customer_id, [newer["id"], untouched["id"]],
                                 payment_method="pm_card_visa", amount=100)
    assert partial.status_code == 200, partial.text
    assert [a["invoice_id"] for a in partial.json()["allocations"]] == [newer["id"]]
    async with httpx.AsyncClient(base_url=payments.url, headers=org.headers, timeout=30) as client:
        alone = await client.post(f"/v1/invoices/{untouched['id']}/pay", json={"payment_method": "pm_card_visa"})
    assert alone.status_code == 200, alone.text


async def test_refusals_name_the_invoice_and_hold_nothing(payments, invoicing, org, other_org, sandbox_gateway):
    customer_id, (mine, second) = await customer_with_invoices(invoicing, org, [1000, 2000])
    other_customer, (theirs,) = await customer_with_invoices(invoicing, org, [500])
    _, (euros,) = await customer_with_invoices(invoicing, org, [800], currency="eur", customer_id=customer_id)
    _, (elsewhere,) = await customer_with_invoices(invoicing, other_org, [300])

    card = {"payment_method": "pm_card_visa"}
    cases = [
        ([mine["id"], theirs["id"]], card, 404, "resource_missing", "invoice_ids[1]"),  # another customer's
        ([mine["id"], elsewhere["id"]], card, 404, "resource_missing", "invoice_ids[1]"),  # another organization's
        ([mine["id"], euros["id"]], card, 400, "currency_mismatch", "invoice_ids[1]"),
        ([mine["id"], mine["id"]], card, 400, "parameter_invalid", "invoice_ids[1]"),
        ([], card, 400, "parameter_missing", "invoice_ids"),
        ([mine["id"]], {}, 400, "payment_method_missing", "payment_method"),  # no saved method yet
        ([mine["id"], second["id"]], {"payment_method": "pm_card_visa", "amount": 3001}, 400, "parameter_invalid",
         "amount"),
        ([mine["id"]], {"payment_method": "pm_unknown_nothing"}, 400, "payment_method_invalid", "payment_method"),
    ]
    for ids, body, status, code, param in cases:
        response = await pay_together(payments.url, org, customer_id, ids, **body)
        assert response.status_code == status, (ids, body, response.text)
        error = response.json()["error"]
        assert (error["code"], error["param"]) == (code, param), (ids, body, error)
    # Nothing was held or charged: each invoice pays on its own at once.
    assert await payments.attempts(mine["id"]) == [] or all(
        a.status == "invalid" for a in await payments.attempts(mine["id"]))
    response = await pay_together(payments.url, org, customer_id, [mine["id"], second["id"]],
                                  payment_method="pm_card_visa")
    assert response.status_code == 200 and response.json()["status"] == "succeeded", response.text
    assert sandbox_gateway.intents_for(theirs["id"]) == []


async def test_a_decline_fails_every_share_and_frees_the_invoices(payments, invoicing, org, read_events, wait_for):
    customer_id, invoices = await customer_with_invoices(invoicing, org, [1200, 1300])
    declined = await pay_together(payments.url, org, customer_id, [i["id"] for i in invoices],
                                  payment_method="pm_card_chargeDeclinedInsufficientFunds")
    assert declined.status_code == 200, declined.text
    body = declined.json()
    assert (body["status"], body["failure_reason"]) == ("failed", "insufficient_funds")
    assert {a["status"] for a in body["allocations"]} == {"failed"}
    for position, invoice in enumerate(invoices):  # each invoice's own event; the oldest speaks for the group
        [event] = await wait_for(lambda: about(read_events, "invoice.payment_failed", invoice["id"]), timeout=30)
        assert event.data["failure_reason"] == "insufficient_funds"
        assert (event.data["payment_group_id"], event.data["first_of_group"]) == (body["id"], position == 0)
    again = await pay_together(payments.url, org, customer_id, [i["id"] for i in invoices],
                               payment_method="pm_card_visa")
    assert again.status_code == 200 and again.json()["status"] == "succeeded", again.text


async def test_no_second_charge_with_concurrent_payers_and_autopay(
        payments, invoicing, org, publish, read_events, sandbox_gateway, wait_for):
    customer_id, invoices = await customer_with_invoices(invoicing, org, [2100, 2200])
    await save(payments.url, org, customer_id, "pm_card_visa")
    ids = [i["id"] for i in invoices]
    # Two tabs pay both at once, with different keys, while AutoPay falls due for the first.
    await publish(charge_due(org.id, ids[0]))
    answers = await asyncio.gather(pay_together(payments.url, org, customer_id, ids),
                                   pay_together(payments.url, org, customer_id, list(reversed(ids))))
    assert all(a.status_code in (200, 409) for a in answers), [a.text for a in answers]
    # The first invoice is paid by whoever came first (a group, or AutoPay when it held the invoice first).
    await wait_for(lambda: about(read_events, "payment.succeeded", ids[0]), timeout=30)

    async def settled():
        attempts = [a for invoice_id in ids for a in await payments.attempts(invoice_id)]
        return attempts if attempts and all(a.status != "processing" for a in attempts) else None
    await wait_for(settled, timeout=30)
    await asyncio.sleep(1)  # AutoPay's request, if it lost, has been skipped by now
    succeeded = [a.json() for a in answers if a.status_code == 200]
    assert len(succeeded) <= 1 and all(g["status"] == "succeeded" for g in succeeded)
    collected = 0
    for invoice_id in ids:  # never charged twice
        found = await payments.payments(invoice_id)
        assert len(found) <= 1 and len(await about(read_events, "payment.succeeded", invoice_id)) == len(found)
        collected += sum(p.amount for p in found)
    # The gateway took exactly what was recorded: one group charge and/or one AutoPay charge, nothing more.
    intents = [pi for g in succeeded for pi in sandbox_gateway.intents_for(g["id"])]
    intents += [pi for invoice_id in ids for pi in sandbox_gateway.intents_for(invoice_id)]
    assert sum(pi.amount for pi in intents if pi.status == "succeeded") == collected > 0


async def test_the_portal_pays_through_the_internal_route(payments, invoicing, org, other_org):
    customer_id, invoices = await customer_with_invoices(invoicing, org, [1500, 1600])
    headers = {INTERNAL_HEADER: EMBEDDED_SECRET, "Idempotency-Key": "portal-form-1"}
    body = {"organization_id": org.id, "invoice_ids": [i["id"] for i in invoices], "payment_method": "pm_card_visa"}
    async with httpx.AsyncClient(base_url=payments.url, timeout=30) as client:
        without = await client.post(f"/internal/customers/{customer_id}/payments", json=body)
        assert without.status_code in (401, 403)
        wrong_org = await client.post(f"/internal/customers/{customer_id}/payments", headers=headers,
                                      json={**body, "organization_id": other_org.id})
        assert wrong_org.status_code == 404, wrong_org.text
        first = await client.post(f"/internal/customers/{customer_id}/payments",
                                  headers={**headers, "Idempotency-Key": "portal-form-2"}, json=body)
        replay = await client.post(f"/internal/customers/{customer_id}/payments",
                                   headers={**headers, "Idempotency-Key": "portal-form-2"}, json=body)
    assert first.status_code == 200 and first.json()["status"] == "succeeded", first.text
    assert replay.json() == first.json()  # a double-submitted form is one payment


async def test_a_gateway_outage_leaves_the_group_processing_until_one_charge_lands(
        serve, settings_env, database_url, invoicing, org, tmp_path, wait_for):
    down = SandboxGateway(f"http://127.0.0.1:{free_port(*PORT_RANGE)}")  # nothing listens there yet
    db_url = await database_url("payments_group_outage")
    app = build(payments_settings(settings_env, db_url, down, invoicing.url, stale_attempt_after_s=1.0))
    engine = create_async_engine(db_url)
    async with serve(app) as url:
        instance = RunningPayments(url, app, engine)
        customer_id, invoices = await customer_with_invoices(invoicing, org, [3100, 3200])
        response = await pay_together(url, org, customer_id, [i["id"] for i in invoices],
                                      payment_method="pm_card_visa")
        assert response.status_code == 202, response.text
        group = response.json()
        assert group["status"] == "processing"
        # Held meanwhile: the merchant cannot void either invoice, nor can anyone charge it.
        async with httpx.AsyncClient(base_url=invoicing.url, headers=org.headers) as merchant:
            refused = await merchant.post(f"/v1/invoices/{invoices[1]['id']}/void")
            assert refused.status_code == 409, refused.text
        blocked = await pay_together(url, org, customer_id, [invoices[1]["id"]], payment_method="pm_card_visa")
        assert blocked.status_code == 409 and blocked.json()["error"]["code"] == "payment_in_progress"

        with start_sandbox(int(down.url.rsplit(":", 1)[1]), tmp_path / "sandbox"):
            async def finished():
                shares = [a for i in invoices for a in await instance.attempts(i["id"])]
                return shares if shares and all(a.status == "succeeded" for a in shares) else None
            shares = await wait_for(finished, timeout=40)
            [intent] = down.intents_for(group["id"])  # the group's one charge, replayed by its key
            assert (intent.amount, intent.status) == (6300, "succeeded")
            assert {a.gateway_reference for a in shares} == {intent.id}
        for invoice in invoices:
            async def paid(invoice_id=invoice["id"]):
                body = await invoice_of(invoicing, org, invoice_id)
                return body if body["status"] == "paid" else None
            await wait_for(paid, timeout=30)
    await engine.dispose()


async def test_each_invoices_share_is_refunded_on_its_own(payments, invoicing, org, sandbox_gateway, wait_for):
    customer_id, invoices = await customer_with_invoices(invoicing, org, [5000, 6000])
    group = (await pay_together(payments.url, org, customer_id, [i["id"] for i in invoices],
                                payment_method="pm_card_visa")).json()
    [first], [second] = [await payments.payments(i["id"]) for i in invoices]
    async with httpx.AsyncClient(base_url=payments.url, headers=org.headers, timeout=30) as client:
        whole = await client.post(f"/v1/payments/{first.id}/refunds", json={})
        assert whole.status_code == 201, whole.text
        too_much = await client.post(f"/v1/payments/{second.id}/refunds", json={"amount": 6001})
        assert too_much.status_code == 400, too_much.text  # a share is refundable up to itself, not the charge
    assert whole.json()["amount"] == 5000

    async def refunded():
        [intent] = sandbox_gateway.intents_for(group["id"])
        refunds = sandbox_gateway.client().v1.refunds.list(params={"payment_intent": intent.id}).data
        return refunds if [r.amount for r in refunds if r.status == "succeeded"] == [5000] else None
    await wait_for(refunded, timeout=30)
