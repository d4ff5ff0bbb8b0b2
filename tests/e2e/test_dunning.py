"""Collections through the running platform (issue 10), driven by each organization's test clock: the default
dunning schedule over 30 days for an AutoPay customer whose card fails (real retries through the sandbox, real
emails, the write-off, one webhook per step), reminders before and after the due date for a manual payer and a
payment that stops everything after it, a long jump that sends one message, a reminder right after approval,
SMS in var/sms/, a late fee invoice created once, and a custom template."""

from __future__ import annotations

import asyncio
import uuid

from tests.conftest import wait_for
from tests.e2e.conftest import body_text
from tests.e2e.test_collection import issue, save_method


async def customer(api, **settings) -> dict:
    email = f"dunning+{uuid.uuid4().hex[:8]}@example.com"
    response = await api.post("/v1/customers", json={"name": "Lin Dunning", "email": email, **settings})
    assert response.status_code in (200, 201), response.text
    return response.json()


async def advance(api, days: int) -> dict:
    response = await api.post("/v1/test_clocks/advance", json={"days": days})
    assert response.status_code == 200, response.text
    return response.json()


async def collection(api, invoice_id: str) -> dict:
    response = await api.get(f"/v1/invoices/{invoice_id}/collection")
    assert response.status_code == 200, response.text
    return response.json()


def steps_of(view: dict) -> dict[str, dict]:
    return {e["step"]: e for e in view["entries"] if e["kind"] == "dunning_step"}


async def collection_when(api, invoice_id: str, check, timeout: float = 60) -> dict:
    async def ready():
        view = await collection(api, invoice_id)
        return view if check(view) else None
    return await wait_for(ready, timeout=timeout)


async def endpoint_for(api, events: list[str]) -> dict:
    response = await api.post("/v1/webhook_endpoints", json={"url": "https://hooks.example.com/duely",
                                                             "events": events})
    assert response.status_code == 201, response.text
    return response.json()


async def deliveries(api, endpoint_id: str, event_type: str) -> list[dict]:
    """The endpoint's deliveries of one event type (the organization is the test's own: one invoice)."""
    rows = (await api.get(f"/v1/webhook_endpoints/{endpoint_id}/deliveries")).json()["data"]
    return [r for r in rows if r["event_type"] == event_type]


def now(check):
    """wait_for polls an async predicate: this one reads files, so it needs no await."""
    async def ready():
        return check()
    return ready


def mail_to(mailbox, address: str, contains: str | None = None) -> list:
    return [m for m in mailbox(to=address) if contains is None or contains in str(m["Subject"]).strip()]


