"""Dunning on real Postgres and the real broker: collection state, durable timers, test clocks."""

from __future__ import annotations

from datetime import datetime

from duely_dunning.domain.schedule import overdue_at
from tests.dunning.builders import in_days, issued, new_invoice_id, paid, payment_failed, snapshot

OVERDUE_TOPIC = "dunning.invoice_overdue"


async def get_state(dunning, api_key: str, invoice_id: str):
    async with dunning.client(api_key) as client:
        return await client.get(f"/v1/dunning/invoices/{invoice_id}")


async def state_when(dunning, api_key, invoice_id, wait_for, check=lambda body: True):
    """Wait until the state exists and `check(body)` holds; return the body."""
    async def ready():
        response = await get_state(dunning, api_key, invoice_id)
        return response.status_code == 200 and check(response.json()) and response.json()
    return await wait_for(ready)


async def overdue_events(read_events, invoice_id: str):
    return [e for e in await read_events(OVERDUE_TOPIC, timeout=3.0) if e.aggregate_id == invoice_id]


async def advance(dunning, api_key: str, **body):
    async with dunning.client(api_key) as client:
        return await client.post("/v1/test_clocks/advance", json=body)


async def test_issued_twice_makes_one_state_and_one_timer_and_advancing_fires_it_once(
        dunning, org, publish, read_events, wait_for):
    organization_id, api_key = org
    invoice = snapshot(organization_id, new_invoice_id(), due_date=in_days(30))
    event = issued(invoice)
    await publish(event)
    await publish(event)  # a redelivery
    await publish(issued(invoice, correlation_id=event.correlation_id))  # a replay under a new event id

    state = await state_when(dunning, api_key, invoice.id, wait_for)
    assert state["status"] == "open"
    assert state["number"] == invoice.number
    assert state["amount_due"] == 13_531 and state["currency"] == "usd"
    assert state["due_date"] == invoice.due_date.isoformat()
    assert state["failures"] == {"count": 0, "last_code": None, "last_attempt": None, "last_failed_at": None}
    assert len(state["timers"]) == 1
    [timer] = state["next_timers"]
    assert timer["kind"] == "overdue" and timer["status"] == "pending"
    assert datetime.fromisoformat(timer["due_at"]) == overdue_at(invoice.due_date)

    response = await advance(dunning, api_key, days=31)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["organization_id"] == organization_id
    assert body["offset_seconds"] == 31 * 86_400
    assert [t["id"] for t in body["fired_timers"]] == [timer["id"]]
    assert body["fired_timers"][0]["outcome"] == "invoice_overdue_emitted"

    async def published():
        return await overdue_events(read_events, invoice.id)
    [overdue] = await wait_for(published)
    assert overdue.organization_id == organization_id
    assert overdue.correlation_id == event.correlation_id  # the invoice's journey continues
    assert overdue.data["invoice_id"] == invoice.id
    assert overdue.data["due_date"] == invoice.due_date.isoformat()
    assert datetime.fromisoformat(overdue.data["detected_at"]) >= overdue_at(invoice.due_date)

    state = (await get_state(dunning, api_key, invoice.id)).json()
    # Past due: the rest of the timeline is its dunning schedule's steps (the default: days 3 to 30 to come).
    assert [t["step"] for t in state["next_timers"]] == ["v1:day_3", "v1:day_7", "v1:day_14", "v1:day_30"]
    assert state["timers"][0]["status"] == "fired"

    again = await advance(dunning, api_key, days=1)
    assert again.status_code == 200 and again.json()["fired_timers"] == []
    assert again.json()["offset_seconds"] == 32 * 86_400
    assert len(await overdue_events(read_events, invoice.id)) == 1


async def test_an_invoice_already_past_due_fires_on_the_background_tick(dunning, org, publish, read_events,
                                                                       wait_for):
    organization_id, api_key = org
    invoice = snapshot(organization_id, new_invoice_id(), due_date=in_days(-3))
    await publish(issued(invoice))

    state = await state_when(dunning, api_key, invoice.id, wait_for,
                             lambda body: body["timers"] and body["timers"][0]["status"] == "fired")
    assert state["timers"][0]["outcome"] == "invoice_overdue_emitted"
    assert len(await wait_for(lambda: overdue_events(read_events, invoice.id))) == 1
    async with dunning.client(api_key) as client:
        clock = (await client.get("/v1/test_clocks/current")).json()
    assert clock["offset_seconds"] == 0  # real time did it, no clock was advanced


