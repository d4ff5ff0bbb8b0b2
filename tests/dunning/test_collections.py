"""Collections (issue 10) on real Postgres and the real broker, driven by the test clock: dunning schedules
and their versions, the default schedule over 30 days for an AutoPay customer whose card fails, a payment
that stops everything after it, a month's jump that sends one message, reminders before and after the due
date, the one-reminder-a-day ledger shared with manual reminders, hard declines and late fee periods."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from duely_contracts.events import InvoicePaymentFailed
from duely_contracts.models import CollectionPlan, LateFeeSettings, ReminderRule, ReminderSettings

from tests.dunning.builders import (
    autopay_plan, card, envelope, in_days, issued, new_invoice_id, paid, snapshot, summary,
)
from tests.dunning.test_collection_timeline import advance, collection_when, events_about

REMINDER_TOPIC = "dunning.reminder_due"
CHARGE_TOPIC = "dunning.autopay_charge_due"
UNCOLLECTIBLE_TOPIC = "dunning.uncollectible_due"
STEP_TOPIC = "invoice.dunning_step_executed"
LATE_FEE_TOPIC = "dunning.late_fee_due"


def autopay_invoice(organization_id: str, **plan):
    method = card(organization_id, exp_month=12, exp_year=2031)
    invoice = snapshot(organization_id, new_invoice_id(), due_date=in_days(30),
                       autopay=autopay_plan("on_issue", in_days(0), method=method))
    return invoice.model_copy(update={"collection": CollectionPlan(**plan)}) if plan else invoice


def autopay_failure(invoice, attempt: int = 1, *, hard_decline: bool = False, code: str = "card_declined"):
    event = InvoicePaymentFailed(
        invoice_id=invoice.id, attempt_number=attempt, failure_code=code, failure_message="Declined.",
        amount=invoice.amount_due, currency=invoice.currency, payment_method="pm_card_chargeCustomerFail",
        failed_at=datetime.now(timezone.utc), invoice=summary(invoice), autopay=True, hard_decline=hard_decline)
    return envelope("invoice.payment_failed", invoice.organization_id, invoice.id, event, attempt)


async def api(dunning, api_key, method: str, path: str, **kw):
    async with dunning.client(api_key) as client:
        return await client.request(method, path, **kw)


def entries(view, kind: str) -> list[dict]:
    return [e for e in view["entries"] if e["kind"] == kind]


async def topic_counts(read_events, invoice_id: str) -> dict:
    counts = {}
    for topic in (REMINDER_TOPIC, CHARGE_TOPIC, UNCOLLECTIBLE_TOPIC, STEP_TOPIC):
        counts[topic] = await events_about(read_events, topic, invoice_id, timeout=1.5)
    return counts


# -- schedules --------------------------------------------------------------------------

async def test_every_organization_starts_with_the_default_schedule_and_edits_make_versions(dunning, org):
    _, api_key = org
    listed = (await api(dunning, api_key, "GET", "/v1/dunning_schedules")).json()
    [default] = listed["data"]
    assert default["is_default"] and default["version"] == 1
    assert [(s["day"], s["actions"], s["template"]) for s in default["steps"]] == [
        (0, ["retry_payment"], None),
        (3, ["email_reminder", "retry_payment"], "invoice_reminder_gentle"),
        (7, ["email_reminder", "retry_payment"], "invoice_reminder_firm"),
        (14, ["email_reminder"], "invoice_reminder_final"),
        (30, ["mark_uncollectible"], None)]

    created = await api(dunning, api_key, "POST", "/v1/dunning_schedules", json={
        "name": "Enterprise", "steps": [{"day": 10, "actions": ["email_reminder", "sms_reminder"],
                                         "template": "invoice_reminder_firm"},
                                        {"day": 2, "actions": ["retry_payment"]}],
        "on_persistent_failure": ["pause_subscription", "mark_as_collections"]})
    assert created.status_code == 201, created.text
    schedule = created.json()
    assert [s["day"] for s in schedule["steps"]] == [2, 10] and not schedule["is_default"]

    patched = (await api(dunning, api_key, "PATCH", f"/v1/dunning_schedules/{schedule['id']}", json={
        "steps": [{"day": 5, "actions": ["mark_uncollectible"]}], "is_default": True})).json()
    assert (patched["version"], patched["is_default"]) == (2, True)
    listed = {s["id"]: s for s in (await api(dunning, api_key, "GET", "/v1/dunning_schedules")).json()["data"]}
    assert not listed[default["id"]]["is_default"] and listed[schedule["id"]]["is_default"]
    renamed = (await api(dunning, api_key, "PATCH", f"/v1/dunning_schedules/{schedule['id']}",
                         json={"name": "Enterprise (EU)"})).json()
    assert (renamed["name"], renamed["version"]) == ("Enterprise (EU)", 2)  # a rename is not a new version


async def test_bad_schedules_are_refused_with_the_field_named_and_change_nothing(dunning, org, invoicing):
    _, api_key = org
    bad = [
        ({"name": "x", "steps": [{"day": 1, "actions": ["send_fax"]}]}, "steps[0].actions[0]"),
        ({"name": "x", "steps": [{"day": 1, "actions": ["retry_payment"]}, {"day": 1, "actions": ["email_reminder"]}]},
         "steps[1].day"),
        ({"name": "x", "steps": [{"day": 1, "actions": ["retry_payment"], "template": "invoice_reminder_firm"}]},
         "steps[0].template"),
        ({"name": "x", "steps": []}, "steps"),
        ({"name": "x", "steps": [{"day": 400, "actions": ["retry_payment"]}]}, "steps[0].day"),
        ({"name": "x", "steps": [{"day": 1, "actions": ["retry_payment"]}],
          "on_persistent_failure": ["pause_subscription", "cancel_subscription"]}, "on_persistent_failure"),
    ]
    for body, param in bad:
        response = await api(dunning, api_key, "POST", "/v1/dunning_schedules", json=body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"]["param"] == param, (body, response.text)
    assert len((await api(dunning, api_key, "GET", "/v1/dunning_schedules")).json()["data"]) == 1
    _, other_key = await invoicing.create_org(f"Other {uuid.uuid4().hex[:6]}")
    default_id = (await api(dunning, api_key, "GET", "/v1/dunning_schedules")).json()["data"][0]["id"]
    assert (await api(dunning, other_key, "GET", f"/v1/dunning_schedules/{default_id}")).status_code == 404
    assert (await api(dunning, other_key, "PATCH", f"/v1/dunning_schedules/{default_id}",
                      json={"name": "mine"})).status_code == 404


# -- the default schedule over 30 days ---------------------------------------------------

async def test_the_default_schedule_over_30_days_for_an_autopay_customer_whose_card_fails(
        dunning, org, publish, read_events, wait_for):
    organization_id, api_key = org
    invoice = autopay_invoice(organization_id)
    await publish(issued(invoice))
    await collection_when(dunning, api_key, invoice.id, wait_for)
    await publish(autopay_failure(invoice))  # day 0: the AutoPay charge failed
    view = await collection_when(dunning, api_key, invoice.id, wait_for,
                                 lambda b: len(entries(b, "dunning_step")) == 5)
    steps = entries(view, "dunning_step")
    assert [e["step"] for e in steps] == ["v1:day_0", "v1:day_3", "v1:day_7", "v1:day_14", "v1:day_30"]
    assert steps[0]["status"] == "skipped"  # day 0's charge is the one that failed: no second charge at once
    assert steps[0]["detail"]["results"] == [{"action": "retry_payment", "outcome": "skipped_day_0_attempt_failed"}]

    for days, step in ((3, "v1:day_3"), (4, "v1:day_7"), (7, "v1:day_14"), (16, "v1:day_30")):
        fired = (await advance(dunning, api_key, days=days))["fired_timers"]
        assert [(t["kind"], t["step"]) for t in fired] == [("dunning_step", step)], fired

    events = await topic_counts(read_events, invoice.id)
    reminders = events[REMINDER_TOPIC]
    assert [(r.data["tone"], r.data["template"], r.data["channel"], r.data["source"]) for r in reminders] == [
        ("gentle", "invoice_reminder_gentle", "email", "dunning"), ("firm", "invoice_reminder_firm", "email", "dunning"),
        ("final", "invoice_reminder_final", "email", "dunning")]
    retries = [c for c in events[CHARGE_TOPIC] if c.data["reason"] == "dunning_retry"]
    assert [c.data["timer_id"] for c in retries] == [steps[1]["id"], steps[2]["id"]]
    assert [u.data["step"] for u in events[UNCOLLECTIBLE_TOPIC]] == ["v1:day_30"]
    # One webhook per step (day 0 included: it says why nothing was charged).
    assert [s.data["day"] for s in events[STEP_TOPIC]] == [0, 3, 7, 14, 30]
    assert events[STEP_TOPIC][1].data["actions"] == [{"action": "email_reminder", "outcome": "reminder_requested"},
                                                     {"action": "retry_payment", "outcome": "requested"}]

    # More advances fire nothing of the schedule again (the due date passing is only the overdue notice).
    assert [t["kind"] for t in (await advance(dunning, api_key, days=40))["fired_timers"]] == ["overdue"]
    again = await topic_counts(read_events, invoice.id)
    assert {t: len(v) for t, v in again.items()} == {t: len(v) for t, v in events.items()}


async def test_a_payment_on_day_8_stops_everything_after_it(dunning, org, publish, read_events, wait_for):
    organization_id, api_key = org
    invoice = autopay_invoice(organization_id)
    await publish(issued(invoice))
    await collection_when(dunning, api_key, invoice.id, wait_for)
    await publish(autopay_failure(invoice))
    await collection_when(dunning, api_key, invoice.id, wait_for, lambda b: len(entries(b, "dunning_step")) == 5)
    await advance(dunning, api_key, days=3)
    await advance(dunning, api_key, days=5)  # day 8
    await publish(paid(invoice))
    view = await collection_when(dunning, api_key, invoice.id, wait_for, lambda b: b["status"] == "paid")
    assert [(e["step"], e["status"]) for e in entries(view, "dunning_step")] == [
        ("v1:day_0", "skipped"), ("v1:day_3", "done"), ("v1:day_7", "done"), ("v1:day_14", "cancelled"),
        ("v1:day_30", "cancelled")]
    assert (await advance(dunning, api_key, days=30))["fired_timers"] == []
    events = await topic_counts(read_events, invoice.id)
    assert len(events[REMINDER_TOPIC]) == 2 and events[UNCOLLECTIBLE_TOPIC] == []


async def test_a_30_day_jump_sends_one_message_not_five_and_applies_the_rest_in_order(
        dunning, org, publish, read_events, wait_for):
    organization_id, api_key = org
    invoice = autopay_invoice(organization_id)
    await publish(issued(invoice))
    await collection_when(dunning, api_key, invoice.id, wait_for)
    await publish(autopay_failure(invoice))
    await collection_when(dunning, api_key, invoice.id, wait_for, lambda b: len(entries(b, "dunning_step")) == 5)

    await advance(dunning, api_key, days=30)
    view = await collection_when(dunning, api_key, invoice.id, wait_for,
                                 lambda b: all(e["status"] != "planned" for e in entries(b, "dunning_step")))
    results = {e["step"]: e["detail"]["results"] for e in entries(view, "dunning_step")}
    assert results["v1:day_3"] == [{"action": "email_reminder", "outcome": "skipped_superseded_by_later_reminder"},
                                   {"action": "retry_payment", "outcome": "skipped_superseded_by_later_retry"}]
    assert results["v1:day_7"] == [{"action": "email_reminder", "outcome": "skipped_superseded_by_later_reminder"},
                                   {"action": "retry_payment", "outcome": "requested"}]
    assert results["v1:day_14"] == [{"action": "email_reminder", "outcome": "reminder_requested"}]
    assert results["v1:day_30"] == [{"action": "mark_uncollectible", "outcome": "requested"}]
    events = await topic_counts(read_events, invoice.id)
    assert [r.data["tone"] for r in events[REMINDER_TOPIC]] == ["final"]  # one message, the latest due
    assert len([c for c in events[CHARGE_TOPIC] if c.data["reason"] == "dunning_retry"]) == 1
    assert len(events[UNCOLLECTIBLE_TOPIC]) == 1 and len(events[STEP_TOPIC]) == 5


async def test_a_hard_decline_stops_the_retries_but_not_the_reminders(dunning, org, publish, read_events, wait_for):
    organization_id, api_key = org
    invoice = autopay_invoice(organization_id)
    await publish(issued(invoice))
    await collection_when(dunning, api_key, invoice.id, wait_for)
    await publish(autopay_failure(invoice, hard_decline=True, code="lost_card"))
    await collection_when(dunning, api_key, invoice.id, wait_for, lambda b: len(entries(b, "dunning_step")) == 5)
    await advance(dunning, api_key, days=3)
    view = await collection_when(dunning, api_key, invoice.id, wait_for,
                                 lambda b: entries(b, "dunning_step")[1]["status"] != "planned")
    assert entries(view, "dunning_step")[1]["detail"]["results"] == [
        {"action": "email_reminder", "outcome": "reminder_requested"},
        {"action": "retry_payment", "outcome": "skipped_hard_decline"}]
    assert [c for c in await events_about(read_events, CHARGE_TOPIC, invoice.id, timeout=1.5)
            if c.data["reason"] == "dunning_retry"] == []


async def test_an_invoice_keeps_the_schedule_version_it_started_with(dunning, org, publish, wait_for):
    organization_id, api_key = org
    default_id = (await api(dunning, api_key, "GET", "/v1/dunning_schedules")).json()["data"][0]["id"]
    invoice = autopay_invoice(organization_id)
    await publish(issued(invoice))
    await collection_when(dunning, api_key, invoice.id, wait_for)
    await publish(autopay_failure(invoice))
    await collection_when(dunning, api_key, invoice.id, wait_for, lambda b: len(entries(b, "dunning_step")) == 5)
    edited = await api(dunning, api_key, "PATCH", f"/v1/dunning_schedules/{default_id}",
                       json={"steps": [{"day": 1, "actions": ["mark_uncollectible"]}]})
    assert edited.json()["version"] == 2
    await advance(dunning, api_key, days=3)
    view = await collection_when(dunning, api_key, invoice.id, wait_for,
                                 lambda b: entries(b, "dunning_step")[1]["status"] == "done")
    assert [e["step"] for e in entries(view, "dunning_step")] == [
        "v1:day_0", "v1:day_3", "v1:day_7", "v1:day_14", "v1:day_30"]
    assert all(e["detail"]["schedule_version"] == 1 for e in entries(view, "dunning_step"))
    assert (view["dunning"]["schedule_id"], view["dunning"]["schedule_version"]) == (default_id, 1)


# -- reminders for a manual payer, and manual reminders -------------------------------------

async def test_reminders_before_and_after_due_for_a_manual_payer_one_per_day(
        dunning, org, publish, read_events, wait_for):
    organization_id, api_key = org
    plan = CollectionPlan(reminders=ReminderSettings(
        before_due=ReminderRule(enabled=True, days=[3, 1], templates=["invoice_reminder"]),
        after_due=ReminderRule(enabled=True, days=[1, 3], templates=["invoice_reminder_gentle",
                                                                     "invoice_reminder_firm"]),
        channels=["email", "sms"]))
    invoice = snapshot(organization_id, new_invoice_id(), due_date=in_days(5)).model_copy(
        update={"collection": plan})
    await publish(issued(invoice))
    view = await collection_when(dunning, api_key, invoice.id, wait_for, lambda b: len(entries(b, "reminder")) == 4)
    assert [e["step"] for e in entries(view, "reminder")] == ["before_3", "before_1", "after_1", "after_3"]

    await advance(dunning, api_key, days=2)  # 3 days before due
    [email, sms] = await wait_for(lambda: events_about(read_events, REMINDER_TOPIC, invoice.id))
    assert (email.data["channel"], sms.data["channel"]) == ("email", "sms")
    assert (email.data["step"], email.data["days_from_due"], email.data["template"]) == ("before_3", -3,
                                                                                       "invoice_reminder")

    # A manual reminder on the day before due satisfies the automatic one due that day...
    await advance(dunning, api_key, days=2)
    # (the advance fired before_1 already: the manual one is refused, one reminder a day)
    response = await api(dunning, api_key, "POST", f"/v1/invoices/{invoice.id}/remind", json={"tone": "firm"})
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "reminder_throttled"

    await advance(dunning, api_key, days=1)  # the due day: nothing planned
    manual = await api(dunning, api_key, "POST", f"/v1/invoices/{invoice.id}/remind", json={"tone": "firm"})
    assert manual.status_code == 202, manual.text
    assert (manual.json()["status"], manual.json()["template"]) == ("requested", "invoice_reminder_firm")
    again = await api(dunning, api_key, "POST", f"/v1/invoices/{invoice.id}/remind")
    assert again.status_code == 429

    await advance(dunning, api_key, days=3)  # after_1 (day 6) and after_3 (day 8): one jump, only the latest
    view = await collection_when(dunning, api_key, invoice.id, wait_for,
                                 lambda b: all(e["status"] != "planned" for e in entries(b, "reminder")))
    outcomes = {e["step"]: e["outcome"] for e in entries(view, "reminder")}
    assert outcomes["after_1"] == "skipped_superseded_by_later_reminder"
    assert outcomes["after_3"] == "reminder_requested"
    reminders = await events_about(read_events, REMINDER_TOPIC, invoice.id)
    manual_step = manual.json()["step"]
    assert manual_step.startswith("manual_")
    assert [(r.data["step"], r.data["channel"]) for r in reminders] == [
        ("before_3", "email"), ("before_3", "sms"), ("before_1", "email"), ("before_1", "sms"),
        (manual_step, "email"), (manual_step, "sms"), ("after_3", "email"), ("after_3", "sms")]
    assert reminders[4].data["source"] == "manual" and reminders[4].data["tone"] == "firm"


async def test_a_manual_reminder_right_after_approval_and_never_for_a_paid_invoice(
        dunning, org, publish, wait_for, invoicing):
    organization_id, api_key = org
    unknown = await api(dunning, api_key, "POST", f"/v1/invoices/{new_invoice_id()}/remind")
    assert unknown.status_code == 404 and unknown.json()["error"]["param"] == "invoice_id"
    invoice = snapshot(organization_id, new_invoice_id(), due_date=in_days(10))
    await publish(issued(invoice))
    await collection_when(dunning, api_key, invoice.id, wait_for)
    await publish(paid(invoice))
    await collection_when(dunning, api_key, invoice.id, wait_for, lambda b: b["status"] == "paid")
    refused = await api(dunning, api_key, "POST", f"/v1/invoices/{invoice.id}/remind")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "invoice_not_remindable"


# -- late fees ---------------------------------------------------------------------------------

async def test_late_fee_periods_fire_once_each_while_unpaid(dunning, org, publish, read_events, wait_for):
    organization_id, api_key = org
    fee = LateFeeSettings(enabled=True, percentage="1.5", after_days=5, recurrence="monthly", cap=5_000)
    invoice = snapshot(organization_id, new_invoice_id(), due_date=in_days(2)).model_copy(
        update={"collection": CollectionPlan(late_fee=fee)})
    await publish(issued(invoice))
    view = await collection_when(dunning, api_key, invoice.id, wait_for, lambda b: entries(b, "late_fee"))
    assert [e["step"] for e in entries(view, "late_fee")] == ["period_1"]
    await advance(dunning, api_key, days=9)
    [first] = await wait_for(lambda: events_about(read_events, LATE_FEE_TOPIC, invoice.id))
    assert (first.data["period"], first.data["late_fee"]["percentage"]) == (1, "1.5")
    await advance(dunning, api_key, days=31)
    fees = await wait_for(lambda: _at_least(events_about(read_events, LATE_FEE_TOPIC, invoice.id), 2))
    assert [f.data["period"] for f in fees] == [1, 2]
    await advance(dunning, api_key, days=1)
    assert len(await events_about(read_events, LATE_FEE_TOPIC, invoice.id)) == 2


async def _at_least(coro, count: int):
    found = await coro
    return found if len(found) >= count else None


async def test_the_schedule_the_invoice_names_runs_with_its_persistent_failure_actions(
        dunning, org, publish, read_events, wait_for):
    organization_id, api_key = org
    created = (await api(dunning, api_key, "POST", "/v1/dunning_schedules", json={
        "name": "Strict", "steps": [{"day": 0, "actions": ["retry_payment"]},
                                    {"day": 2, "actions": ["email_reminder", "pause_subscription"],
                                     "template": "invoice_reminder_firm"}],
        "on_persistent_failure": ["cancel_subscription", "mark_as_collections"]})).json()
    invoice = autopay_invoice(organization_id, dunning_schedule_id=created["id"], dunning_schedule_source="customer")
    invoice = invoice.model_copy(update={"subscription_id": "sub_strict_1"})
    await publish(issued(invoice))
    await collection_when(dunning, api_key, invoice.id, wait_for)
    await publish(autopay_failure(invoice))
    view = await collection_when(dunning, api_key, invoice.id, wait_for, lambda b: len(entries(b, "dunning_step")) == 2)
    assert [e["step"] for e in entries(view, "dunning_step")] == ["v1:day_0", "v1:day_2"]
    assert view["dunning"]["schedule_id"] == created["id"]

    await advance(dunning, api_key, days=2)
    view = await collection_when(dunning, api_key, invoice.id, wait_for,
                                 lambda b: entries(b, "dunning_step")[1]["status"] == "done")
    assert entries(view, "dunning_step")[1]["detail"]["results"] == [
        {"action": "email_reminder", "outcome": "reminder_requested"},
        {"action": "pause_subscription", "outcome": "requested"},
        {"action": "cancel_subscription", "outcome": "requested"},
        {"action": "mark_as_collections", "outcome": "done"}]
    assert view["dunning"]["sent_to_collections_at"] is not None
    actions = await wait_for(lambda: _at_least(events_about(read_events, "dunning.subscription_action_due",
                                                            invoice.id), 2))
    assert [(a.data["subscription_id"], a.data["action"]) for a in actions] == [
        ("sub_strict_1", "pause"), ("sub_strict_1", "cancel")]
    [handed] = await wait_for(lambda: events_about(read_events, "invoice.sent_to_collections", invoice.id))
    assert handed.data["schedule_id"] == created["id"] and handed.data["amount_due"] == invoice.amount_due


async def test_a_schedule_the_organization_does_not_have_falls_back_to_its_default(dunning, org, publish, wait_for):
    organization_id, api_key = org
    invoice = autopay_invoice(organization_id, dunning_schedule_id="dsch_gone", dunning_schedule_source="customer")
    await publish(issued(invoice))
    await collection_when(dunning, api_key, invoice.id, wait_for)
    await publish(autopay_failure(invoice))
    view = await collection_when(dunning, api_key, invoice.id, wait_for, lambda b: len(entries(b, "dunning_step")) == 5)
    assert all(e["detail"]["schedule_fallback"] == "schedule_not_found_default_used"
               for e in entries(view, "dunning_step"))
    default = (await api(dunning, api_key, "GET", "/v1/dunning_schedules")).json()["data"][0]
    assert view["dunning"]["schedule_id"] == default["id"]