async def test_the_default_schedule_over_30_days_for_an_autopay_customer_whose_card_fails(fresh_org, mailbox):
    api = fresh_org
    hooks = await endpoint_for(api, ["invoice.dunning_step_executed", "invoice.reminder_sent"])
    buyer = await customer(api, autopay={"enabled": True, "timing": "on_issue"})
    await save_method(api, buyer["id"], "pm_card_chargeCustomerFail")
    await wait_for(lambda: _has_default_method(api, buyer["id"]), timeout=30)
    invoice = await issue(api, buyer["id"], amount=4900)

    # Day 0: the AutoPay charge fails; dunning plans the organization's default schedule from that moment.
    view = await collection_when(api, invoice["id"], lambda v: len(steps_of(v)) == 5)
    assert list(steps_of(view)) == ["v1:day_0", "v1:day_3", "v1:day_7", "v1:day_14", "v1:day_30"]
    assert view["dunning"]["schedule_version"] == 1

    number, to = invoice["number"], buyer["email"]
    for days, step, mails in ((3, "v1:day_3", 1), (4, "v1:day_7", 2), (7, "v1:day_14", 3)):
        await advance(api, days)
        await collection_when(api, invoice["id"], lambda v, s=step: steps_of(v)[s]["status"] == "done")
        # Each step's reminder reaches the customer (days apart in real life: here, before the next advance).
        await wait_for(now(lambda n=mails: len(_reminders(mailbox, to, number)) == n), timeout=60)
        if step != "v1:day_14":  # the retry the step asked for comes back declined (attempt 2, then 3)
            attempts = 2 if step == "v1:day_3" else 3
            await wait_for(lambda n=attempts: _attempts_at_least(api, invoice["id"], n), timeout=60)
    await advance(api, 16)
    await wait_for(lambda: _status_is(api, invoice["id"], "uncollectible"), timeout=60)
    await asyncio.sleep(2)  # anything that would come twice, comes
    reminders = [str(m["Subject"]).strip() for m in _reminders(mailbox, to, number)]
    assert reminders == [f"Reminder: invoice {number} from Collect Co is due {_due_words(invoice)}"] * 2 + [
        f"Final notice: invoice {number} from Collect Co is still unpaid"]
    texts = [body_text(m) for m in mail_to(mailbox, to, number)]
    assert sum("A friendly reminder" in t for t in texts) == 1
    assert sum("due soon and remains unpaid" in t for t in texts) == 1
    # One payment-failed email (day 0's charge); the retries on days 3 and 7 failed quietly beside their reminder.
    assert len(mail_to(mailbox, to, "Payment failed")) == 1
    attempts = (await api.get(f"/v1/invoices/{invoice['id']}/payment_attempts")).json()["data"]
    assert sorted(a["status"] for a in attempts) == ["failed"] * 3

    async def one_webhook_per_step():
        found = await deliveries(api, hooks["id"], "invoice.dunning_step_executed")
        return found if len(found) == 5 else None
    steps = await wait_for(one_webhook_per_step, timeout=60)
    assert len({d["event_id"] for d in steps}) == 5
    assert len(await deliveries(api, hooks["id"], "invoice.reminder_sent")) == 3


async def test_reminders_for_a_manual_payer_and_a_payment_on_day_8_stops_everything_after_it(fresh_org, mailbox):
    api = fresh_org
    buyer = await customer(api, reminders={
        "before_due": {"enabled": True, "days": [3], "templates": ["invoice_reminder"]},
        "after_due": {"enabled": True, "days": [1, 10], "templates": ["invoice_reminder_gentle",
                                                                      "invoice_reminder_firm"]}})
    invoice = await issue(api, buyer["id"], amount=2500, terms="net_7")
    view = await collection_when(api, invoice["id"], lambda v: any(e["kind"] == "reminder" for e in v["entries"]))
    assert [e["step"] for e in view["entries"] if e["kind"] == "reminder"] == ["before_3", "after_1", "after_10"]

    await advance(api, 4)  # 3 days before the due date
    before = await wait_for(now(lambda: mail_to(mailbox, buyer["email"], "Reminder")), timeout=60)
    assert "A friendly reminder that invoice" in body_text(before[0])
    await advance(api, 4)  # the day after the due date: past due, after_1, and dunning's day 0
    await wait_for(now(lambda: len(mail_to(mailbox, buyer["email"], "Reminder")) == 2), timeout=60)
    assert "is past due" in str(mail_to(mailbox, buyer["email"], "Reminder")[1]["Subject"])
    await wait_for(lambda: _status_is(api, invoice["id"], "past_due"), timeout=60)

    paid = await api.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})
    assert paid.status_code == 200, paid.text
    view = await collection_when(api, invoice["id"], lambda v: v["status"] == "paid")
    planned = [e for e in view["entries"] if e["status"] == "planned"]
    assert planned == []
    cancelled = sorted(e["step"] for e in view["entries"] if e["status"] == "cancelled")
    assert cancelled == ["after_10", "v1:day_14", "v1:day_3", "v1:day_30", "v1:day_7"]
    await advance(api, 40)
    await asyncio.sleep(3)
    assert len(mail_to(mailbox, buyer["email"], "Reminder")) == 2
    assert mail_to(mailbox, buyer["email"], "Final notice") == []