async def test_paid_before_due_date_cancels_the_timer_and_replays_change_nothing(
        dunning, org, publish, read_events, wait_for):
    organization_id, api_key = org
    invoice = snapshot(organization_id, new_invoice_id(), due_date=in_days(30))
    issued_event, paid_event = issued(invoice), paid(invoice)
    await publish(issued_event)
    await state_when(dunning, api_key, invoice.id, wait_for)
    await publish(paid_event)
    settled = await state_when(dunning, api_key, invoice.id, wait_for, lambda body: body["status"] == "paid")
    assert settled["version"] == 2 and settled["amount_due"] == 0
    assert settled["closed_at"] is not None
    assert settled["next_timers"] == []
    assert [t["status"] for t in settled["timers"]] == ["cancelled"]

    # Replays: the same envelopes, and the stale issued snapshot again under a new event id.
    await publish(issued_event)
    await publish(paid_event)
    await publish(issued(invoice))
    marker = snapshot(organization_id, new_invoice_id(), due_date=in_days(30))
    await publish(issued(marker))  # same topic, published after: once seen, the replays were handled
    await state_when(dunning, api_key, marker.id, wait_for)
    assert (await get_state(dunning, api_key, invoice.id)).json() == settled

    response = await advance(dunning, api_key, days=31)
    assert [t["invoice_id"] for t in response.json()["fired_timers"]] == [marker.id]
    assert await overdue_events(read_events, invoice.id) == []


async def test_payment_failures_are_counted_once_each(dunning, org, publish, wait_for):
    organization_id, api_key = org
    invoice = snapshot(organization_id, new_invoice_id(), due_date=in_days(30))
    first = payment_failed(invoice, 1, "card_declined")
    await publish(first)  # overtakes invoice.issued: the state starts from the payment's summary
    await publish(issued(invoice))
    await publish(first)
    await publish(payment_failed(invoice, 2, "insufficient_funds"))
    await publish(payment_failed(invoice, 1, "card_declined"))  # attempt 1 again, new event id

    state = await state_when(dunning, api_key, invoice.id, wait_for,
                             lambda body: body["failures"]["count"] == 2 and body["version"] == 1)
    assert state["failures"]["last_code"] == "insufficient_funds"
    assert state["failures"]["last_attempt"] == 2
    assert state["status"] == "open"
    assert [t["status"] for t in state["next_timers"]] == ["pending"]


async def test_another_organization_cannot_see_the_state(dunning, org, invoicing, publish, wait_for):
    organization_id, api_key = org
    invoice = snapshot(organization_id, new_invoice_id(), due_date=in_days(30))
    await publish(issued(invoice))
    await state_when(dunning, api_key, invoice.id, wait_for)

    _, other_key = await invoicing.create_org("Someone Else")
    response = await get_state(dunning, other_key, invoice.id)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "resource_missing"
    # Nor can it fire the timer by advancing its own clock.
    assert (await advance(dunning, other_key, days=31)).json()["fired_timers"] == []
    state = (await get_state(dunning, api_key, invoice.id)).json()
    assert state["timers"][0]["status"] == "pending"

    async with dunning.client("sk_live_not_a_key") as client:
        response = await client.get(f"/v1/dunning/invoices/{invoice.id}")
    assert response.status_code == 401


async def test_test_clock_reads_and_rejects_bad_advances(dunning, org):
    organization_id, api_key = org
    async with dunning.client(api_key) as client:
        clock = (await client.get("/v1/test_clocks/current")).json()
        assert clock["organization_id"] == organization_id and clock["offset_seconds"] == 0
        for body, param in [({}, "days"), ({"days": 0}, "days"), ({"days": -1}, "days"),
                            ({"seconds": 0}, "seconds"), ({"seconds": -5}, "seconds"),
                            ({"days": "2"}, "days"), ({"days": 1.5}, "days"), ({"days": 1, "seconds": -1}, "seconds"),
                            ({"hours": 1}, "hours"), ({"days": 4000}, "days")]:
            response = await client.post("/v1/test_clocks/advance", json=body)
            assert response.status_code == 400, (body, response.text)
            assert response.json()["error"]["param"] == param, (body, response.text)
        moved = await client.post("/v1/test_clocks/advance", json={"days": 2, "seconds": 30})
        assert moved.status_code == 200
        assert moved.json()["offset_seconds"] == 2 * 86_400 + 30
        current = (await client.get("/v1/test_clocks/current")).json()
        assert current["offset_seconds"] == 2 * 86_400 + 30
        assert datetime.fromisoformat(current["now"]) >= datetime.fromisoformat(moved.json()["now"])
