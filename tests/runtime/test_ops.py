"""/ops on a real service: who may see and replay dead letters, and the parked outbox rows."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import httpx
from sqlalchemy import insert

from duely_runtime.auth import INTERNAL_HEADER

SECRET = "a-production-secret-of-at-least-32-bytes"


async def dunning(database_url, broker, **overrides):
    from duely_dunning.main import build
    from duely_dunning.config import Settings
    settings = Settings(database_url=await database_url("ops"), kafka_bootstrap_servers=broker,
                        service_name=f"dunning-ops-{uuid.uuid4().hex[:6]}", **overrides)
    return build(settings)


async def test_production_ops_needs_the_internal_secret(database_url, broker, serve):
    app = await dunning(database_url, broker, mode="production", internal_secret=SECRET,
                        hosted_link_secret=SECRET + "-links")
    async with serve(app) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            anonymous = await client.get("/ops/dead_letters")  # from loopback, yet refused in production
            replay = await client.post("/ops/dead_letters/1/replay")
            parked = await client.get("/ops/outbox/parked")
            operator = await client.get("/ops/dead_letters", headers={INTERNAL_HEADER: SECRET})
            not_ascii = await client.get("/ops/dead_letters", headers=[(INTERNAL_HEADER.encode(), "é".encode())])
    assert anonymous.status_code == 403 and anonymous.json()["error"]["code"] == "forbidden"
    assert replay.status_code == 403 and parked.status_code == 403
    assert operator.status_code == 200 and operator.json()["object"] == "list"
    assert not_ascii.status_code == 403, "any header value is compared, none crashes the check"


async def test_embedded_ops_answers_direct_local_callers_only(database_url, broker, serve):
    app = await dunning(database_url, broker)
    async with serve(app) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            local = await client.get("/ops/dead_letters")
            proxied = await client.get("/ops/dead_letters", headers={"X-Forwarded-For": "203.0.113.9"})
            rebound = await client.get("/ops/dead_letters", headers={"Host": "rebind.attacker.example:8003"})
            cross_site = await client.post("/ops/dead_letters/1/replay", headers={"Origin": "http://evil.example"})
            same_site = await client.post("/ops/dead_letters/1/replay",
                                          headers={"Origin": url, "Accept": "application/json"})
    assert local.status_code == 200
    assert proxied.status_code == 403, "a request relayed by a proxy is not a local operator"
    assert rebound.status_code == 403, "a page whose name was re-pointed at 127.0.0.1 (DNS rebinding)"
    assert cross_site.status_code == 403, "a form on another site cannot make a local browser replay"
    assert same_site.status_code == 404 and same_site.json()["error"]["code"] == "resource_missing"


async def test_parked_rows_are_listed_and_can_be_queued_again(database_url, broker, serve):
    app = await dunning(database_url, broker)
    runtime = app.state.runtime
    async with serve(app) as url:
        async with runtime.db.transaction() as session:
            seq = (await session.execute(insert(runtime.tables.outbox).values(
                event_id=str(uuid.uuid4()), topic="ops-test.parked", key="inv_1", payload="{}",  # nobody consumes it
                created_at=datetime.now(timezone.utc), parked_at=datetime.now(timezone.utc),
                last_error="MessageSizeTooLargeError: too big").returning(runtime.tables.outbox.c.seq))).scalar_one()
        async with httpx.AsyncClient(base_url=url) as client:
            listed = (await client.get("/ops/outbox/parked")).json()["data"]
            page = await client.get("/ops/dead_letters", headers={"Accept": "text/html"})
            requeued = await client.post(f"/ops/outbox/{seq}/requeue")
            again = await client.post(f"/ops/outbox/{seq}/requeue")
    assert [(r["seq"], r["last_error"]) for r in listed] == [(seq, "MessageSizeTooLargeError: too big")]
    assert "MessageSizeTooLargeError: too big" in page.text and f"/ops/outbox/{seq}/requeue" in page.text
    assert requeued.json() == {"seq": seq, "outcome": "requeued"}
    assert again.status_code == 404
