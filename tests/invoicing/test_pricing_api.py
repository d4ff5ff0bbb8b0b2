"""Reusable tax rates, discounts, periods and the reporting currency through the API, on Postgres."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from duely_runtime.auth import INTERNAL_HEADER
from duely_contracts.models import InvoiceSnapshot

from tests.invoicing.helpers import create_customer
from tests.invoicing.pricing_helpers import assert_error, assert_reconciles, create_tax_rate, line

# A standard-rated breakdown entry has no zero-tax category or exemption reason.
STANDARD = {"category": None, "exemption_reason": None, "exemption_reason_code": None}


async def test_tax_rates_are_created_listed_updated_and_deactivated(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        state = await create_tax_rate(client, "NY State", "4", country="us", region="US-NY",
                                      description="New York State sales tax")
        city = await create_tax_rate(client, "NYC", "4.5", country="US", region="New York City")
        assert state["id"].startswith("txr_") and state["object"] == "tax_rate"
        assert (state["percentage"], state["inclusive"], state["country"], state["active"]) == ("4", False, "US", True)
        assert (await client.get(f"/v1/tax_rates/{state['id']}")).json() == state

        page = (await client.get("/v1/tax_rates", params={"limit": 1})).json()
        assert [r["id"] for r in page["data"]] == [city["id"]] and page["has_more"] is True
        rest = (await client.get("/v1/tax_rates", params={"limit": 1, "cursor": page["next_cursor"]})).json()
        assert [r["id"] for r in rest["data"]] == [state["id"]] and rest["has_more"] is False
        after = (await client.get("/v1/tax_rates", params={"starting_after": city["id"]})).json()
        assert [r["id"] for r in after["data"]] == [state["id"]]

        renamed = await client.patch(f"/v1/tax_rates/{city['id']}", json={"display_name": "NYC sales tax"})
        assert renamed.status_code == 200 and renamed.json()["display_name"] == "NYC sales tax"
        deactivated = await client.post(f"/v1/tax_rates/{city['id']}", json={"active": False})
        assert deactivated.json()["active"] is False and deactivated.json()["percentage"] == "4.5"
        active = (await client.get("/v1/tax_rates", params={"active": "true"})).json()
        assert [r["id"] for r in active["data"]] == [state["id"]]

        # The percentage of a rate is fixed: a new rate is a new object.
        assert_error(await client.post(f"/v1/tax_rates/{state['id']}", json={"percentage": "5"}),
                     400, "parameter_invalid", "percentage")
        assert_error(await client.get("/v1/tax_rates/txr_missing"), 404, "resource_missing", "id")


async def test_multi_rate_invoice_in_eur_with_discounts_periods_and_rate_copies(svc, org):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        state = await create_tax_rate(client, "State", "6.25")
        city = await create_tax_rate(client, "City", "2")
        body = {
            "customer_id": customer["id"], "currency": "EUR",
            "lines": [
                # 3 × €19.99 = 5997; 10% = 599.7 → 600 → 5397; state + city by id
                line("Widgets", 3, 1999, tax_rate_ids=[state["id"], city["id"]], discounts=[{"percentage": "10"}],
                     period={"start": "2026-01-01", "end": "2026-01-31"}),
                # 1.5 × €100 = 15000; −€5 → 14500; state only, inline
                line("Consulting", "1.5", 10000, tax_rates=[{"display_name": "State", "percentage": "6.25"}],
                     discounts=[{"amount": 500}]),
            ],
            "discounts": [{"amount": 2000}],  # −€20 over 5397 : 14500 → 542 and 1458 (largest remainder)
        }
        response = await client.post("/v1/invoices", json=body)
        assert response.status_code == 201, response.text
        invoice = response.json()
        first, second = invoice["lines"]
        assert (first["amount"], first["discount_amount"], second["amount"], second["discount_amount"]) == (
            5997, 600 + 542, 15000, 500 + 1458)
        assert first["period"] == {"start": "2026-01-01", "end": "2026-01-31"} and second["period"] is None
        assert first["discounts"] == [{"percentage": "10", "amount": None, "discount_amount": 600}]
        assert invoice["discounts"] == [{"percentage": None, "amount": 2000, "discount_amount": 2000}]
        # taxable 4855 + 13042 = 17897: State 6.25% = 1118.5625 → 1119; City 2% of 4855 = 97.1 → 97
        assert invoice["tax_breakdown"] == [
            {"display_name": "State", "percentage": "6.25", "inclusive": False, "taxable_amount": 17897,
             "tax_amount": 1119, **STANDARD},
            {"display_name": "City", "percentage": "2", "inclusive": False, "taxable_amount": 4855,
             "tax_amount": 97, **STANDARD}]
        # 20997 − 3100 + 1216 = 19113
        assert (invoice["subtotal"], invoice["total_discount"], invoice["tax"], invoice["total"]) == (
            20997, 3100, 1216, 19113)
        assert [r["id"] for r in first["tax_rates"]] == [state["id"], city["id"]]
        assert second["tax_rates"][0]["id"] is None
        assert_reconciles(invoice)
        assert invoice["pdf_url"] == f"{svc.settings.public_base_url}/v1/invoices/{invoice['id']}/pdf"
        assert invoice["payments"] == []

        # Renaming or deactivating a rate later doesn't touch the invoice: lines keep their copy.
        await client.post(f"/v1/tax_rates/{city['id']}", json={"display_name": "Renamed", "active": False})
        again = (await client.get(f"/v1/invoices/{invoice['id']}")).json()
        assert again["lines"] == invoice["lines"] and again["tax_breakdown"] == invoice["tax_breakdown"]
        # ...but an inactive rate can't go on a new line.
        inactive = await client.post("/v1/invoices", json={**body, "lines": [line(tax_rate_ids=[city["id"]])]})
        assert_error(inactive, 400, "tax_rate_inactive", "lines[0].tax_rate_ids[0]")

        # The snapshot other services get carries the same facts.
        snapshot = InvoiceSnapshot.model_validate((await client.get(
            f"/internal/invoices/{invoice['id']}", params={"organization_id": organization_id},
            headers={INTERNAL_HEADER: svc.settings.internal_secret})).json())
        assert snapshot.total_discount == 3100 and snapshot.discounts[0].discount_amount == 2000
        assert [(ln.discount_amount, ln.tax_amount, ln.total) for ln in snapshot.lines] == [
            (l["discount_amount"], l["tax_amount"], l["total"]) for l in invoice["lines"]]
        assert snapshot.lines[0].period.start == date(2026, 1, 1)
        assert snapshot.lines[0].tax_rates[0].id == state["id"]


async def test_inclusive_rates_in_jpy_reconcile_through_the_api(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        standard = await create_tax_rate(client, "消費税", "10", inclusive=True, country="JP")
        response = await client.post("/v1/invoices", json={
            "customer_id": customer["id"], "currency": "jpy", "discounts": [{"percentage": "10"}],
            "lines": [line("Tea set", 3, 1234, tax_rate_ids=[standard["id"]], discounts=[{"percentage": "5"}]),
                      line("Rice", 2, 1080, tax_rates=[{"display_name": "軽減税率", "percentage": "8",
                                                        "inclusive": True}])]})
        invoice = response.json()
        # Worked in test_pricing_domain: 5862 − 753 = 5109 with ¥288 + ¥144 inside
        assert (invoice["subtotal"], invoice["total_discount"], invoice["tax"], invoice["total"]) == (
            5862, 753, 432, 5109)
        assert [ln["total"] for ln in invoice["lines"]] == [3165, 1944]
        assert_reconciles(invoice)


async def test_reporting_total_is_fixed_at_approval_and_never_recomputed(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        draft = (await client.post("/v1/invoices", json={
            "customer_id": customer["id"], "currency": "kwd", "reporting_currency": "USD",
            "lines": [line("Audit", 1, 2511)]})).json()
        assert draft["reporting_currency"] == "usd" and draft["reporting"] is None

        # No rate yet: a 409 naming the field, and the draft is untouched (no number taken).
        missing = await client.post(f"/v1/invoices/{draft['id']}/approve")
        assert_error(missing, 409, "exchange_rate_missing", "reporting_currency")
        unchanged = (await client.get(f"/v1/invoices/{draft['id']}")).json()
        assert (unchanged["status"], unchanged["number"], unchanged["version"]) == ("draft", None, 1)

        today = datetime.now(timezone.utc).date()
        future = await client.post("/v1/exchange_rates", json={  # dated after today: not usable yet
            "base": "kwd", "quote": "usd", "rate": "9", "date": (today + timedelta(days=3)).isoformat()})
        assert future.status_code == 201, future.text
        older = {"base": "KWD", "quote": "USD", "rate": "3.25", "date": (today - timedelta(days=2)).isoformat(),
                 "source": "ECB reference"}
        created = await client.post("/v1/exchange_rates", json=older)
        assert created.status_code == 201 and created.json()["rate"] == "3.25"

        approved = (await client.post(f"/v1/invoices/{draft['id']}/approve")).json()
        # 2.511 KWD × 3.25 = 8.16075 USD → $8.16
        assert approved["reporting"] == {"currency": "usd", "rate": "3.25", "source": "ECB reference",
                                         "rate_date": older["date"], "total": 816}
        await client.post("/v1/exchange_rates", json={**older, "rate": "3.5", "date": today.isoformat()})
        later = (await client.get(f"/v1/invoices/{draft['id']}")).json()
        assert later["reporting"] == approved["reporting"]

        rates = (await client.get("/v1/exchange_rates", params={"base": "kwd", "limit": 2})).json()
        assert len(rates["data"]) == 2 and rates["has_more"] is True

        # The inverse of a quote→base rate serves too.
        await client.post("/v1/exchange_rates", json={"base": "eur", "quote": "jpy", "rate": "160",
                                                      "date": today.isoformat()})
        jpy = (await client.post("/v1/invoices", json={
            "customer_id": customer["id"], "currency": "jpy", "reporting_currency": "eur",
            "lines": [line("Tea", 1, 16000)]})).json()
        issued = (await client.post(f"/v1/invoices/{jpy['id']}/approve")).json()
        # ¥16,000 × 0.00625 = €100.00
        assert issued["reporting"]["rate"] == "0.00625" and issued["reporting"]["total"] == 10000
        assert issued["reporting"]["source"] == "manual (inverse)"
