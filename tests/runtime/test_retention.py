"""Retention: rows older than their window go, recent ones (and open dead letters, parked rows) stay."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select

from tests.runtime.test_ops import dunning


async def test_rows_older_than_their_window_are_purged_and_recent_ones_stay(database_url, broker):
    app = await dunning(database_url, broker, retention_outbox_days=7, retention_inbox_days=14,
                        retention_idempotency_hours=24, retention_dead_letters_days=30)
    runtime = app.state.runtime
    t = runtime.tables
    now = datetime.now(timezone.utc)
    old, recent = {}, {}

    def ago(**delta):
        return now - timedelta(**delta)

    await runtime.migrate()  # the tables, without the service's own retention worker running alongside
    try:
        async with runtime.db.transaction() as session:
            for label, age in (("old", ago(days=8)), ("recent", ago(days=6))):
                ids = old if label == "old" else recent
                ids["outbox"] = (await session.execute(insert(t.outbox).values(
                    event_id=str(uuid.uuid4()), topic="x", key="k", payload="{}", created_at=age,
                    published_at=age).returning(t.outbox.c.seq))).scalar_one()
            parked = (await session.execute(insert(t.outbox).values(
                event_id=str(uuid.uuid4()), topic="x", key="k", payload="{}", created_at=ago(days=90),
                parked_at=ago(days=90), last_error="too big").returning(t.outbox.c.seq))).scalar_one()
            unpublished = (await session.execute(insert(t.outbox).values(
                event_id=str(uuid.uuid4()), topic="x", key="k", payload="{}", created_at=ago(days=90),
            ).returning(t.outbox.c.seq))).scalar_one()
            for label, age in (("old", ago(days=15)), ("recent", ago(days=13))):
                (old if label == "old" else recent)["inbox"] = event_id = str(uuid.uuid4())
                await session.execute(insert(t.inbox).values(consumer="c", event_id=event_id, event_type="x",
                                                             processed_at=age))
            for label, age in (("old", ago(hours=25)), ("recent", ago(hours=23))):
                (old if label == "old" else recent)["idempotency_keys"] = key = f"k-{uuid.uuid4()}"
                await session.execute(insert(t.idempotency_keys).values(
                    scope="s", key=key, request_hash="h", status_code=200, response_body="{}", locked_at=age,
                    created_at=age))
            letters = {}
            for label, age, replayed in (("old", ago(days=31), True), ("recent", ago(days=29), True),
                                         ("open", ago(days=90), False)):
                letters[label] = (await session.execute(insert(t.dead_letters).values(
                    consumer="c", topic="x", event_id=str(uuid.uuid4()), payload="{}", error="e", attempts=1,
                    created_at=age, replayed_at=age if replayed else None).returning(t.dead_letters.c.id))
                ).scalar_one()

        deleted = await runtime.retention.purge_once()
        assert deleted == {"outbox": 1, "inbox": 1, "idempotency_keys": 1, "dead_letters": 1}

        async with runtime.db.transaction() as session:
            outbox = set((await session.execute(select(t.outbox.c.seq))).scalars())
            inbox = set((await session.execute(select(t.inbox.c.event_id))).scalars())
            keys = set((await session.execute(select(t.idempotency_keys.c.key))).scalars())
            dead = set((await session.execute(select(t.dead_letters.c.id))).scalars())
        assert old["outbox"] not in outbox and {recent["outbox"], parked, unpublished} <= outbox
        assert old["inbox"] not in inbox and recent["inbox"] in inbox
        assert old["idempotency_keys"] not in keys and recent["idempotency_keys"] in keys
        assert letters["old"] not in dead and {letters["recent"], letters["open"]} <= dead
        assert await runtime.retention.purge_once() == {k: 0 for k in deleted}
    finally:
        await runtime.db.dispose()
