"""The ops page and /ops/status of real services on Postgres and the real broker: a poisoned event becomes a
dead letter that the page shows and replay clears; an outbox backlog grows while the broker is unreachable and
drains when it comes back; /metrics carries the figures; production operators sign in with the internal secret."""

from __future__ import annotations

import asyncio
import re
import subprocess
import tempfile
import uuid
from datetime import datetime, timezone

import httpx
import pytest
from sqlalchemy import insert, select, text

from duely_devstack.broker import broker_command
from duely_devstack.net import free_port, wait_for_port_sync
from duely_runtime.auth import INTERNAL_HEADER
from tests.conftest import start_consumer_group_at_end, wait_for
from tests.notifications.notification_events import invoice_issued, snapshot

SECRET = "a-production-secret-of-at-least-32-bytes"


async def status(client: httpx.AsyncClient) -> dict:
    response = await client.get("/ops/status")
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
async def portal(serve, settings_env, database_url, broker):
    from duely_portal.config import Settings
    from duely_portal.main import build
    name = f"portal_ops{uuid.uuid4().hex[:6]}"
    await start_consumer_group_at_end(broker, name)
    app = build(settings_env(Settings, await database_url("ops_portal"), service_name=name,
                             ops_sample_interval_s=0.5))
    async with serve(app) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            await wait_for(lambda: _ready(client), timeout=60)
            client.runtime = app.state.runtime
            yield client


async def _ready(client) -> bool:
    return (await client.get("/readyz")).status_code == 200


async def test_a_poisoned_event_is_a_dead_letter_on_the_page_and_replay_clears_it(portal, publish):
    runtime = portal.runtime
    # The read model's table is gone (a botched migration, say): the handler fails on every attempt.
    async with runtime.db.transaction() as session:
        await session.execute(text("ALTER TABLE portal_invoices RENAME TO portal_invoices_away"))
    invoice = snapshot(f"org_{uuid.uuid4().hex[:10]}")
    event = invoice_issued(invoice)
    await publish(event)

    async def filed():
        return [d for d in (await status(portal))["dead_letters"] if d["event_id"] == event.id]
    (letter,) = await wait_for(filed, timeout=60, interval=0.3)
    assert "portal_invoices" in letter["error"] and letter["topic"] == "invoice.issued"
    assert invoice.id in letter["payload"]
    page = await portal.get("/ops", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f'id="dead-letter-{letter["id"]}"' in page.text
    assert f'action="/ops/dead_letters/{letter["id"]}/replay"' in page.text and "portal_invoices" in page.text
    assert re.search(r'id="tile-dead-letters">\s*1\s*<', page.text)

    async def sampled_open():  # a sample behind the charts saw the letter before it is replayed
        return any(p["dead_letters_open"] == 1 for p in (await status(portal))["history"])
    await wait_for(sampled_open, timeout=20, interval=0.3)

    async with runtime.db.transaction() as session:  # the fix
        await session.execute(text("ALTER TABLE portal_invoices_away RENAME TO portal_invoices"))
    replay = await portal.post(f"/ops/dead_letters/{letter['id']}/replay", headers={"Origin": str(portal.base_url)})
    assert replay.json() == {"id": letter["id"], "outcome": "processed"}

    after = await status(portal)
    assert after["dead_letters_open"] == 0 and not [d for d in after["dead_letters"] if d["id"] == letter["id"]]
    async with runtime.db.transaction() as session:
        stored = (await session.execute(text("SELECT id FROM portal_invoices WHERE id = :id"),
                                        {"id": invoice.id})).all()
    assert stored, "the replayed event reached the read model"
    page = await portal.get("/ops", headers={"Accept": "text/html"})
    assert f'id="dead-letter-{letter["id"]}"' not in page.text and 'id="no-dead-letters"' in page.text

    # The consumer committed past the event: no lag on invoice.issued once the commit (about 1 s) is in.
    async def caught_up():
        lag = (await status(portal))["lag"]
        parts = [p for p in lag["partitions"] if p["topic"] == "invoice.issued" and p["log_end"] > 0]
        return parts and lag["error"] is None and all(p["lag"] == 0 for p in parts)
    await wait_for(caught_up, timeout=30, interval=0.5)

    # The dead letter counted on /metrics and in the samples behind the charts.
    async def sampled():
        return (await status(portal))["history"][-1]["dead_letters_open"] == 0
    await wait_for(sampled, timeout=20, interval=0.3)
    exposition = (await portal.get("/metrics")).text
    for gauge in ("duely_consumer_lag{", "duely_consumer_lag_total", "duely_outbox_backlog",
                  "duely_outbox_oldest_age_seconds", "duely_inbox_processed_last_minute", "duely_dead_letters_open",
                  "duely_errors_logged_total", "duely_ready{"):
        assert gauge in exposition, gauge
    assert re.search(r'^duely_consumer_lag\{partition="\d",topic="invoice.issued"\} 0.0$', exposition, re.M)


def _gauge(exposition: str, name: str) -> float:
    match = re.search(rf"^{name} (\S+)$", exposition, re.M)
    assert match, name
    return float(match.group(1))


async def test_the_outbox_backlog_grows_while_the_broker_is_away_and_drains_after(serve, settings_env, database_url):
    from duely_dunning.config import Settings
    from duely_dunning.main import build
    port = free_port(25000, 25999)  # no broker there yet
    app = build(settings_env(Settings, await database_url("ops_backlog"), kafka_bootstrap_servers=f"127.0.0.1:{port}",
                             service_name=f"dunning_ops{uuid.uuid4().hex[:6]}", ops_sample_interval_s=0.5))
    runtime = app.state.runtime
    proc = None
    try:
        async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
            async with runtime.db.transaction() as session:
                for n in range(3):
                    await session.execute(insert(runtime.tables.outbox).values(
                        event_id=str(uuid.uuid4()), topic="ops-test.backlog", key=f"inv_{n}", payload="{}",
                        created_at=datetime.now(timezone.utc)))
            await asyncio.sleep(1.2)
            waiting = await status(client)
            assert waiting["outbox"]["backlog"] == 3 and waiting["outbox"]["oldest_age_s"] >= 1
            assert waiting["readiness"]["checks"]["consumers"] is False
            assert waiting["readiness"]["reasons"]["consumers"].startswith("not started yet")
            assert waiting["lag"]["error"], "the broker is unreachable: the page says why there is no lag"
            page = await client.get("/ops", headers={"Accept": "text/html"})
            assert re.search(r'id="tile-backlog">\s*3\s*<', page.text) and "Not ready" in page.text
            await wait_for(lambda: _metric_is(client, "duely_outbox_backlog", 3.0), timeout=10, interval=0.3)
            # Dunning's own work queue (its hook on the runtime) is on the page and on /metrics.
            assert [q["name"] for q in waiting["queues"]] == ["timers due", "timers planned"]
            assert "timers due" in page.text
            assert 'duely_work_queue_pending{queue="timers due"} 0.0' in (await client.get("/metrics")).text

            proc = subprocess.Popen(broker_command(port), stdout=tempfile.TemporaryFile(), stderr=subprocess.STDOUT)
            await asyncio.to_thread(wait_for_port_sync, "127.0.0.1", port, 20)

            async def drained():
                return (await status(client))["outbox"]["backlog"] == 0
            await wait_for(drained, timeout=60, interval=0.5)
            await wait_for(lambda: _metric_is(client, "duely_outbox_backlog", 0.0), timeout=10, interval=0.3)
            history = (await status(client))["history"]
            assert any(p["outbox_backlog"] == 3 for p in history) and history[-1]["outbox_backlog"] == 0
            async with runtime.db.transaction() as session:
                unpublished = (await session.execute(select(runtime.tables.outbox.c.seq).where(
                    runtime.tables.outbox.c.published_at.is_(None)))).all()
            assert unpublished == []
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)


