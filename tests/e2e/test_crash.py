"""Kill services in the middle of a batch of journeys, start them again, and every
invoice still finishes with exactly one email of each kind, one successful charge
and one webhook delivery per event (transport duplicates allowed, effects not)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import stripe

from tests.conftest import wait_for
from tests.e2e.test_journey import create_invoice

BATCH = 12


async def test_killed_services_lose_nothing_and_do_nothing_twice(api, platform, endpoint, webhook_receiver, mailbox):
    webhook_receiver.fail_first = webhook_receiver.failed_on_purpose + 3  # a few transport failures too
    tag = uuid.uuid4().hex[:8]
    emails = [f"crash{i}+{tag}@example.com" for i in range(BATCH)]
    drafts = [await create_invoice(api, email=email) for email in emails]
    invoices = []
    for i, draft in enumerate(drafts):
        invoices.append((await api.post(f"/v1/invoices/{draft['id']}/approve")).json())
        if i == BATCH // 3:
            # Mid-batch: the email/webhook sender and the payment-applying service die hard.
            await asyncio.to_thread(platform.kill, "notifications")
            await asyncio.to_thread(platform.kill, "invoicing")
            await asyncio.to_thread(platform.start_service, "invoicing")
            await asyncio.to_thread(platform.wait_ready, "invoicing")

    pays = [api.post(f"/v1/invoices/{inv['id']}/pay", json={"payment_method": "pm_card_visa"},
                     headers={"Idempotency-Key": f"pay-{inv['id']}"}) for inv in invoices]
    results = await asyncio.gather(*pays)
    assert all(r.status_code == 200 for r in results), [r.text for r in results if r.status_code != 200]

    await asyncio.to_thread(platform.start_service, "notifications")
    await asyncio.to_thread(platform.wait_ready, "notifications")
    await asyncio.to_thread(platform.kill, "payments")  # after charging: its events must still flow
    await asyncio.to_thread(platform.start_service, "payments")
    await asyncio.to_thread(platform.wait_ready, "payments")

    async def all_paid():
        statuses = [(await api.get(f"/v1/invoices/{inv['id']}")).json()["status"] for inv in invoices]
        return all(s == "paid" for s in statuses)
    await wait_for(all_paid, timeout=90)

    async def receipts_done():
        return all(mailbox(subject_contains="Receipt", to=email) for email in emails)
    await wait_for(receipts_done, timeout=90)
    await asyncio.sleep(3)  # let any duplicate that would arrive, arrive
    for email, inv in zip(emails, invoices):
        kinds = Counter("receipt" if "Receipt" in str(m["Subject"]) else "issued" for m in mailbox(to=email))
        assert kinds == {"issued": 1, "receipt": 1}, (email, kinds)

    for event_type in ("invoice.issued", "invoice.paid"):
        async def delivered():
            return all(webhook_receiver.events(event_type, inv["id"]) for inv in invoices)
        await wait_for(delivered, timeout=90)
        for inv in invoices:
            ids = {d["id"] for d in webhook_receiver.events(event_type, inv["id"])}
            assert len(ids) == 1, (event_type, inv["id"], ids)

    client = stripe.StripeClient("sk_test_sandbox",
                                 base_addresses={"api": f"http://127.0.0.1:{platform.config.stripe_port}"})
    intents = await asyncio.to_thread(lambda: list(client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()))
    succeeded = Counter(pi.metadata.to_dict().get("duely_invoice_id") for pi in intents if pi.status == "succeeded")
    for inv in invoices:
        assert succeeded[inv["id"]] == 1, (inv["id"], succeeded[inv["id"]])


async def test_autopay_charges_falling_due_survive_killed_payments_and_dunning(fresh_org, platform):
    """AutoPay's moments fall due (a test-clock jump), then payments and dunning die mid-work: once they are
    back, every invoice ends paid with exactly one succeeded charge."""
    api = fresh_org
    customer = (await api.post("/v1/customers", json={
        "name": "Crash AutoPay", "email": f"crash-autopay+{uuid.uuid4().hex[:8]}@example.com",
        "autopay": {"enabled": True, "timing": "on_due_date"}})).json()
    saved = await api.post(f"/v1/customers/{customer['id']}/payment_methods", json={"payment_method": "pm_card_visa"})
    assert saved.status_code in (200, 201), saved.text
    invoices = []
    for _ in range(BATCH):
        draft = (await api.post("/v1/invoices", json={
            "customer_id": customer["id"], "currency": "usd", "payment_terms": "net_7",
            "lines": [{"description": "Plan", "quantity": 1, "unit_amount": 2500}]})).json()
        invoices.append((await api.post(f"/v1/invoices/{draft['id']}/approve")).json())

    async def all_planned():
        for inv in invoices:
            timeline = await api.get(f"/v1/invoices/{inv['id']}/collection")
            if timeline.status_code != 200 or not any(e["kind"] == "autopay_charge"
                                                      for e in timeline.json()["entries"]):
                return False
        return True
    await wait_for(all_planned, timeout=60)

    advanced = await api.post("/v1/test_clocks/advance", json={"days": 7})
    assert advanced.status_code == 200, advanced.text
    await asyncio.sleep(0.3)  # charges under way
    await asyncio.to_thread(platform.kill, "payments")
    await asyncio.to_thread(platform.kill, "dunning")
    await asyncio.to_thread(platform.start_service, "dunning")
    await asyncio.to_thread(platform.start_service, "payments")
    await asyncio.to_thread(platform.wait_ready, "dunning")
    await asyncio.to_thread(platform.wait_ready, "payments")

    async def all_paid():
        statuses = [(await api.get(f"/v1/invoices/{inv['id']}")).json()["status"] for inv in invoices]
        return all(s == "paid" for s in statuses)
    await wait_for(all_paid, timeout=120)
    await asyncio.sleep(3)  # a duplicate charge that would come, comes

    client = stripe.StripeClient("sk_test_sandbox",
                                 base_addresses={"api": f"http://127.0.0.1:{platform.config.stripe_port}"})
    intents = await asyncio.to_thread(
        lambda: list(client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()))
    succeeded = Counter(pi.metadata.to_dict().get("duely_invoice_id") for pi in intents if pi.status == "succeeded")
    for inv in invoices:
        assert succeeded[inv["id"]] == 1, (inv["id"], succeeded[inv["id"]])
        attempts = (await api.get(f"/v1/invoices/{inv['id']}/payment_attempts")).json()["data"]
        assert [a["status"] for a in attempts] == ["succeeded"], (inv["id"], attempts)


async def test_dunning_killed_mid_catch_up_fires_each_step_once_and_sends_one_message_per_invoice(
        fresh_org, platform, mailbox):
    """A month of reminders and dunning steps falls due at once (a test-clock jump) and dunning is killed while
    it fires them. Whether the jump committed or not, once dunning is back and the clock stands 25 days on,
    every entry fired once, each invoice's customer got one reminder (the latest due) and each step one
    webhook."""
    api = fresh_org
    hooks = (await api.post("/v1/webhook_endpoints", json={
        "url": "https://hooks.example.com/duely", "events": ["invoice.dunning_step_executed"]})).json()
    email = f"crash-dunning+{uuid.uuid4().hex[:8]}@example.com"
    customer = (await api.post("/v1/customers", json={
        "name": "Crash Dunning", "email": email,
        "reminders": {"after_due": {"enabled": True, "days": [1, 7, 14], "templates": [
            "invoice_reminder_gentle", "invoice_reminder_firm", "invoice_reminder_final"]}}})).json()
    invoices = []
    for _ in range(BATCH):
        draft = (await api.post("/v1/invoices", json={
            "customer_id": customer["id"], "currency": "usd", "payment_terms": "net_7",
            "lines": [{"description": "Plan", "quantity": 1, "unit_amount": 1500}]})).json()
        invoices.append((await api.post(f"/v1/invoices/{draft['id']}/approve")).json())

    async def all_planned():
        for inv in invoices:
            view = await api.get(f"/v1/invoices/{inv['id']}/collection")
            if view.status_code != 200 or not any(e["kind"] == "reminder" for e in view.json()["entries"]):
                return False
        return True
    await wait_for(all_planned, timeout=60)

    jump = asyncio.create_task(api.post("/v1/test_clocks/advance", json={"days": 25}))
    await asyncio.sleep(0.3)
    await asyncio.to_thread(platform.kill, "dunning")
    await asyncio.gather(jump, return_exceptions=True)  # answered, or cut off
    await asyncio.to_thread(platform.start_service, "dunning")
    await asyncio.to_thread(platform.wait_ready, "dunning")
    offset = (await api.get("/v1/test_clocks/current")).json()["offset_seconds"]
    if offset < 25 * 86_400:  # the jump did not commit: nothing of it happened; make it again
        assert offset == 0
        assert (await api.post("/v1/test_clocks/advance", json={"days": 25})).status_code == 200

    expected_steps = ["v1:day_0", "v1:day_3", "v1:day_7", "v1:day_14"]
    for inv in invoices:
        view = (await api.get(f"/v1/invoices/{inv['id']}/collection")).json()
        fired = [e["step"] for e in view["entries"] if e["kind"] == "dunning_step" and e["status"] != "planned"]
        assert fired == expected_steps, (inv["id"], view["entries"])
        reminders = [e for e in view["entries"] if e["kind"] == "reminder"]
        assert [e["outcome"] for e in reminders] == ["skipped_superseded_by_later_reminder"] * 3

    async def one_reminder_each():
        subjects = [str(m["Subject"]) for m in mailbox(to=email) if "Final notice" in str(m["Subject"])]
        return len(subjects) == len(invoices) and subjects
    await wait_for(one_reminder_each, timeout=120)
    await asyncio.sleep(3)  # a duplicate that would come, comes
    sent = [str(m["Subject"]) for m in mailbox(to=email) if "Reminder" in str(m["Subject"])
            or "Final notice" in str(m["Subject"])]
    assert Counter(s.split("invoice ")[1].split(" ")[0] for s in sent) == Counter(
        inv["number"] for inv in invoices)

    async def step_webhooks():
        rows = (await api.get(f"/v1/webhook_endpoints/{hooks['id']}/deliveries")).json()["data"]
        return rows if len(rows) >= len(invoices) * len(expected_steps) else None
    rows = await wait_for(step_webhooks, timeout=60)
    await asyncio.sleep(2)
    rows = (await api.get(f"/v1/webhook_endpoints/{hooks['id']}/deliveries")).json()["data"]
    assert len(rows) == len({r["event_id"] for r in rows}) == len(invoices) * len(expected_steps)
