"""The collection timeline (issue 9) on real Postgres and the real broker: AutoPay charge entries
driven by the test clock, outcomes as history, the processing-debit hold on the overdue notice,
`GET /v1/invoices/{id}/collection`, and card expiry checks on the payment method's own timeline."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

from sqlalchemy import select

from duely_runtime.db import Database
from duely_runtime.migrations import upgrade_to_head_async
from duely_runtime.outbox import Outbox
from duely_dunning import repository
from duely_dunning.config import Settings
from duely_dunning.domain.schedule import expiry_check_at, start_of_day
from duely_dunning.main import MIGRATIONS_DIR, build
from duely_dunning.models import Timer, TrackedPaymentMethod, runtime_tables
from duely_dunning.org_clocks import Clock
from duely_dunning.workers import TimerWorker
from tests.dunning.builders import (
    autopay_plan, autopay_skipped, card, in_days, issued, late_failure, method_event, new_invoice_id, paid,
    payment_applied, payment_succeeded, processing, reopened, snapshot, voided,
)

CHARGE_TOPIC = "dunning.autopay_charge_due"
EXPIRY_TOPIC = "dunning.payment_method_expiry_due"
OVERDUE_TOPIC = "dunning.invoice_overdue"


async def get_collection(dunning, api_key: str, invoice_id: str):
    async with dunning.client(api_key) as client:
        return await client.get(f"/v1/invoices/{invoice_id}/collection")


async def collection_when(dunning, api_key, invoice_id, wait_for, check=lambda body: True):
    async def ready():
        response = await get_collection(dunning, api_key, invoice_id)
        return response.status_code == 200 and check(response.json()) and response.json()
    return await wait_for(ready)


async def events_about(read_events, topic: str, aggregate_id: str, timeout: float = 3.0):
    return [e for e in await read_events(topic, timeout=timeout) if e.aggregate_id == aggregate_id]


async def advance(dunning, api_key: str, **body) -> dict:
    async with dunning.client(api_key) as client:
        response = await client.post("/v1/test_clocks/advance", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def org_now(dunning, api_key: str) -> datetime:
    async with dunning.client(api_key) as client:
        return datetime.fromisoformat((await client.get("/v1/test_clocks/current")).json()["now"])


def entry(view: dict, kind: str, step: str = "1") -> dict:
    [found] = [e for e in view["entries"] if e["kind"] == kind and e["step"] == step]
    return found


async def method_timeline(dunning, method_id: str) -> list[Timer]:
    async with dunning.app.state.runtime.db.transaction() as session:
        return await repository.timers_of(session, method_id, "payment_method")


# -- AutoPay, driven by the test clock -------------------------------------------------------

async def test_autopay_on_the_due_date_fires_on_the_day_never_before_and_once_after_restarts(
        dunning, org, publish, read_events, wait_for):
    organization_id, api_key = org
    method = card(organization_id, exp_month=12, exp_year=2031)
    charge_day = in_days(10)
    invoice = snapshot(organization_id, new_invoice_id(), due_date=charge_day,
                       autopay=autopay_plan("on_due_date", charge_day, method=method))
    await publish(issued(invoice))

    view = await collection_when(dunning, api_key, invoice.id, wait_for, lambda b: len(b["entries"]) == 2)
    charge = entry(view, "autopay_charge")
    assert charge["status"] == "planned" and charge["fired_at"] is None
    assert datetime.fromisoformat(charge["due_at"]) == start_of_day(charge_day)
    assert view["autopay"]["timing"] == "on_due_date"
    assert view["autopay"]["charge_date"] == charge_day.isoformat()
    assert view["autopay"]["payment_method"]["last4"] == "4242"

    day_before = await advance(dunning, api_key, days=9)
    assert day_before["fired_timers"] == []
    assert await events_about(read_events, CHARGE_TOPIC, invoice.id, timeout=1.5) == []

    on_the_day = await advance(dunning, api_key, days=1)
    assert [(t["id"], t["kind"], t["outcome"]) for t in on_the_day["fired_timers"]] == [
        (charge["id"], "autopay_charge", "autopay_charge_requested")]
    [due] = await wait_for(lambda: events_about(read_events, CHARGE_TOPIC, invoice.id))
    assert due.organization_id == organization_id
    assert due.data["timer_id"] == charge["id"]
    assert due.data["payment_method_id"] == method.id
    assert datetime.fromisoformat(due.data["scheduled_for"]) == start_of_day(charge_day)
    assert datetime.fromisoformat(due.data["fired_at"]) >= start_of_day(charge_day)

    # Restarts: a replayed invoice.issued, a fresh worker on the same database, later ticks and advances.
    await publish(issued(invoice))
    worker_db = Database(dunning.app.state.runtime.db.url)
    try:
        await TimerWorker(worker_db, Outbox(runtime_tables), Clock(), tick_s=1.0, batch_size=50).tick()
    finally:
        await worker_db.dispose()
    later = await advance(dunning, api_key, days=2)
    assert "autopay_charge" not in [t["kind"] for t in later["fired_timers"]]
    view = (await get_collection(dunning, api_key, invoice.id)).json()
    assert [e["kind"] for e in view["entries"]].count("autopay_charge") == 1
    assert entry(view, "autopay_charge")["status"] == "done"
    # (Two days on the invoice is past due: its dunning schedule's day-0 retry is a charge of its own.)
    charges = await events_about(read_events, CHARGE_TOPIC, invoice.id)
    assert [c.data["timer_id"] for c in charges if c.data["reason"] == "autopay"] == [charge["id"]]


async def test_autopay_days_before_due_counts_the_charge_day_in_the_organizations_timezone(
        dunning, org, publish, read_events, wait_for):
    organization_id, api_key = org
    charge_day, due_day = in_days(5), in_days(8)
    invoice = snapshot(organization_id, new_invoice_id(), due_date=due_day,
                       autopay=autopay_plan("days_before_due", charge_day, tz="America/New_York",
                                            days_before_due=3))
    await publish(issued(invoice))
    view = await collection_when(dunning, api_key, invoice.id, wait_for, lambda b: len(b["entries"]) == 2)
    charge = entry(view, "autopay_charge")
    charge_at = datetime.fromisoformat(charge["due_at"])
    # 00:00 in New York is 05:00 UTC in winter, 04:00 in summer.
    assert charge_at.astimezone(timezone.utc).hour in (4, 5) and charge_at.date() == charge_day
    assert view["autopay"]["timezone"] == "America/New_York"

    to_moment = int((charge_at - await org_now(dunning, api_key)).total_seconds())
    assert (await advance(dunning, api_key, seconds=to_moment - 30))["fired_timers"] == []
    fired = (await advance(dunning, api_key, seconds=60))["fired_timers"]
    assert [t["id"] for t in fired] == [charge["id"]]
    assert len(await wait_for(lambda: events_about(read_events, CHARGE_TOPIC, invoice.id))) == 1


async def test_on_issue_charges_in_the_consumer_transaction_without_a_tick(database_url, settings_env):
    """The consumer itself (no worker runs: the app is not started) fires the on_issue entry, and
    skips it for an invoice that owes nothing or has a debit processing; replays add nothing."""
    url = await database_url("dunning_on_issue")
    await upgrade_to_head_async(MIGRATIONS_DIR, url)
    runtime = build(settings_env(Settings, url)).state.runtime
    try:
        organization_id = f"org_{uuid.uuid4().hex[:12]}"
        today = datetime.now(timezone.utc).date()
        method = card(organization_id, exp_month=1, exp_year=2032)
        owing = snapshot(organization_id, new_invoice_id(), due_date=in_days(30),
                         autopay=autopay_plan("on_issue", today, method=method))
        settled = snapshot(organization_id, new_invoice_id(), due_date=in_days(30), amount_paid=13_531,
                           autopay=autopay_plan("on_issue", today, method=method))
        debiting = snapshot(organization_id, new_invoice_id(), due_date=in_days(30),
                            autopay=autopay_plan("on_issue", today, method=method))
        event = issued(owing)
        assert await runtime.consumers.process("invoice.issued", event.to_bytes()) == "processed"
        assert await runtime.consumers.process("invoice.issued", event.to_bytes()) == "duplicate"
        assert await runtime.consumers.process("invoice.issued", issued(owing).to_bytes()) == "processed"
        await runtime.consumers.process("invoice.issued", issued(settled).to_bytes())
        await runtime.consumers.process("payment.processing", processing(debiting, "att_debit").to_bytes())
        await runtime.consumers.process("invoice.issued", issued(debiting).to_bytes())

        outbox = runtime_tables.outbox
        async with runtime.db.transaction() as session:
            outcomes = {}
            for invoice in (owing, settled, debiting):
                [charge] = [t for t in await repository.timers_of_invoice(session, invoice.id)
                            if t.kind == "autopay_charge"]
                assert charge.fired_at is not None and charge.step == "1"
                outcomes[invoice.id] = charge.outcome
                if invoice is owing:
                    charge_id = charge.id
            rows = (await session.execute(select(outbox.c.payload).where(outbox.c.topic == CHARGE_TOPIC))).scalars()
            payloads = [r for r in rows]
        assert outcomes == {owing.id: "autopay_charge_requested", settled.id: "skipped_nothing_due",
                            debiting.id: "skipped_payment_processing"}
        assert len(payloads) == 1 and charge_id in payloads[0] and method.id in payloads[0]
    finally:
        await runtime.db.dispose()


async def test_a_closed_invoice_cancels_its_planned_charge(dunning, org, publish, read_events, wait_for):
    organization_id, api_key = org
    charge_day = in_days(10)
    invoice = snapshot(organization_id, new_invoice_id(), due_date=charge_day,
                       autopay=autopay_plan("on_due_date", charge_day))
    await publish(issued(invoice))
    await collection_when(dunning, api_key, invoice.id, wait_for, lambda b: len(b["entries"]) == 2)
    await publish(voided(invoice))
    view = await collection_when(dunning, api_key, invoice.id, wait_for, lambda b: b["status"] == "void")
    assert {(e["kind"], e["status"]) for e in view["entries"]} == {("autopay_charge", "cancelled"),
                                                                   ("overdue", "cancelled")}
    assert all(e["cancelled_at"] for e in view["entries"])
    assert [h["type"] for h in view["history"]] == ["invoice.issued", "invoice.voided"]
    assert (await advance(dunning, api_key, days=12))["fired_timers"] == []
    assert await events_about(read_events, CHARGE_TOPIC, invoice.id, timeout=1.5) == []


# -- a bank debit in flight holds the overdue notice ----------------------------------------

async def test_a_processing_debit_holds_the_overdue_notice_and_a_late_failure_sends_it_at_once(
        dunning, org, publish, read_events, wait_for):
    organization_id, api_key = org
    invoice = snapshot(organization_id, new_invoice_id(), due_date=in_days(5))
    await publish(issued(invoice))
    await collection_when(dunning, api_key, invoice.id, wait_for)
    await publish(processing(invoice, "att_debit_1"))
    await collection_when(dunning, api_key, invoice.id, wait_for, lambda b: b["payment_processing"])

    fired = (await advance(dunning, api_key, days=6))["fired_timers"]
    assert [(t["kind"], t["outcome"]) for t in fired] == [("overdue", "skipped_payment_processing")]
    assert await events_about(read_events, OVERDUE_TOPIC, invoice.id, timeout=1.5) == []

    failure = late_failure(invoice, 1)
    await publish(failure)
    view = await collection_when(dunning, api_key, invoice.id, wait_for,
                                 lambda b: [e["kind"] for e in b["entries"]].count("overdue") == 2
                                 and not b["payment_processing"])
    assert entry(view, "overdue")["status"] == "skipped"
    again = entry(view, "overdue", "after_attempt_1")
    assert again["status"] == "done" and again["outcome"] == "invoice_overdue_emitted"
    assert [h["type"] for h in view["history"]] == ["invoice.issued", "payment.processing", "invoice.payment_failed"]
    assert view["history"][2]["detail"]["late"] is True
    [overdue] = await wait_for(lambda: events_about(read_events, OVERDUE_TOPIC, invoice.id))
    assert overdue.data["invoice_id"] == invoice.id

    await publish(failure)  # redelivered
    await publish(late_failure(invoice, 1))  # the same failure under a new event id
    await asyncio.sleep(1.5)
    assert (await get_collection(dunning, api_key, invoice.id)).json() == view
    assert len(await events_about(read_events, OVERDUE_TOPIC, invoice.id)) == 1


# -- the collection view ----------------------------------------------------------------------

async def test_the_collection_view_lists_plans_and_outcomes_in_time_order_for_its_organization_only(
        dunning, org, invoicing, publish, wait_for):
    organization_id, api_key = org
    today = datetime.now(timezone.utc).date()
    method = card(organization_id, exp_month=3, exp_year=2031, last4="1881")
    invoice = snapshot(organization_id, new_invoice_id(), due_date=in_days(30),
                       autopay=autopay_plan("on_issue", today, method=method))
    await publish(issued(invoice))
    view = await collection_when(dunning, api_key, invoice.id, wait_for, lambda b: len(b["entries"]) == 2)
    charge, overdue = view["entries"]  # by due time: the charge (today) before the overdue notice
    assert (charge["kind"], charge["status"], charge["outcome"]) == ("autopay_charge", "done",
                                                                    "autopay_charge_requested")
    assert (overdue["kind"], overdue["status"]) == ("overdue", "planned")
    assert view["autopay"] == {
        "timing": "on_issue", "days_before_due": None, "charge_date": today.isoformat(), "timezone": "UTC",
        "charge_at": charge["due_at"], "status": "done",
        "payment_method": {"id": method.id, "type": "card", "brand": "visa", "bank_name": None, "last4": "1881"}}
    assert set(view) == {"object", "invoice_id", "number", "status", "amount_due", "currency", "due_date",
                         "payment_processing", "autopay", "dunning", "entries", "history"}
    assert (view["object"], view["invoice_id"], view["status"], view["amount_due"], view["currency"]) == (
        "invoice_collection", invoice.id, "open", 13_531, "usd")
    assert set(charge) == {"object", "id", "kind", "step", "status", "due_at", "fired_at", "cancelled_at",
                           "outcome", "detail"}

    skipped = autopay_skipped(invoice, timer_id=charge["id"])
    succeeded = payment_succeeded(invoice, attempt_id="att_1", payment_id="pay_1", amount=13_531)
    applied = payment_applied(invoice, payment_id="pay_1", amount=13_531)
    settled = paid(invoice.model_copy(update={"version": 2}))
    for event in (skipped, succeeded, applied, settled):
        await publish(event)
    view = await collection_when(dunning, api_key, invoice.id, wait_for,
                                 lambda b: b["status"] == "paid" and len(b["history"]) == 5)
    types = [h["type"] for h in view["history"]]
    assert types[0] == "invoice.issued" and set(types) == {
        "invoice.issued", "invoice.autopay_skipped", "payment.succeeded", "invoice.payment_succeeded",
        "invoice.paid"}
    times = [datetime.fromisoformat(h["at"]) for h in view["history"]]
    assert times == sorted(times)
    by_type = {h["type"]: h["detail"] for h in view["history"]}
    assert by_type["invoice.autopay_skipped"]["reason"] == "no_payment_method"
    assert by_type["invoice.autopay_skipped"]["timer_id"] == charge["id"]
    assert by_type["invoice.payment_succeeded"]["amount_due"] == 0
    assert by_type["payment.succeeded"]["payment_id"] == "pay_1"
    assert entry(view, "overdue")["status"] == "cancelled" and view["amount_due"] == 0

    # Duplicates, and the same facts under new event ids, change nothing.
    for event in (skipped, succeeded, applied, settled,
                  payment_succeeded(invoice, attempt_id="att_1", payment_id="pay_1", amount=13_531),
                  autopay_skipped(invoice, timer_id=charge["id"])):
        await publish(event)
    await asyncio.sleep(1.5)
    assert (await get_collection(dunning, api_key, invoice.id)).json() == view

    # A refund reopens it: open again, its overdue notice planned again.
    await publish(reopened(invoice, payment_id="pay_1", refund_id="re_1", amount=5_000, version=4))
    view = await collection_when(dunning, api_key, invoice.id, wait_for, lambda b: b["status"] == "open")
    assert view["amount_due"] == 5_000
    assert entry(view, "overdue")["status"] == "planned" and entry(view, "overdue")["cancelled_at"] is None
    assert entry(view, "autopay_charge")["status"] == "done"  # a refund is not charged again by itself
    assert view["history"][-1]["type"] == "invoice.reopened"

    # Another organization, an unknown invoice, a bad key.
    _, other_key = await invoicing.create_org("Someone Else")
    for key, invoice_id, status in ((other_key, invoice.id, 404), (api_key, new_invoice_id(), 404),
                                    ("sk_live_not_a_key", invoice.id, 401)):
        response = await get_collection(dunning, key, invoice_id)
        assert response.status_code == status, response.text
    assert (await get_collection(dunning, other_key, invoice.id)).json()["error"]["code"] == "resource_missing"
    async with dunning.client(api_key) as client:  # the operators' view still answers
        assert (await client.get(f"/v1/dunning/invoices/{invoice.id}")).status_code == 200


# -- card expiry checks on the payment method's own timeline ---------------------------------

def months_ahead(months: int) -> tuple[int, int]:
    today = datetime.now(timezone.utc).date()
    index = today.year * 12 + today.month - 1 + months
    return index % 12 + 1, index // 12


async def test_a_card_gets_one_expiry_check_the_month_before_it_expires(
        dunning, org, publish, read_events, wait_for):
    organization_id, api_key = org
    exp_month, exp_year = months_ahead(3)
    method = card(organization_id, exp_month=exp_month, exp_year=exp_year)
    await publish(method_event("payment_method.attached", method))
    await publish(method_event("payment_method.attached", method))  # a replay under a new event id
    [check] = await wait_for(lambda: method_timeline(dunning, method.id))
    assert (check.kind, check.step, check.fired_at) == ("payment_method_expiry", f"{exp_year}-{exp_month:02d}", None)
    assert check.due_at == expiry_check_at(exp_month, exp_year)
    assert check.due_at.day == 1 and (check.due_at.year * 12 + check.due_at.month) == exp_year * 12 + exp_month - 1

    to_moment = int((check.due_at - await org_now(dunning, api_key)).total_seconds())
    assert (await advance(dunning, api_key, seconds=to_moment - 30))["fired_timers"] == []
    fired = (await advance(dunning, api_key, seconds=60))["fired_timers"]
    assert [(t["subject_type"], t["subject_id"], t["outcome"]) for t in fired] == [
        ("payment_method", method.id, "expiry_warning_requested")]
    [due] = await wait_for(lambda: events_about(read_events, EXPIRY_TOPIC, method.id))
    assert due.data == {**due.data, "payment_method_id": method.id, "customer_id": method.customer_id,
                        "exp_month": exp_month, "exp_year": exp_year}
    assert (await advance(dunning, api_key, days=40))["fired_timers"] == []
    assert len(await method_timeline(dunning, method.id)) == 1
    assert len(await events_about(read_events, EXPIRY_TOPIC, method.id)) == 1


async def test_expiry_checks_due_now_cancelled_on_detach_and_replaced_on_a_new_expiry(
        dunning, org, publish, read_events, wait_for):
    organization_id, api_key = org
    next_month = card(organization_id, exp_month=months_ahead(1)[0], exp_year=months_ahead(1)[1])
    this_month = card(organization_id, exp_month=months_ahead(0)[0], exp_year=months_ahead(0)[1])
    expired = card(organization_id, exp_month=months_ahead(-1)[0], exp_year=months_ahead(-1)[1])
    detached = card(organization_id, exp_month=months_ahead(6)[0], exp_year=months_ahead(6)[1])
    renewed = card(organization_id, exp_month=months_ahead(4)[0], exp_year=months_ahead(4)[1])
    gone_early = card(organization_id, exp_month=months_ahead(5)[0], exp_year=months_ahead(5)[1])
    # Its detach (version 2) overtakes its attach (version 1, another topic): never planned.
    await publish(method_event("payment_method.detached", gone_early.model_copy(update={"status": "detached"}), 2))
    await wait_for(lambda: _tracked(dunning, gone_early.id))
    for method in (next_month, this_month, expired, detached, renewed, gone_early):
        await publish(method_event("payment_method.attached", method))
    await wait_for(lambda: method_timeline(dunning, detached.id))
    await wait_for(lambda: method_timeline(dunning, renewed.id))
    await publish(method_event("payment_method.detached", detached.model_copy(update={"status": "detached"}), 2))
    new_expiry = renewed.model_copy(update={"exp_month": months_ahead(16)[0], "exp_year": months_ahead(16)[1]})
    await publish(method_event("payment_method.updated", new_expiry, 2))

    for method in (next_month, this_month):  # the moment passed, the card still works: due now
        [check] = await wait_for(lambda: method_timeline(dunning, method.id))
        assert check.fired_at is not None and check.outcome == "expiry_warning_requested"
        assert len(await wait_for(lambda: events_about(read_events, EXPIRY_TOPIC, method.id))) == 1
    [cancelled] = await wait_for(lambda: _cancelled(dunning, detached.id))
    assert cancelled.fired_at is None
    timeline = await wait_for(lambda: _when_len(dunning, renewed.id, 2))
    old, new = sorted(timeline, key=lambda t: t.step)
    assert old.step == f"{renewed.exp_year}-{renewed.exp_month:02d}" and old.cancelled_at is not None
    assert new.step == f"{new_expiry.exp_year}-{new_expiry.exp_month:02d}" and new.cancelled_at is None
    assert new.due_at == expiry_check_at(new_expiry.exp_month, new_expiry.exp_year)
    assert await method_timeline(dunning, expired.id) == []

    # Past the detached card's and the old expiry's moments: nothing fires for them.
    fired = (await advance(dunning, api_key, days=200))["fired_timers"]
    assert {t["subject_id"] for t in fired} & {detached.id, renewed.id} == set()
    await publish(method_event("payment_method.attached", next_month))  # replayed: still one warning
    await asyncio.sleep(1.0)
    assert len(await events_about(read_events, EXPIRY_TOPIC, next_month.id)) == 1
    assert await events_about(read_events, EXPIRY_TOPIC, detached.id, timeout=1.0) == []
    assert await method_timeline(dunning, gone_early.id) == []


async def _tracked(dunning, method_id):
    async with dunning.app.state.runtime.db.transaction() as session:
        return await session.get(TrackedPaymentMethod, method_id)


async def _cancelled(dunning, method_id):
    timeline = await method_timeline(dunning, method_id)
    return timeline if timeline and all(t.cancelled_at is not None for t in timeline) else None


async def _when_len(dunning, method_id, count):
    timeline = await method_timeline(dunning, method_id)
    return timeline if len(timeline) == count and any(t.cancelled_at for t in timeline) else None
