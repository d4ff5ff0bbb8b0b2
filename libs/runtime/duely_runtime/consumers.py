"""Kafka consumers on faust-streaming agents, wrapped for exactly-once effects.

Delivery is at least once (the embedded broker cannot do Kafka transactions).
Each event is handled in one database transaction that also records its id in
the inbox, so a redelivered event changes nothing. A handler that keeps
failing is retried a bounded number of times, then the event goes to the
service's dead-letter topic and table, where the ops page can replay it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Awaitable, Callable

import faust
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts import Envelope, all_topics, model_for
from duely_runtime import context, metrics
from duely_runtime.db import Database
from duely_runtime.faust_driver import ShortFetchApp
from duely_runtime.kit.clock import utcnow
from duely_runtime.kit.writes import insert_ignore
from duely_runtime.tables import RuntimeTables

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, Envelope, BaseModel], Awaitable[None]]
PARTITIONS = 4  # faust needs every topic's partition count to agree


class PermanentError(Exception):
    """A handler's way to say retrying cannot help: dead-letter at once."""


@dataclass
class EventRoute:
    """Which handler an event type goes to (one per type and service); the topic is the event type."""

    event_type: str
    handler: Handler

    @property
    def topic(self) -> str:
        return self.event_type


class EventConsumers:
    def __init__(self, service: str, db: Database, tables: RuntimeTables, *, bootstrap_servers: str,
                 max_attempts: int = 5, retry_backoff_s: float = 0.2, session_timeout_s: float = 6.0,
                 fetch_max_wait_ms: int = 500, batch_size: int = 100, batch_wait_s: float = 0.05) -> None:
        self.service = service
        self.db = db
        self.tables = tables
        self.bootstrap_servers = bootstrap_servers
        self.max_attempts = max_attempts
        self.retry_backoff_s = retry_backoff_s
        self.session_timeout_s = session_timeout_s
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self.batch_size = batch_size
        self.batch_wait_s = batch_wait_s
        self.routes: dict[str, EventRoute] = {}
        self.app: faust.App | None = None
        self._dlq_producer: AIOKafkaProducer | None = None
        self.ready = False
        self.last_start_error: str | None = None

    @property
    def dead_letter_topic(self) -> str:
        return f"{self.service}.dead_letter"

    def on(self, event_type: str) -> Callable[[Handler], Handler]:
        model_for(event_type)  # fail at import time on a typo
        if event_type in self.routes:
            raise ValueError(f"{self.service} already handles {event_type}")

        def register(handler: Handler) -> Handler:
            self.routes[event_type] = EventRoute(event_type, handler)
            return handler
        return register

    def consumer_name(self, event_type: str) -> str:
        return f"{self.service}:{event_type}"

    # -- handling one message (used by the faust agents and by replays) ----------

    async def process(self, event_type: str, raw: bytes, *, dead_letter_id: int | None = None,
                      tried: Exception | None = None) -> str:
        """Handle one raw message; returns processed | duplicate | dead_lettered.

        `dead_letter_id` is set when an operator replays a dead letter: a failure then
        updates that letter instead of filing a new one. `tried` is the error of a first
        attempt already made (in a batch): it counts as attempt 1.
        """
        route = self.routes[event_type]
        consumer = self.consumer_name(event_type)
        try:
            envelope = Envelope.from_bytes(raw)
            payload = model_for(envelope.type).model_validate(envelope.data)
        except (ValidationError, KeyError, ValueError) as exc:
            await self._dead_letter(consumer, event_type, None, raw, f"undecodable: {exc}", 1, dead_letter_id)
            return "dead_lettered"
        started = time.perf_counter()
        first = 1
        if tried is not None:
            error, attempts, first = repr(tried), 1, 2
            if isinstance(tried, PermanentError):
                first = self.max_attempts + 1
            elif self.max_attempts > 1:
                await asyncio.sleep(self.retry_backoff_s)
        with context.bound(envelope.correlation_id, envelope.id):
            for attempt in range(first, self.max_attempts + 1):
                try:
                    outcome = await self._handle_once(consumer, route, envelope, payload)
                    metrics.EVENTS_CONSUMED.labels(consumer, outcome).inc()
                    metrics.EVENT_LATENCY.labels(consumer).observe(time.perf_counter() - started)
                    return outcome
                except asyncio.CancelledError:
                    raise
                except PermanentError as exc:
                    error, attempts = repr(exc), attempt
                    break
                except Exception as exc:  # retried: a deadlock, a broker hiccup, a bug fixed by replay
                    error, attempts = repr(exc), attempt
                    log.warning("handler failed", extra={"consumer": consumer, "event_id": envelope.id,
                                                         "attempt": attempt, "error": error})
                    if attempt < self.max_attempts:
                        await asyncio.sleep(self.retry_backoff_s * 2 ** (attempt - 1))
            log.error("event dead-lettered", extra={"consumer": consumer, "event_id": envelope.id})
            await self._dead_letter(consumer, event_type, envelope.id, raw, error, attempts, dead_letter_id)
            return "dead_lettered"

    async def process_batch(self, event_type: str, raws: list[bytes]) -> list[str]:
        """Handle messages in order, as many as possible in one transaction (one inbox row and one
        savepoint each). The first one that fails is rolled back alone, the ones before it commit,
        and it goes through `process` on its own (retries, then the dead-letter table) before the
        rest carry on: one bad event never stalls its partition nor reorders its neighbours."""
        route = self.routes[event_type]
        consumer = self.consumer_name(event_type)
        outcomes: list[str] = []
        while len(outcomes) < len(raws):
            start = len(outcomes)
            failure: Exception | None = None
            try:
                done, failure = await self._handle_run(consumer, route, raws[start:])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the commit itself failed: nothing of this run was applied
                log.warning("batch commit failed; handling one by one", extra={"consumer": consumer,
                                                                              "error": repr(exc)})
                done = []
                for raw in raws[start:]:
                    done.append(await self.process(event_type, raw))
            outcomes.extend(done)
            if len(outcomes) < len(raws):  # stopped at a failing message: give it the full treatment
                outcomes.append(await self.process(event_type, raws[len(outcomes)], tried=failure))
        return outcomes

    async def _handle_run(self, consumer: str, route: EventRoute,
                          raws: list[bytes]) -> tuple[list[str], Exception | None]:
        """One transaction over the leading messages that succeed; returns their outcomes and
        the error of the one it stopped at (None when it stopped at an undecodable one, or at none)."""
        outcomes: list[str] = []
        failure: Exception | None = None
        started = time.perf_counter()
        async with self.db.transaction() as session:
            for raw in raws:
                try:
                    envelope = Envelope.from_bytes(raw)
                    payload = model_for(envelope.type).model_validate(envelope.data)
                except (ValidationError, KeyError, ValueError):
                    break  # `process` files it as undecodable
                with context.bound(envelope.correlation_id, envelope.id):
                    try:
                        async with session.begin_nested():
                            outcomes.append(await self._handle_in(session, consumer, route, envelope, payload))
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:
                        failure = exc  # rolled back to its savepoint; `process` goes on from here
                        log.warning("handler failed", extra={"consumer": consumer, "event_id": envelope.id,
                                                             "attempt": 1, "error": repr(exc)})
                        break
        elapsed = time.perf_counter() - started
        for outcome in outcomes:
            metrics.EVENTS_CONSUMED.labels(consumer, outcome).inc()
            metrics.EVENT_LATENCY.labels(consumer).observe(elapsed / max(1, len(outcomes)))
        return outcomes, failure

    async def _handle_in(self, session: AsyncSession, consumer: str, route: EventRoute, envelope: Envelope,
                         payload: BaseModel) -> str:
        first_time = await insert_ignore(session, self.tables.inbox, {
            "consumer": consumer, "event_id": envelope.id, "event_type": envelope.type,
            "processed_at": utcnow()})
        if not first_time:
            return "duplicate"
        await route.handler(session, envelope, payload)
        return "processed"

    async def _handle_once(self, consumer: str, route: EventRoute, envelope: Envelope,
                           payload: BaseModel) -> str:
        async with self.db.transaction() as session:
            return await self._handle_in(session, consumer, route, envelope, payload)

    async def _dead_letter(self, consumer: str, topic: str, event_id: str | None, raw: bytes, error: str,
                           attempts: int, dead_letter_id: int | None = None) -> None:
        metrics.DEAD_LETTERS.labels(consumer).inc()
        table = self.tables.dead_letters
        now = utcnow()
        async with self.db.transaction() as session:
            if dead_letter_id is not None:  # a replay failed again: the same letter, updated
                await session.execute(table.update().where(table.c.id == dead_letter_id).values(
                    error=error[:4000], attempts=table.c.attempts + attempts, replayed_at=None))
                return
            filed = await insert_ignore(session, table, {
                "consumer": consumer, "topic": topic, "event_id": event_id, "payload": raw.decode(errors="replace"),
                "error": error[:4000], "attempts": attempts, "created_at": now})
            if not filed:  # the same event failed again after a replay: reopen its letter
                await session.execute(table.update().where(table.c.consumer == consumer,
                                                           table.c.event_id == event_id)
                                      .values(error=error[:4000], attempts=table.c.attempts + attempts,
                                              replayed_at=None))
        if self._dlq_producer is not None:
            await self._dlq_producer.send_and_wait(
                self.dead_letter_topic, raw, key=(event_id or "").encode(),
                headers=[("consumer", consumer.encode()), ("error", error[:500].encode())])

    async def replay_dead_letter(self, dead_letter_id: int) -> str:
        """Run an open dead letter through its handler again (the inbox still dedupes).

        The letter stays until the handler has succeeded, then it is marked replayed
        (kept for the record until retention removes it); a failure leaves it open
        with the new error.
        """
        table = self.tables.dead_letters
        async with self.db.transaction() as session:
            row = (await session.execute(table.select().where(table.c.id == dead_letter_id,
                                                              table.c.replayed_at.is_(None)))).first()
        if row is None:
            raise LookupError(dead_letter_id)
        if row.topic not in self.routes:
            raise LookupError(dead_letter_id)
        outcome = await self.process(row.topic, row.payload.encode(), dead_letter_id=row.id)
        if outcome != "dead_lettered":
            async with self.db.transaction() as session:
                await session.execute(table.update().where(table.c.id == dead_letter_id)
                                      .values(replayed_at=utcnow()))
        return outcome

    # -- lifecycle ---------------------------------------------------------------

    def _build_app(self) -> faust.App:
        brokers = ";".join(f"kafka://{s.strip()}" for s in self.bootstrap_servers.split(","))
        app = ShortFetchApp(
            f"duely-{self.service}", fetch_max_wait_ms=self.fetch_max_wait_ms, broker=brokers, store="memory://", web_enabled=False,
            topic_partitions=PARTITIONS, broker_session_timeout=self.session_timeout_s,
            broker_heartbeat_interval=1.0, consumer_auto_offset_reset="earliest",
            producer_acks=-1, broker_commit_interval=1.0,
        )
        for route in self.routes.values():
            topic = app.topic(route.topic, key_serializer="raw", value_serializer="raw", partitions=PARTITIONS)
            app.agent(topic, name=f"{self.service}.{route.event_type}", concurrency=1)(
                self._agent_for(route.event_type))
        return app

    def _agent_for(self, event_type: str):
        async def agent(stream):
            # faust acks a batch's offsets only after this loop body returns: at least once.
            async for values in stream.take(self.batch_size, within=self.batch_wait_s):
                await self.process_batch(event_type, list(values))
        return agent

    async def start(self) -> None:
        try:
            await ensure_topics(self.bootstrap_servers, all_topics() + [self.dead_letter_topic])
            self._dlq_producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap_servers, acks="all")
            await self._dlq_producer.start()
            if self.routes:
                self.app = self._build_app()
                await self.app.start()
        except BaseException:
            await self.stop()  # leave nothing half-started behind for the next try
            raise
        self.ready = True

    async def start_when_broker_is_up(self, first_delay_s: float = 1.0, max_delay_s: float = 15.0) -> None:
        """Start, retrying while the broker is unreachable: the HTTP API serves meanwhile
        and /readyz says not ready (consumers: false)."""
        delay = first_delay_s
        while True:
            try:
                await self.start()
                self.last_start_error = None
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.last_start_error = f"{type(exc).__name__}: {exc}"[:300]
                log.warning("consumers could not start; retrying", extra={"error": repr(exc), "retry_in_s": delay})
                await asyncio.sleep(delay)
                delay = min(delay * 2, max_delay_s)

    async def stop(self) -> None:
        self.ready = False
        app, producer = self.app, self._dlq_producer
        self.app, self._dlq_producer = None, None
        if app is not None:
            with contextlib.suppress(Exception):
                await app.stop()
        if producer is not None:
            with contextlib.suppress(Exception):
                await producer.stop()


async def ensure_topics(bootstrap_servers: str, topics: list[str]) -> None:
    """Create the topics up front with the partition count faust expects."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(t, num_partitions=PARTITIONS, replication_factor=1) for t in topics if t not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except Exception as exc:  # a racing service created them first
                log.info("create_topics: %s", exc)
    finally:
        await admin.close()
