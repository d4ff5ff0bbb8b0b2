"""GET /v1/reports/collected and GET /v1/payment_attempts on the real payments service (sandbox gateway, Postgres,
broker, invoicing): card payments, a declined card, manual payments dated weeks back and a refund, all through
the API; figures checked exactly per week and currency; another organization never counted."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from tests.payments.test_manual_payments import api


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def assert_error(response, param: str) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == param and error["type"] == "invalid_request_error", error


async def test_collected_per_week_and_the_attempts_log(payments, invoicing, issue_invoice, org, other_org):
    card_paid = await issue_invoice(org, unit_amount=10000)
    declined_then_wired = await issue_invoice(org, unit_amount=20000)
    refunded = await issue_invoice(org, unit_amount=3000)
    theirs = await issue_invoice(other_org, unit_amount=77777)
    today = datetime.now(timezone.utc).date()
    weeks_back = (datetime.now(timezone.utc) - timedelta(days=15)).replace(microsecond=0)

    async with api(payments, org) as client, api(payments, other_org) as other:
        paid = await client.post(f"/v1/invoices/{card_paid['id']}/pay", json={"payment_method": "pm_card_visa"})
        assert paid.status_code == 200 and paid.json()["status"] == "succeeded", paid.text
        declined = await client.post(f"/v1/invoices/{declined_then_wired['id']}/pay",
                                     json={"payment_method": "pm_card_chargeDeclined"})
        assert declined.status_code == 402, declined.text
        wired = await client.post(f"/v1/invoices/{declined_then_wired['id']}/payments", json={
            "method": "wire_transfer", "paid_at": weeks_back.isoformat()})
        assert wired.status_code == 201, wired.text
        cash = await client.post(f"/v1/invoices/{refunded['id']}/payments", json={"method": "cash"})
        assert cash.status_code == 201, cash.text
        refund = await client.post(f"/v1/payments/{cash.json()['id']}/refunds", json={"amount": 1234})
        assert refund.status_code == 201 and refund.json()["status"] == "succeeded", refund.text
        assert (await other.post(f"/v1/invoices/{theirs['id']}/pay",
                                 json={"payment_method": "pm_card_visa"})).status_code == 200

        report = await client.get("/v1/reports/collected", params={"weeks": 4})
        assert report.status_code == 200, report.text
        body = report.json()
        assert body["object"] == "collected_report"
        this_week, wired_week = monday(today), monday(weeks_back.date())
        expected = []
        for i in range(3, -1, -1):
            start = this_week - timedelta(weeks=i)
            row = {"week_start": start.isoformat(), "currency": "usd", "collected": 0, "refunded": 0, "payments": 0}
            if start == this_week:
                row.update(collected=card_paid["amount_due"] + refunded["amount_due"], refunded=1234, payments=2)
            if start == wired_week:
                row.update(collected=declined_then_wired["amount_due"], payments=1)
            expected.append(row)
        assert body["weeks"] == expected
        # One week only: the wire of 15 days ago is outside it.
        one = (await client.get("/v1/reports/collected", params={"weeks": 1})).json()["weeks"]
        assert one == [expected[-1]]
        theirs_report = (await other.get("/v1/reports/collected", params={"weeks": 1})).json()["weeks"]
        assert [(w["collected"], w["payments"]) for w in theirs_report] == [(theirs["amount_due"], 1)]

        for weeks in ("0", "105", "many"):
            assert_error(await client.get("/v1/reports/collected", params={"weeks": weeks}), "weeks")

        # The attempts log: newest first, across invoices, with the gateway's words on the failure.
        log = (await client.get("/v1/payment_attempts")).json()
        assert log["object"] == "list" and log["has_more"] is False
        assert [(a["invoice_id"], a["status"]) for a in log["data"]] == [
            (declined_then_wired["id"], "failed"), (card_paid["id"], "succeeded")]
        failed, succeeded = log["data"]
        assert failed["failure_code"] == "card_declined" and failed["failure_message"]
        assert failed["customer_id"] == declined_then_wired["customer"]["id"]
        assert (succeeded["amount"], succeeded["currency"], succeeded["customer_id"]) == (
            card_paid["amount_due"], "usd", card_paid["customer"]["id"])
        assert succeeded["method_description"].endswith("4242") and succeeded["gateway_reference"]

        by_customer = (await client.get("/v1/payment_attempts", params={
            "customer_id": card_paid["customer"]["id"]})).json()["data"]
        assert [a["id"] for a in by_customer] == [succeeded["id"]]
        by_invoice = (await client.get("/v1/payment_attempts", params={
            "invoice_id": declined_then_wired["id"]})).json()["data"]
        assert [a["id"] for a in by_invoice] == [failed["id"]]
        by_status = (await client.get("/v1/payment_attempts", params={"status": "succeeded"})).json()["data"]
        assert [a["id"] for a in by_status] == [succeeded["id"]]
        first_page = (await client.get("/v1/payment_attempts", params={"limit": 1})).json()
        assert [a["id"] for a in first_page["data"]] == [failed["id"]] and first_page["has_more"] is True
        second_page = (await client.get("/v1/payment_attempts", params={
            "limit": 1, "starting_after": failed["id"]})).json()
        assert [a["id"] for a in second_page["data"]] == [succeeded["id"]] and second_page["has_more"] is False

        # Another organization: none of ours, and our ids are no position in its list.
        their_log = (await other.get("/v1/payment_attempts")).json()["data"]
        assert [a["invoice_id"] for a in their_log] == [theirs["id"]]
        assert (await other.get("/v1/payment_attempts", params={"invoice_id": card_paid["id"]})).json()["data"] == []
        missing = await other.get("/v1/payment_attempts", params={"starting_after": failed["id"]})
        assert missing.status_code == 404 and missing.json()["error"]["param"] == "starting_after"
        for params, param in (({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"status": "bogus"}, "status")):
            assert_error(await client.get("/v1/payment_attempts", params=params), param)