async def _metric_is(client, name: str, value: float) -> bool:
    return _gauge((await client.get("/metrics")).text, name) == value


async def test_production_operators_sign_in_with_the_internal_secret(serve, settings_env, database_url):
    from duely_dunning.config import Settings
    from duely_dunning.main import build
    app = build(settings_env(Settings, await database_url("ops_sign_in"), mode="production", internal_secret=SECRET,
                             hosted_link_secret=SECRET + "-links", service_name=f"dunning_si{uuid.uuid4().hex[:6]}"))
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        browser = {"Accept": "text/html", "Origin": url}
        anonymous = await client.get("/ops", headers=browser)
        assert anonymous.status_code == 303 and anonymous.headers["location"] == "/ops/sign_in?next=/ops"
        assert (await client.get("/ops/status")).status_code == 403
        form = await client.get("/ops/sign_in")
        assert form.status_code == 200 and '<label for="secret">' in form.text

        wrong = await client.post("/ops/sign_in", content="secret=not-it&next=/ops", headers={
            **browser, "Content-Type": "application/x-www-form-urlencoded"})
        assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
        cross_site = await client.post("/ops/sign_in", content=f"secret={SECRET}", headers={
            "Origin": "http://evil.example", "Content-Type": "application/x-www-form-urlencoded"})
        assert cross_site.status_code == 403 and "set-cookie" not in cross_site.headers

        right = await client.post("/ops/sign_in", content=f"secret={SECRET}&next=/ops/status", headers={
            **browser, "Content-Type": "application/x-www-form-urlencoded"})
        assert right.status_code == 303 and right.headers["location"] == "/ops/status"
        cookie = right.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict") and "Secure" in cookie
        assert "Max-Age=28800" in cookie and "Path=/ops" in cookie
        value = re.match(r"duely_ops=([^;]+)", cookie).group(1)
        assert SECRET not in value and re.fullmatch(r"\d+\.[0-9a-f]{64}", value)
        client.cookies.clear()  # Secure cookies are not sent over http by the jar: send it by hand, as TLS would

        def as_operator(v: str) -> dict:
            return {**browser, "Cookie": f"duely_ops={v}"}
        assert (await client.get("/ops", headers=as_operator(value))).status_code == 200
        assert (await client.get("/ops/status", headers=as_operator(value))).json()["service"].startswith("dunning")
        replay = await client.post("/ops/dead_letters/999/replay", headers=as_operator(value))
        assert replay.status_code == 404, "a signed-in operator reaches replay (no such letter)"

        expiry, mac = value.split(".")
        tampered_mac = f"{expiry}.{mac[:-1]}{'0' if mac[-1] != '0' else '1'}"
        longer = f"{int(expiry) + 86400}.{mac}"
        expired_looking = f"{int(expiry) - 9 * 3600}.{mac}"
        for bad in (tampered_mac, longer, expired_looking, SECRET, "", "x.y"):
            assert (await client.get("/ops/status", headers=as_operator(bad))).status_code == 403, bad
            assert (await client.get("/ops", headers=as_operator(bad))).status_code == 303, bad
        cross = await client.post("/ops/dead_letters/1/replay",
                                  headers={"Cookie": f"duely_ops={value}", "Origin": "http://evil.example"})
        assert cross.status_code == 403
        script = await client.get("/ops/status", headers={INTERNAL_HEADER: SECRET})
        assert script.status_code == 200
