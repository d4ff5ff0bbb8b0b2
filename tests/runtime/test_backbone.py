"""The messaging backbone on real Postgres and the real broker: outbox relay, inbox
dedupe, bounded retries then dead letter, replay, and Idempotency-Key."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from fastapi import Depends, FastAPI
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from duely_contracts import Envelope
from duely_contracts.events import InvoiceViewed
from duely_runtime import idempotency
from duely_runtime.consumers import EventConsumers
from duely_runtime.db import Database
from duely_runtime.http import install_error_handlers
from duely_runtime.outbox import Outbox, OutboxRelay
from duely_runtime.tables import add_runtime_tables


@pytest.fixture
async def db(database_url):
    metadata = MetaData()
    seen = Table("seen", metadata, Column("id", Integer, primary_key=True, autoincrement=True),
                 Column("invoice_id", String(64), nullable=False))
    tables = add_runtime_tables(metadata)
    database = Database(await database_url("runtime"))
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    database.seen = seen
    database.tables = tables
    yield database
    await database.dispose()


def viewed(invoice_id: str) -> InvoiceViewed:
    return InvoiceViewed(invoice_id=invoice_id, invoice_number="INV-1", viewed_at="2026-11-27T10:00:00Z")


async def test_outbox_publishes_committed_events_only(db, broker, read_events, wait_for):
    outbox = Outbox(db.tables)
    committed, rolled_back = f"inv_{uuid.uuid4().hex}", f"inv_{uuid.uuid4().hex}"
    async with db.transaction() as session:
        await outbox.emit(session, "invoice.viewed", viewed(committed), organization_id="org_1",
                          aggregate_id=committed, aggregate_version=1)
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await outbox.emit(session, "invoice.viewed", viewed(rolled_back), organization_id="org_1",
                              aggregate_id=rolled_back, aggregate_version=1)
            raise RuntimeError("the state change failed")
    relay = OutboxRelay(db, outbox, broker)
    task = asyncio.create_task(relay.run())
    try:
        async def published():
            return [e for e in await read_events("invoice.viewed") if e.aggregate_id in (committed, rolled_back)]
        events = await wait_for(published)
        assert [e.aggregate_id for e in events] == [committed]
        assert events[0].correlation_id
        async with db.transaction() as session:
            unpublished = await session.scalar(select(func.count()).select_from(db.tables.outbox)
                                               .where(db.tables.outbox.c.published_at.is_(None)))
        assert unpublished == 0
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await relay._close()


async def test_consumer_applies_each_event_once_and_dead_letters_poison(db, broker, publish, read_events, wait_for):
    consumers = EventConsumers(f"rt{uuid.uuid4().hex[:6]}", db, db.tables, bootstrap_servers=broker,
                               max_attempts=3, retry_backoff_s=0.01)
    poison_id = f"inv_poison_{uuid.uuid4().hex}"
    attempts = []

    @consumers.on("invoice.viewed")
    async def remember(session, envelope, event):
        if event.invoice_id == poison_id:
            attempts.append(envelope.id)
            raise ValueError("cannot handle this one")
        await session.execute(insert(db.seen).values(invoice_id=event.invoice_id))

    good_id = f"inv_{uuid.uuid4().hex}"
    good = Envelope(type="invoice.viewed", organization_id="org_1", aggregate_id=good_id, aggregate_version=1,
                    correlation_id="c1", data=viewed(good_id).model_dump(mode="json"))
    poison = Envelope(type="invoice.viewed", organization_id="org_1", aggregate_id=poison_id, aggregate_version=1,
                      correlation_id="c2", data=viewed(poison_id).model_dump(mode="json"))
    await consumers.start()
    try:
        await publish(good)
        await publish(good)  # a transport duplicate
        await publish(poison)

        async def count_seen():
            async with db.transaction() as session:
                return await session.scalar(select(func.count()).select_from(db.seen)
                                            .where(db.seen.c.invoice_id == good_id))
        async def dead_letters():
            async with db.transaction() as session:
                return (await session.execute(select(db.tables.dead_letters))).all()
        await wait_for(count_seen)
        letters = await wait_for(dead_letters)
        await asyncio.sleep(1.5)  # give the duplicate time to (not) apply
        assert await count_seen() == 1
        assert len(attempts) == 3, "bounded retries"
        assert letters[0].event_id == poison.id and letters[0].attempts == 3
        dlq = [e for e in await read_events(consumers.dead_letter_topic) if e.id == poison.id]
        assert len(dlq) == 1

        # A replay interrupted midway (the process stops) loses nothing: the letter is still open.
        async def interrupted(session, envelope, event):
            raise asyncio.CancelledError()
        original = consumers.routes["invoice.viewed"].handler
        consumers.routes["invoice.viewed"].handler = interrupted
        with pytest.raises(asyncio.CancelledError):
            await consumers.replay_dead_letter(letters[0].id)
        assert [(l.id, l.replayed_at) for l in await dead_letters()] == [(letters[0].id, None)]
        consumers.routes["invoice.viewed"].handler = original

        # Replay after "fixing the bug": the handler now succeeds and the letter is closed.
        attempts.clear()
        outcome_before_fix = await consumers.replay_dead_letter(letters[0].id)
        assert outcome_before_fix == "dead_lettered"
        poison_id_fixed = poison_id
        remember_fixed_called = []

        async def fixed(session, envelope, event):
            remember_fixed_called.append(event.invoice_id)
            await session.execute(insert(db.seen).values(invoice_id=event.invoice_id))
        consumers.routes["invoice.viewed"].handler = fixed
        letters = await dead_letters()
        assert len(letters) == 1 and letters[0].attempts == 6, "a failed replay updates the same letter"
        assert await consumers.replay_dead_letter(letters[0].id) == "processed"
        assert remember_fixed_called == [poison_id_fixed]
        (replayed,) = await dead_letters()
        assert replayed.replayed_at is not None, "kept as history, no longer open"
        with pytest.raises(LookupError):
            await consumers.replay_dead_letter(replayed.id)  # a replayed letter is not replayed twice
    finally:
        await consumers.stop()


async def test_a_batch_commits_around_a_failing_event_in_order(db):
    """Many events in one transaction: the one that fails is rolled back to its savepoint and
    retried alone (then dead-lettered), the ones before and after it apply once each, in order."""
    consumers = EventConsumers(f"rt{uuid.uuid4().hex[:6]}", db, db.tables, bootstrap_servers="unused:9092",
                               max_attempts=3, retry_backoff_s=0.01)
    run = uuid.uuid4().hex[:8]
    ids = [f"inv_{run}_{i}" for i in range(6)]
    poison = ids[2]
    attempts = []

    @consumers.on("invoice.viewed")
    async def remember(session, envelope, event):
        await session.execute(insert(db.seen).values(invoice_id=event.invoice_id))  # undone with its savepoint
        if event.invoice_id == poison:
            attempts.append(envelope.id)
            raise ValueError("cannot handle this one")

    def envelope_for(invoice_id: str) -> Envelope:
        return Envelope(type="invoice.viewed", organization_id="org_1", aggregate_id=invoice_id, aggregate_version=1,
                        correlation_id="c", data=viewed(invoice_id).model_dump(mode="json"))
    envelopes = [envelope_for(i) for i in ids]
    raws = [e.to_bytes() for e in envelopes]
    raws.insert(4, raws[3])  # a transport duplicate inside the same batch
    raws.insert(1, b"not an envelope")

    outcomes = await consumers.process_batch("invoice.viewed", raws)

    assert outcomes == ["processed", "dead_lettered", "processed", "dead_lettered", "processed", "duplicate",
                        "processed", "processed"]
    assert len(attempts) == 3, "the batch's try counts as the first of the bounded attempts"
    async with db.read() as session:
        applied = (await session.scalars(select(db.seen.c.invoice_id).where(db.seen.c.invoice_id.like(f"inv_{run}_%"))
                                         .order_by(db.seen.c.id))).all()
        letters = (await session.execute(select(db.tables.dead_letters)
                                         .where(db.tables.dead_letters.c.consumer == consumers.consumer_name(
                                             "invoice.viewed")))).all()
    assert applied == [i for i in ids if i != poison], "each once, in the order they came"
    assert sorted((l.event_id or "", l.attempts) for l in letters) == [("", 1), (envelopes[2].id, 3)]


async def test_idempotency_key_replays_the_first_response(db):
    app = FastAPI()
    install_error_handlers(app)
    async def caller(request):  # the scope a service derives from the verified API key
        return request.headers.get("authorization")
    idempotency.install(app, db, db.tables, caller)

    async def session():
        async with db.transaction() as s:
            yield s

    @app.post("/things")
    async def create(body: dict, s=Depends(session)):
        result = await s.execute(insert(db.seen).values(invoice_id=body["name"]).returning(db.seen.c.id))
        return {"id": result.scalar_one(), "name": body["name"]}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        headers = {"Idempotency-Key": "k1", "Authorization": "Bearer a"}
        first = await client.post("/things", json={"name": "a"}, headers=headers)
        again = await client.post("/things", json={"name": "a"}, headers=headers)
        other_body = await client.post("/things", json={"name": "b"}, headers=headers)
        other_caller = await client.post("/things", json={"name": "a"},
                                         headers={"Idempotency-Key": "k1", "Authorization": "Bearer b"})
    assert first.status_code == 200 and again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert other_body.status_code == 400
    assert other_body.json()["error"]["code"] == "idempotency_key_reused"
    assert other_body.json()["error"]["param"] == "Idempotency-Key"
    assert other_caller.json()["id"] != first.json()["id"], "keys are scoped per caller"
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(db.seen)) == 2
