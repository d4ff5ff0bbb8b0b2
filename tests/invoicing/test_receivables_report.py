"""GET /v1/reports/receivables on a real invoicing service (Postgres, broker): invoices created, approved, voided
and written off through the API; the figures checked exactly, per currency; another organization never counted."""

from __future__ import annotations

from datetime import date, timedelta

from tests.invoicing.helpers import create_customer, create_draft
from tests.invoicing.pricing_helpers import assert_error


async def _issue(client, customer_id: str, *, terms: str, unit_amount: int, currency: str = "USD") -> dict:
    draft = await create_draft(client, customer_id, payment_terms=terms, currency=currency, lines=[
        {"description": "Work", "quantity": 1, "unit_amount": unit_amount}])
    response = await client.post(f"/v1/invoices/{draft['id']}/approve")
    assert response.status_code == 200, response.text
    return response.json()


def _due(invoice: dict) -> date:
    return date.fromisoformat(invoice["due_date"])


async def test_receivables_aging_open_overdue_and_autopay_coverage(svc, org):
    _, key = org
    _, other_key = await svc.create_org("Other Org")
    async with svc.client(key) as client, svc.client(other_key) as other:
        # The other organization's open invoice is huge and overdue: it must never show.
        other_customer = await create_customer(other)
        await _issue(other, other_customer["id"], terms="net_30", unit_amount=99_999_00)

        # The organization's default AutoPay is on; one customer turns it off, one sets it on itself.
        org_autopay = {"enabled": True, "timing": "on_due_date", "days_before_due": None, "payment_method_id": None}
        assert (await client.patch("/v1/settings/invoicing", json={"autopay": org_autopay})).status_code == 200
        inherits = await create_customer(client, "Inherits")
        opted_out = await create_customer(client, "Opted Out")
        opted_in = await create_customer(client, "Opted In")
        for customer, enabled in ((opted_out, False), (opted_in, True)):
            response = await client.patch(f"/v1/customers/{customer['id']}", json={"autopay": {"enabled": enabled}})
            assert response.status_code == 200, response.text

        net30 = await _issue(client, inherits["id"], terms="net_30", unit_amount=1000)
        net60 = await _issue(client, opted_out["id"], terms="net_60", unit_amount=2500)
        net15 = await _issue(client, opted_in["id"], terms="net_15", unit_amount=700)
        eur = await _issue(client, opted_in["id"], terms="net_30", unit_amount=4200, currency="EUR")
        voided = await _issue(client, inherits["id"], terms="net_30", unit_amount=50_000)
        written_off = await _issue(client, inherits["id"], terms="net_30", unit_amount=60_000)
        await create_draft(client, inherits["id"])  # a draft owes nothing yet
        assert (await client.post(f"/v1/invoices/{voided['id']}/void")).status_code == 200
        assert (await client.post(f"/v1/invoices/{written_off['id']}/mark_uncollectible")).status_code == 200

        # as_of = 50 days after net_15's due date: net_15 is 50 days past due (31_60); net_30 and the EUR one
        # 35 days (31_60)... pick as_of relative to each due date so every bucket is exercised.
        as_of = _due(net30) + timedelta(days=1)  # net_30: 1 day past due; net_15: 16 days; net_60: current
        report = await client.get("/v1/reports/receivables", params={"as_of": as_of.isoformat()})
        assert report.status_code == 200, report.text
        body = report.json()
        assert body["object"] == "receivables_report" and body["as_of"] == as_of.isoformat()
        usd = {"currency": "usd",
               "open_amount": net30["amount_due"] + net60["amount_due"] + net15["amount_due"], "open_count": 3,
               "overdue_amount": net30["amount_due"] + net15["amount_due"], "overdue_count": 2,
               "aging": {"current": net60["amount_due"], "1_30": net30["amount_due"] + net15["amount_due"],
                         "31_60": 0, "61_90": 0, "90_plus": 0}}
        eur_row = {"currency": "eur", "open_amount": eur["amount_due"], "open_count": 1,
                   "overdue_amount": eur["amount_due"], "overdue_count": 1,
                   "aging": {"current": 0, "1_30": eur["amount_due"], "31_60": 0, "61_90": 0, "90_plus": 0}}
        assert body["currencies"] == [eur_row, usd]
        # AutoPay: Inherits (organization: on) and Opted In; not Opted Out. Open invoices: each one's plan.
        with_plan = sum(1 for invoice in (net30, net60, net15, eur) if (invoice.get("autopay") or {}).get("enabled"))
        assert body["autopay"] == {"customers": 3, "customers_with_autopay": 2, "open_invoices": 4,
                                   "open_invoices_with_autopay": with_plan}
        assert with_plan == 3  # net30 (organization), net15 and eur (Opted In); net60's customer opted out

        # Later: every bucket by days past due (due + 1 → 1_30, +31 → 31_60, +61 → 61_90, +91 → 90_plus).
        later = _due(net60) + timedelta(days=31)  # net_60: 31 days; net_30: 61 days; net_15: 76 days
        usd_later = (await client.get("/v1/reports/receivables", params={"as_of": later.isoformat()})).json()
        usd_aging = next(row for row in usd_later["currencies"] if row["currency"] == "usd")["aging"]
        assert usd_aging == {"current": 0, "1_30": 0, "31_60": net60["amount_due"],
                             "61_90": net30["amount_due"] + net15["amount_due"], "90_plus": 0}
        far = _due(net30) + timedelta(days=91)
        far_usd = next(row for row in (await client.get("/v1/reports/receivables", params={
            "as_of": far.isoformat()})).json()["currencies"] if row["currency"] == "usd")
        assert far_usd["aging"]["90_plus"] == net30["amount_due"] + net15["amount_due"]
        assert far_usd["overdue_amount"] == far_usd["open_amount"]

        # Before anything is due: everything is current.
        early = (await client.get("/v1/reports/receivables", params={"as_of": _due(net15).isoformat()})).json()
        assert all(row["overdue_amount"] == 0 and row["aging"]["current"] == row["open_amount"]
                   for row in early["currencies"])

        # The other organization sees only its own.
        theirs = (await other.get("/v1/reports/receivables", params={"as_of": as_of.isoformat()})).json()
        assert [row["open_count"] for row in theirs["currencies"]] == [1]
        assert theirs["autopay"]["customers"] == 1

        for bad in ("2030-13-01", "yesterday", "2030-02-30"):
            assert_error(await client.get("/v1/reports/receivables", params={"as_of": bad}), 400, None, "as_of")