async def test_a_long_jump_sends_one_message_not_five(fresh_org, mailbox):
    api = fresh_org
    buyer = await customer(api, reminders={
        "after_due": {"enabled": True, "days": [1, 7, 14], "templates": ["invoice_reminder_gentle",
                                                                         "invoice_reminder_firm",
                                                                         "invoice_reminder_final"]}})
    invoice = await issue(api, buyer["id"], amount=1500, terms="net_7")
    await collection_when(api, invoice["id"], lambda v: any(e["kind"] == "reminder" for e in v["entries"]))
    await advance(api, 25)  # after_1, day 3, after_7, day 7, after_14, day 14 all fell due while we were away
    view = await collection_when(api, invoice["id"], lambda v: steps_of(v).get("v1:day_14", {}).get("status")
                                 == "done")
    await wait_for(now(lambda: mail_to(mailbox, buyer["email"], "Final notice")), timeout=60)
    await asyncio.sleep(3)
    sent = mail_to(mailbox, buyer["email"], invoice["number"])
    assert [str(m["Subject"]).strip() for m in sent if "Final notice" in str(m["Subject"]).strip() or "Reminder" in str(m["Subject"]).strip()
            ] == [f"Final notice: invoice {invoice['number']} from Collect Co is 18 days overdue"]
    skipped = [e for e in view["entries"] if (e["outcome"] or "").startswith("skipped_superseded")
               or any(r["outcome"].startswith("skipped_superseded") for r in (e["detail"] or {}).get("results", []))]
    assert len(skipped) == 5  # after_1, after_7, after_14, day 3, day 7: recorded, not sent
    assert (await api.get(f"/v1/invoices/{invoice['id']}")).json()["status"] == "past_due"


async def test_a_reminder_right_after_approval_is_sent_once_and_throttled(fresh_org, mailbox, sms_box):
    api = fresh_org
    phone = f"+1415555{uuid.uuid4().int % 10_000:04d}"
    buyer = await customer(api, phone=phone, sms_opt_in=True,
                           reminders={"channels": ["email", "sms"]})
    invoice = await issue(api, buyer["id"], amount=990)
    # No wait: dunning may not have heard of the invoice yet; it asks invoicing.
    state = await api.get(f"/v1/dunning/invoices/{invoice['id']}")
    assert state.status_code == 200, state.text
    reminded = await api.post(f"/v1/invoices/{invoice['id']}/remind", json={"tone": "firm"})
    assert reminded.status_code == 202, reminded.text
    assert reminded.json()["channels"] == ["email", "sms"]
    storm = await asyncio.gather(*(api.post(f"/v1/invoices/{invoice['id']}/remind") for _ in range(10)))
    assert [r.status_code for r in storm] == [429] * 10
    assert storm[0].json()["error"]["code"] == "reminder_throttled"

    await wait_for(now(lambda: mail_to(mailbox, buyer["email"], "Reminder")), timeout=60)
    texts = await wait_for(now(lambda: sms_box(to=phone)), timeout=60)
    await asyncio.sleep(2)
    assert len(mail_to(mailbox, buyer["email"], "Reminder")) == 1
    [sms] = texts
    assert invoice["number"] in sms["body"] and sms["segments"] >= 1
    log = (await api.get("/v1/messages", params={"invoice_id": invoice["id"]})).json()["data"]
    assert {(m["channel"], m["status"]) for m in log if m["template"].startswith("invoice_reminder")} == {
        ("email", "sent"), ("sms", "sent")}


