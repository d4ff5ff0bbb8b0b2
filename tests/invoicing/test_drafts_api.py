"""Editing drafts through the API: lines added, changed, removed; the draft changed or deleted.
Totals follow every edit, the version goes up, and anything but a draft is a 409."""

from __future__ import annotations

from duely_invoicing.models import Invoice, InvoiceLine

from tests.invoicing.helpers import create_customer, create_draft
from tests.invoicing.pricing_helpers import assert_error, assert_reconciles, create_tax_rate, line

CA = {"display_name": "CA sales tax", "percentage": "8.25", "inclusive": False}


async def test_lines_are_added_changed_and_removed_and_totals_follow(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        draft = await create_draft(client, customer["id"])  # 5997 + 15000 at 8.25%: 20997 + 1732 = 22729
        url = f"/v1/invoices/{draft['id']}"
        assert (draft["total"], draft["version"]) == (22729, 1)

        added = await client.post(f"{url}/lines", json=line("Support", "2", 2500, tax_rates=[CA]))
        assert added.status_code == 200, added.text
        invoice = added.json()
        # 25997 × 8.25% = 2144.7525 → 2145; total 28142
        assert [ln["description"] for ln in invoice["lines"]] == ["Widgets", "Consulting", "Support"]
        assert (invoice["subtotal"], invoice["tax"], invoice["total"], invoice["version"]) == (25997, 2145, 28142, 2)
        assert_reconciles(invoice)
        widgets, consulting, support = (ln["id"] for ln in invoice["lines"])

        changed = (await client.post(f"{url}/lines/{widgets}", json={"quantity": "1"})).json()
        # 1999 + 15000 + 5000 = 21999; × 8.25% = 1814.9175 → 1815
        assert (changed["subtotal"], changed["tax"], changed["total"], changed["version"]) == (21999, 1815, 23814, 3)
        assert changed["lines"][0]["description"] == "Widgets"  # untouched fields stay

        state = await create_tax_rate(client, "State", "5")
        halved = (await client.patch(f"{url}/lines/{consulting}", json={
            "discounts": [{"percentage": "50"}], "tax_rate_ids": [state["id"]],
            "period": {"start": "2026-03-01", "end": "2026-03-31"}})).json()
        second = halved["lines"][1]
        assert (second["discount_amount"], second["tax_rates"][0]["id"]) == (7500, state["id"])
        assert second["period"] == {"start": "2026-03-01", "end": "2026-03-31"}
        # CA on 1999 + 5000 = 6999 → 577.4175 → 577; State 5% of 7500 = 375; 21999 − 7500 + 952 = 15451
        assert (halved["tax"], halved["total"], halved["version"]) == (952, 15451, 4)
        assert_reconciles(halved)
        no_period = (await client.post(f"{url}/lines/{consulting}", json={"period": None})).json()
        assert no_period["lines"][1]["period"] is None

        removed = await client.delete(f"{url}/lines/{support}")
        assert removed.status_code == 200
        removed = removed.json()
        assert [ln["id"] for ln in removed["lines"]] == [widgets, consulting]
        assert (removed["subtotal"], removed["version"]) == (16999, 6)
        assert_reconciles(removed)
        assert await svc.count(InvoiceLine, InvoiceLine.invoice_id == draft["id"]) == 2

        updated = (await client.post(url, json={
            "memo": "Updated", "payment_terms": "net_15", "currency": "EUR", "discounts": [{"amount": 999}],
            "reporting_currency": "usd"})).json()
        assert (updated["memo"], updated["payment_terms"], updated["currency"]) == ("Updated", "net_15", "eur")
        assert (updated["total_discount"], updated["reporting_currency"], updated["version"]) == (7500 + 999, "usd", 7)
        assert_reconciles(updated)
        cleared = (await client.patch(url, json={"memo": None, "reporting_currency": None, "discounts": []})).json()
        assert (cleared["memo"], cleared["reporting_currency"], cleared["discounts"]) == (None, None, [])
        assert cleared["lines"][1]["discount_amount"] == 7500  # the line's own discount stays

        fetched = (await client.get(url)).json()
        assert fetched == cleared


async def test_bad_edits_are_refused_and_change_nothing(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        draft = await create_draft(client, customer["id"], discounts=[{"amount": 20000}])
        url = f"/v1/invoices/{draft['id']}"
        widgets, consulting = (ln["id"] for ln in draft["lines"])

        assert_error(await client.post(f"{url}/lines/{widgets}", json={"discounts": [{"amount": 6000}]}),
                     400, "discount_too_large", "discounts[0]")
        # Removing Consulting (15000) would leave 5997 under a 20000 discount.
        assert_error(await client.delete(f"{url}/lines/{consulting}"), 400, "discount_too_large", "discounts[0]")
        # Shrinking it as well: the invoice discount no longer fits.
        error = assert_error(await client.post(f"{url}/lines/{consulting}", json={"quantity": "0.5"}),
                             400, "discount_too_large", "discounts[0]")
        assert "after their own discounts" in error["message"]
        assert_error(await client.post(f"{url}/lines/{widgets}", json={"quantity": "-1"}),
                     400, "parameter_invalid", "quantity")
        assert_error(await client.post(f"{url}/lines/{widgets}", json={"unit_amount": 10**13}),
                     400, "parameter_invalid", "unit_amount")
        assert_error(await client.post(f"{url}/lines/{widgets}", json={"tax_rate_ids": ["txr_nope"]}),
                     400, "resource_missing", "tax_rate_ids[0]")
        assert_error(await client.post(f"{url}/lines", json=line("Bad", "1", 100, discounts=[{"amount": 101}])),
                     400, "discount_too_large", "discounts[0]")
        assert_error(await client.post(f"{url}/lines/il_nope", json={"quantity": "2"}), 404, "resource_missing",
                     "line_id")
        assert_error(await client.post(url, json={"currency": "ZZZ"}), 400, "parameter_invalid", "currency")
        assert_error(await client.post(url, json={"payment_terms": "whenever"}), 400, "parameter_invalid",
                     "payment_terms")
        assert_error(await client.post(url, json={"number": "INV-1"}), 400, "parameter_invalid", "number")
        assert (await client.get(url)).json() == draft  # nothing changed, same version

        single = await create_draft(client, customer["id"], lines=[line("Only", "1", 100)])
        assert_error(await client.delete(f"/v1/invoices/{single['id']}/lines/{single['lines'][0]['id']}"),
                     409, "invoice_needs_a_line", "line_id")


async def test_issued_invoices_cannot_be_edited_or_deleted(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        draft = await create_draft(client, customer["id"])
        url = f"/v1/invoices/{draft['id']}"
        issued = (await client.post(f"{url}/approve")).json()
        line_id = issued["lines"][0]["id"]
        for response in (
            await client.post(f"{url}/lines", json=line()),
            await client.post(f"{url}/lines/{line_id}", json={"quantity": "2"}),
            await client.patch(f"{url}/lines/{line_id}", json={"quantity": "2"}),
            await client.delete(f"{url}/lines/{line_id}"),
            await client.post(url, json={"memo": "too late"}),
            await client.patch(url, json={"memo": "too late"}),
            await client.delete(url),
        ):
            assert_error(response, 409, "invoice_not_editable", None)
        assert (await client.get(url)).json() == issued


async def test_a_draft_is_deleted_with_its_lines(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        draft = await create_draft(client, customer["id"])
        url = f"/v1/invoices/{draft['id']}"
        response = await client.delete(url)
        assert response.status_code == 200 and response.json() == {"id": draft["id"], "object": "invoice",
                                                                    "deleted": True}
        assert_error(await client.get(url), 404, "resource_missing", "id")
        assert_error(await client.delete(url), 404, "resource_missing", "id")
        assert await svc.count(InvoiceLine, InvoiceLine.invoice_id == draft["id"]) == 0
        assert await svc.count(Invoice, Invoice.id == draft["id"]) == 0


async def test_another_organizations_draft_is_not_found(svc, org):
    _, api_key = org
    _, other_key = await svc.create_org("Other")
    async with svc.client(other_key) as other:
        theirs = await create_draft(other, (await create_customer(other))["id"])
    url = f"/v1/invoices/{theirs['id']}"
    line_id = theirs["lines"][0]["id"]
    async with svc.client(api_key) as client:
        for response in (
            await client.post(f"{url}/lines", json=line()),
            await client.post(f"{url}/lines/{line_id}", json={"quantity": "2"}),
            await client.delete(f"{url}/lines/{line_id}"),
            await client.post(url, json={"memo": "mine now"}),
            await client.delete(url),
        ):
            assert_error(response, 404, "resource_missing", "id")
    async with svc.client(other_key) as other:
        assert (await other.get(url)).json() == theirs


async def test_adding_a_line_honours_the_idempotency_key(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        draft = await create_draft(client, customer["id"])
        headers = {"Idempotency-Key": f"add-line-{draft['id']}"}
        first = await client.post(f"/v1/invoices/{draft['id']}/lines", json=line("Once"), headers=headers)
        again = await client.post(f"/v1/invoices/{draft['id']}/lines", json=line("Once"), headers=headers)
        assert first.status_code == again.status_code == 200 and first.json() == again.json()
        assert await svc.count(InvoiceLine, InvoiceLine.invoice_id == draft["id"]) == 3
        other_body = await client.post(f"/v1/invoices/{draft['id']}/lines", json=line("Twice"), headers=headers)
        assert other_body.status_code in (400, 409, 422)
