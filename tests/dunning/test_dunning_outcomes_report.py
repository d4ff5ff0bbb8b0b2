"""GET /v1/reports/dunning_outcomes on the real dunning service (Postgres, broker): invoices whose due date has
passed enter dunning; one is then paid (recovered), one written off, one still chased; counts and amounts exact;
another organization never counted."""

from __future__ import annotations

import uuid


from tests.dunning.builders import envelope, in_days, issued, new_invoice_id, paid, payment_applied, snapshot
from duely_contracts.events import InvoiceMarkedUncollectible


async def test_dunning_outcomes(dunning, invoicing, publish, wait_for, org):
    organization_id, key = org
    other_id, other_key = await invoicing.create_org(f"Other {uuid.uuid4().hex[:6]}")
    invoices = {name: snapshot(organization_id, new_invoice_id(), due_date=in_days(-3))
                for name in ("recovered", "written_off", "chased")}
    theirs = snapshot(other_id, new_invoice_id(), due_date=in_days(-3))
    for invoice in [*invoices.values(), theirs]:
        await publish(issued(invoice))

    async with dunning.client(key) as client, dunning.client(other_key) as other:
        async def started(invoice_id, c=client):
            response = await c.get(f"/v1/invoices/{invoice_id}/collection")
            return response.status_code == 200 and (response.json().get("dunning") or {}).get("started_at")
        for invoice in invoices.values():
            await wait_for(lambda: started(invoice.id), timeout=30)

        recovered = invoices["recovered"]
        await publish(payment_applied(recovered, payment_id="pay_part", amount=recovered.total))
        await publish(paid(recovered.model_copy(update={"version": recovered.version + 1})))
        written_off = invoices["written_off"]
        after = written_off.model_copy(update={"status": "uncollectible", "version": 2})
        await publish(envelope("invoice.marked_uncollectible", organization_id, written_off.id,
                               InvoiceMarkedUncollectible(invoice=after), 2))

        async def settled():
            body = (await client.get("/v1/reports/dunning_outcomes")).json()
            return body if body["outcomes"]["recovered"] == 1 and body["outcomes"]["uncollectible"] == 1 else None
        body = await wait_for(settled, timeout=30)
        assert body == {"object": "dunning_outcomes_report", "days": 90,
                        "outcomes": {"in_progress": 1, "recovered": 1, "uncollectible": 1, "sent_to_collections": 0},
                        "amounts": [{"currency": "usd", "recovered": recovered.total,
                                     "uncollectible": written_off.amount_due}]}
        assert (await other.get("/v1/reports/dunning_outcomes")).json()["outcomes"]["recovered"] == 0
        for days in ("0", "367", "x"):
            response = await client.get("/v1/reports/dunning_outcomes", params={"days": days})
            assert response.status_code == 400 and response.json()["error"]["param"] == "days", response.text