async def test_a_late_fee_invoice_is_created_once(fresh_org):
    api = fresh_org
    buyer = await customer(api, late_fee={"enabled": True, "percentage": "1.5", "fixed_amount": 500,
                                          "after_days": 2, "recurrence": "once"})
    invoice = await issue(api, buyer["id"], amount=12345, terms="net_7")
    await collection_when(api, invoice["id"], lambda v: any(e["kind"] == "late_fee" for e in v["entries"]))
    await advance(api, 11)

    async def fee_invoices():
        rows = (await api.get("/v1/invoices", params={"customer_id": buyer["id"], "limit": 100})).json()["data"]
        return [r for r in rows if r.get("late_fee_for")]
    [fee] = await wait_for(fee_invoices, timeout=60)
    assert fee["late_fee_for"] == {"invoice_id": invoice["id"], "invoice_number": invoice["number"], "period": 1}
    assert fee["status"] == "issued" and fee["total"] == 185 + 500  # 1.5 % of 123.45, half up, + 5.00
    await advance(api, 40)
    await asyncio.sleep(3)
    assert len(await fee_invoices()) == 1


def _reminders(mailbox, to: str, number: str) -> list:
    return [m for m in mail_to(mailbox, to, number)
            if str(m["Subject"]).strip().startswith(("Reminder:", "Final notice:"))]


async def _has_default_method(api, customer_id: str) -> bool:
    rows = (await api.get(f"/v1/customers/{customer_id}/payment_methods")).json()["data"]
    return any(r["is_default"] for r in rows)


async def _attempts_at_least(api, invoice_id: str, count: int) -> bool:
    rows = (await api.get(f"/v1/invoices/{invoice_id}/payment_attempts")).json()["data"]
    return len([r for r in rows if r["status"] == "failed"]) >= count


async def _status_is(api, invoice_id: str, status: str) -> bool:
    return (await api.get(f"/v1/invoices/{invoice_id}")).json()["status"] == status


def _due_words(invoice: dict) -> str:
    from datetime import date
    due = date.fromisoformat(invoice["due_date"])
    return f"{due:%B} {due.day}, {due.year}"


async def test_a_custom_reminder_template_with_a_syntax_error_is_refused_and_a_valid_one_is_used(
        fresh_org, mailbox):
    api = fresh_org
    broken = await api.put("/v1/email_templates/invoice_reminder_firm", json={
        "subject": "Invoice {{ invoice_number }} is overdue", "text": "Hello {{ customer_name }},\n\n{% if %}",
        "html": "<p>Hello {{ customer_name }}</p>"})
    assert broken.status_code == 400, broken.text
    assert broken.json()["error"]["param"] == "text" and "Line 3" in broken.json()["error"]["message"]
    assert (await api.get("/v1/email_templates/invoice_reminder_firm")).json()["customized"] is False

    saved = await api.put("/v1/email_templates/invoice_reminder_firm", json={
        "subject": "{{ company_name }}: {{ invoice_number }} needs your attention",
        "text": "Dear {{ customer_name }}, {{ amount_due }} is {{ days_overdue }} days overdue. Pay: {{ pay_now_url }}",
        "html": "<p>Dear {{ customer_name }}, <b>{{ amount_due }}</b> is {{ days_overdue }} days overdue.</p>"})
    assert saved.status_code == 200, saved.text
    buyer = await customer(api)
    invoice = await issue(api, buyer["id"], amount=4200, terms="net_7")
    await collection_when(api, invoice["id"], lambda v: bool(v["entries"]))
    await advance(api, 15)  # 8 days past due: the default schedule's day-7 step, firm (day 3's gentle one superseded)
    [mail] = await wait_for(now(lambda: mail_to(mailbox, buyer["email"], "needs your attention")), timeout=60)
    assert str(mail["Subject"]).strip() == f"Collect Co: {invoice['number']} needs your attention"
    assert "$42.00 is 8 days overdue" in body_text(mail)
    await asyncio.sleep(2)
    assert len([m for m in mail_to(mailbox, buyer["email"], invoice["number"])
                if "needs your attention" in str(m["Subject"]) or "Reminder" in str(m["Subject"])]) == 1
