"""Webhook endpoints managed through the API, against a real receiver on 127.0.0.1: update and disable by hand,
delete, roll the secret (both signatures verified by the `standardwebhooks` library during the overlap), a test
event, the delivery log with every attempt, replaying one delivery or every failed one since a time; bad input
named by field, another organization's ids answered 404, POSTs replayed by Idempotency-Key."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.notifications.notification_events import invoice_issued, invoice_paid, snapshot
from tests.notifications.webhook_receivers import scripted_receiver


@pytest.fixture(scope="module")
async def receiver(serve):
    async with scripted_receiver(serve) as running:
        yield running


async def _endpoint(client, url: str, events=("*",)) -> dict:
    response = await client.post("/v1/webhook_endpoints", json={"url": url, "events": list(events)})
    assert response.status_code == 201, response.text
    return response.json()


async def _deliveries(client, endpoint_id: str, **params) -> list[dict]:
    response = await client.get(f"/v1/webhook_endpoints/{endpoint_id}/deliveries", params=params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _name() -> str:
    return uuid.uuid4().hex[:8]


async def test_update_disable_enable_and_delete_an_endpoint(notifications, invoicing, receiver, publish, wait_for):
    org_id, api_key = await invoicing.create_org("Manage Inc")
    _, other_key = await invoicing.create_org("Other Manage Inc")
    first, second = _name(), _name()
    async with notifications.client(api_key) as client, notifications.client(other_key) as other:
        endpoint = await _endpoint(client, receiver.endpoint_url(first), ["invoice.issued"])
        assert endpoint["status"] == "enabled" and endpoint["disabled_reason"] is None

        changed = await client.patch(f"/v1/webhook_endpoints/{endpoint['id']}", json={
            "url": receiver.endpoint_url(second), "events": ["invoice.paid", "invoice.paid"],
            "description": "paid invoices to the ERP"})
        assert changed.status_code == 200, changed.text
        body = changed.json()
        assert (body["url"], body["events"], body["description"]) == (
            receiver.endpoint_url(second), ["invoice.paid"], "paid invoices to the ERP")
        assert "secret" not in body
        fetched = (await client.get(f"/v1/webhook_endpoints/{endpoint['id']}")).json()
        assert fetched["url"] == receiver.endpoint_url(second) and fetched["events"] == ["invoice.paid"]
        cleared = await client.patch(f"/v1/webhook_endpoints/{endpoint['id']}", json={"description": None})
        assert cleared.json()["description"] is None and cleared.json()["events"] == ["invoice.paid"]

        for patch, param in [({"url": None}, "url"), ({"url": "ftp://example.com/x"}, "url"),
                             ({"url": "http://10.0.0.1/hooks"}, "url"), ({"events": []}, "events"),
                             ({"events": ["invoice.paid", "invoice.nope"]}, "events[1]"),
                             ({"enabled": None}, "enabled"), ({"enabled": "sometimes"}, "enabled"),
                             ({"colour": "blue"}, "colour")]:
            response = await client.patch(f"/v1/webhook_endpoints/{endpoint['id']}", json=patch)
            assert response.status_code == 400, (patch, response.text)
            assert response.json()["error"]["param"] == param, (patch, response.json())
        assert (await other.patch(f"/v1/webhook_endpoints/{endpoint['id']}", json={"enabled": False})
                ).status_code == 404
        assert (await client.get(f"/v1/webhook_endpoints/{endpoint['id']}")).json()["status"] == "enabled"

        # Disabled by hand: an event published now queues nothing for it.
        disabled = await client.patch(f"/v1/webhook_endpoints/{endpoint['id']}", json={"enabled": False})
        assert disabled.json()["status"] == "disabled" and disabled.json()["disabled_reason"] == "manual"
        invoice = snapshot(org_id, status="paid", version=4)
        while_disabled = invoice_paid(invoice, "pay_while_disabled")
        witness_name = _name()
        witness = await _endpoint(client, receiver.endpoint_url(witness_name), ["invoice.paid"])
        await publish(while_disabled)
        await wait_for(lambda: _delivered(receiver, witness_name, while_disabled.id), timeout=30)
        assert await _deliveries(client, endpoint["id"]) == []
        assert (await client.post(f"/v1/webhook_endpoints/{endpoint['id']}/test")).json()["error"]["code"] \
            == "endpoint_disabled"

        enabled = await client.patch(f"/v1/webhook_endpoints/{endpoint['id']}", json={"enabled": True})
        assert enabled.json()["status"] == "enabled" and enabled.json()["disabled_at"] is None
        after = invoice_paid(snapshot(org_id, status="paid", version=4), "pay_after")
        await publish(after)
        await wait_for(lambda: _delivered(receiver, second, after.id), timeout=30)
        assert receiver.ids(second) == [after.id]

        assert (await other.delete(f"/v1/webhook_endpoints/{endpoint['id']}")).status_code == 404
        deleted = await client.delete(f"/v1/webhook_endpoints/{endpoint['id']}")
        assert deleted.json() == {"id": endpoint["id"], "object": "webhook_endpoint", "deleted": True}
        for method, path in [("GET", ""), ("PATCH", ""), ("POST", "/test"), ("POST", "/roll_secret"),
                             ("GET", "/deliveries")]:
            response = await client.request(method, f"/v1/webhook_endpoints/{endpoint['id']}{path}",
                                            json={} if method != "GET" else None)
            assert response.status_code == 404, (method, path, response.text)
        listed = (await client.get("/v1/webhook_endpoints")).json()["data"]
        assert [e["id"] for e in listed] == [witness["id"]]


async def _delivered(receiver, name: str, webhook_id: str) -> bool:
    return webhook_id in receiver.ids(name)


async def test_a_rolled_secret_signs_beside_the_old_one_until_the_overlap_ends(notifications, invoicing, receiver,
                                                                              wait_for):
    _, api_key = await invoicing.create_org("Roll Inc")
    name = _name()
    async with notifications.client(api_key) as client:
        endpoint = await _endpoint(client, receiver.endpoint_url(name))
        original = endpoint["secret"]

        key = {"Idempotency-Key": f"roll-{uuid.uuid4()}"}
        rolled = await client.post(f"/v1/webhook_endpoints/{endpoint['id']}/roll_secret", headers=key,
                                   json={"expires_in_s": 3600})
        assert rolled.status_code == 200, rolled.text
        new_secret = rolled.json()["secret"]
        assert new_secret.startswith("whsec_") and new_secret != original
        overlap_ends = datetime.fromisoformat(rolled.json()["previous_secret_expires_at"].replace("Z", "+00:00"))
        assert timedelta(minutes=59) < overlap_ends - datetime.now(timezone.utc) <= timedelta(hours=1)
        again = await client.post(f"/v1/webhook_endpoints/{endpoint['id']}/roll_secret", headers=key,
                                  json={"expires_in_s": 3600})
        assert again.status_code == 200 and "secret" not in again.json()  # the replay: no new secret, none shown
        assert again.json()["previous_secret_expires_at"] == rolled.json()["previous_secret_expires_at"]

        test = await client.post(f"/v1/webhook_endpoints/{endpoint['id']}/test")
        assert test.status_code == 201, test.text
        await wait_for(lambda: _delivered(receiver, name, test.json()["event_id"]), timeout=30)
        during = receiver.requests[name][-1]
        assert len(during.headers["webhook-signature"].split(" ")) == 2
        assert during.verifies_with(new_secret) and during.verifies_with(original)  # either secret verifies

        # The default overlap is a day; 0 ends it at once: only the newest secret signs.
        default = await client.post(f"/v1/webhook_endpoints/{endpoint['id']}/roll_secret")
        assert default.status_code == 200, default.text
        ends = datetime.fromisoformat(default.json()["previous_secret_expires_at"].replace("Z", "+00:00"))
        assert timedelta(hours=23) < ends - datetime.now(timezone.utc) <= timedelta(hours=24)
        final = await client.post(f"/v1/webhook_endpoints/{endpoint['id']}/roll_secret", json={"expires_in_s": 0})
        newest = final.json()["secret"]
        assert final.json()["previous_secret_expires_at"] is None
        test = await client.post(f"/v1/webhook_endpoints/{endpoint['id']}/test")
        await wait_for(lambda: _delivered(receiver, name, test.json()["event_id"]), timeout=30)
        after = receiver.requests[name][-1]
        assert len(after.headers["webhook-signature"].split(" ")) == 1
        assert after.verifies_with(newest)
        assert not after.verifies_with(default.json()["secret"]) and not after.verifies_with(original)

        for body in ({"expires_in_s": -1}, {"expires_in_s": 8 * 86400}, {"expires_in_s": "soon"}):
            response = await client.post(f"/v1/webhook_endpoints/{endpoint['id']}/roll_secret", json=body)
            assert response.status_code == 400 and response.json()["error"]["param"] == "expires_in_s", body


async def test_a_test_event_and_its_delivery_log_with_every_attempt(notifications, invoicing, receiver, publish,
                                                                    wait_for):
    org_id, api_key = await invoicing.create_org("Log Inc")
    _, other_key = await invoicing.create_org("Log Elsewhere Inc")
    name = _name()
    receiver.fail_first[name] = 2  # each event refused twice with a 500, then taken
    async with notifications.client(api_key) as client, notifications.client(other_key) as other:
        endpoint = await _endpoint(client, receiver.endpoint_url(name))
        sent = await client.post(f"/v1/webhook_endpoints/{endpoint['id']}/test",
                                 headers={"Idempotency-Key": f"test-{uuid.uuid4()}"})
        assert sent.status_code == 201, sent.text
        test = sent.json()
        assert (test["object"], test["event_type"], test["status"]) == ("webhook_delivery", "webhook.test", "pending")
        issued = invoice_issued(snapshot(org_id))
        await publish(issued)

        async def both_succeeded():
            rows = await _deliveries(client, endpoint["id"], status="succeeded")
            return rows if len(rows) == 2 else None
        await wait_for(both_succeeded, timeout=30)

        body = next(r for r in receiver.requests[name] if r.webhook_id == test["event_id"]).body
        assert b'"type":"webhook.test"' in body

        detail = (await client.get(f"/v1/webhook_endpoints/{endpoint['id']}/deliveries/{test['id']}")).json()
        assert detail["status"] == "succeeded" and detail["attempts"] == 3
        log = detail["attempt_log"]
        assert [a["number"] for a in log] == [1, 2, 3]
        assert [a["status_code"] for a in log] == [500, 500, 200]
        assert [a["error"] for a in log] == ["HTTP 500 Internal Server Error"] * 2 + [None]
        assert all(isinstance(a["duration_ms"], int) and 0 <= a["duration_ms"] < 10_000 for a in log)
        assert log[0]["next_retry_at"] and log[1]["next_retry_at"] and log[2]["next_retry_at"] is None
        first_try = datetime.fromisoformat(log[0]["attempted_at"].replace("Z", "+00:00"))
        planned = datetime.fromisoformat(log[0]["next_retry_at"].replace("Z", "+00:00"))
        assert planned - first_try == timedelta(seconds=notifications.settings.webhook_backoff_s[0])

        # Filters and pages of the endpoint's log; the log of one event across endpoints.
        assert [d["id"] for d in await _deliveries(client, endpoint["id"], event_type="webhook.test")] == [test["id"]]
        by_event = await _deliveries(client, endpoint["id"], event_id=issued.id)
        assert [d["event_type"] for d in by_event] == ["invoice.issued"]
        assert await _deliveries(client, endpoint["id"], status="failed") == []
        first_page = (await client.get(f"/v1/webhook_endpoints/{endpoint['id']}/deliveries",
                                       params={"limit": 1})).json()
        assert first_page["has_more"] and first_page["next_cursor"]
        second_page = (await client.get(f"/v1/webhook_endpoints/{endpoint['id']}/deliveries",
                                        params={"limit": 1, "cursor": first_page["next_cursor"]})).json()
        assert {first_page["data"][0]["id"], second_page["data"][0]["id"]} == {test["id"], by_event[0]["id"]}
        assert not second_page["has_more"]
        per_event = (await client.get("/v1/webhook_deliveries", params={"event_id": issued.id})).json()
        assert [d["id"] for d in per_event["data"]] == [by_event[0]["id"]]
        bad = await client.get(f"/v1/webhook_endpoints/{endpoint['id']}/deliveries", params={"status": "lost"})
        assert bad.status_code == 400 and bad.json()["error"]["param"] == "status"

        # Another organization sees none of it.
        assert (await other.get(f"/v1/webhook_endpoints/{endpoint['id']}/deliveries/{test['id']}")).status_code == 404
        assert (await other.get(f"/v1/webhook_endpoints/{endpoint['id']}/deliveries")).status_code == 404
        assert (await other.get("/v1/webhook_deliveries", params={"event_id": issued.id})).json()["data"] == []
        assert (await other.post(f"/v1/webhook_endpoints/{endpoint['id']}/test")).status_code == 404
        assert (await client.get(f"/v1/webhook_endpoints/{endpoint['id']}/deliveries/wd_nope")).status_code == 404


async def test_replaying_one_delivery_sends_it_again_with_the_same_webhook_id(notifications, invoicing, receiver,
                                                                              publish, wait_for):
    org_id, api_key = await invoicing.create_org("Replay One Inc")
    _, other_key = await invoicing.create_org("Replay Elsewhere Inc")
    name = _name()
    receiver.answers[name] = 503  # down until fixed
    async with notifications.client(api_key) as client, notifications.client(other_key) as other:
        endpoint = await _endpoint(client, receiver.endpoint_url(name), ["invoice.issued"])
        issued = invoice_issued(snapshot(org_id))
        await publish(issued)

        async def failed():
            rows = await _deliveries(client, endpoint["id"])
            return rows[0] if rows and rows[0]["status"] == "failed" else None
        delivery = await wait_for(failed, timeout=30)
        tries = len(notifications.settings.webhook_backoff_s) + 1
        assert delivery["attempts"] == tries and delivery["last_status_code"] == 503

        receiver.answers[name] = 200
        path = f"/v1/webhook_endpoints/{endpoint['id']}/deliveries/{delivery['id']}/replay"
        assert (await other.post(path)).status_code == 404
        replayed = await client.post(path, headers={"Idempotency-Key": f"replay-{uuid.uuid4()}"})
        assert replayed.status_code == 200, replayed.text
        assert replayed.json()["status"] == "pending" and replayed.json()["replays"] == 1

        async def succeeded():
            row = (await client.get(f"/v1/webhook_endpoints/{endpoint['id']}/deliveries/{delivery['id']}")).json()
            return row if row["status"] == "succeeded" else None
        row = await wait_for(succeeded, timeout=30)
    assert row["attempts"] == tries + 1 and [a["status_code"] for a in row["attempt_log"]] == [503] * tries + [200]
    assert [r.webhook_id for r in receiver.requests[name]] == [issued.id] * (tries + 1)  # one webhook-id throughout
    assert receiver.ids(name) == [issued.id]


async def test_replaying_every_failed_delivery_since_a_time(notifications, invoicing, receiver, publish, wait_for):
    org_id, api_key = await invoicing.create_org("Replay Since Inc")
    name = _name()
    receiver.answers[name] = 500
    async with notifications.client(api_key) as client:
        endpoint = await _endpoint(client, receiver.endpoint_url(name), ["invoice.issued"])

        async def failed(count: int):
            rows = await _deliveries(client, endpoint["id"], status="failed")
            return rows if len(rows) == count else None

        before = invoice_issued(snapshot(org_id))
        await publish(before)
        await wait_for(lambda: failed(1), timeout=30)
        await asyncio.sleep(0.05)
        since = datetime.now(timezone.utc)
        later = [invoice_issued(snapshot(org_id)) for _ in range(2)]
        for event in later:
            await publish(event)
        await wait_for(lambda: failed(3), timeout=30)
        receiver.answers[name] = 200

        path = f"/v1/webhook_endpoints/{endpoint['id']}/replay"
        for body, param in [({"since": "2026-03-01T09:00:00"}, "since"), ({}, "since"),
                            ({"since": since.isoformat(), "status": "pending"}, "status")]:
            response = await client.post(path, json=body)
            assert response.status_code == 400 and response.json()["error"]["param"] == param, (body, response.text)
        key = {"Idempotency-Key": f"since-{uuid.uuid4()}"}
        response = await client.post(path, headers=key, json={"since": since.isoformat(), "status": "failed"})
        assert response.status_code == 200, response.text
        assert response.json()["count"] == 2 and response.json()["object"] == "webhook_replay"

        async def delivered():
            return sorted(receiver.ids(name)) == sorted(event.id for event in later)
        await wait_for(delivered, timeout=30)
        again = await client.post(path, headers=key, json={"since": since.isoformat(), "status": "failed"})
        assert again.json()["count"] == 2  # the stored answer: nothing replayed twice
        by_unix = await client.post(path, json={"since": int(since.timestamp()) + 3600})
        assert by_unix.status_code == 200 and by_unix.json()["count"] == 0
        rows = {d["event_id"]: d for d in await _deliveries(client, endpoint["id"])}
    assert rows[before.id]["status"] == "failed" and rows[before.id]["replays"] == 0
    assert all(rows[event.id]["status"] == "succeeded" and rows[event.id]["replays"] == 1 for event in later)
    await asyncio.sleep(0.5)
    assert sorted(receiver.ids(name)) == sorted(event.id for event in later)  # each once
