"""`ServiceRuntime`: what one Duely service process is made of.

    runtime = ServiceRuntime("payments", settings, Base.metadata, migrations_dir)
    @runtime.consumers.on("invoice.issued")
    async def remember_invoice(session, envelope, event): ...
    runtime.add_worker(send_pending_emails)      # long-running background loops
    app = runtime.create_app(routers=[api.router])

The FastAPI lifespan applies migrations, starts the outbox relay, the faust
consumers and the workers, and stops them in reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request
from sqlalchemy import MetaData

from duely_runtime import edge, http, idempotency, logs, ops
from duely_runtime.ops import recent_errors
from duely_runtime.ops.figures import QueuesHook
from duely_runtime.ops.sampler import Sampler
from duely_runtime.auth import INTERNAL_HEADER, KeyVerifier, Lookup, bearer_token, is_internal_secret, remote_lookup
from duely_runtime.consumers import EventConsumers
from duely_runtime.db import Database
from duely_runtime.migrations import upgrade_to_head_async
from duely_runtime.outbox import Outbox, OutboxRelay
from duely_runtime.retention import Retention, runtime_rules
from duely_runtime.config import ServiceSettings
from duely_runtime.tables import add_runtime_tables

log = logging.getLogger(__name__)

Worker = Callable[[], Awaitable[None]]
SHUTDOWN_STEP_S = 10.0


class ServiceRuntime:
    def __init__(self, name: str, settings: ServiceSettings, metadata: MetaData, migrations_dir: Path, *,
                 key_lookup: Lookup | None = None) -> None:
        settings.check_production_secrets()
        self.name = name
        self.settings = settings
        self.metadata = metadata
        self.migrations_dir = migrations_dir
        self.tables = add_runtime_tables(metadata)
        self.db = Database(settings.resolved_database_url(), pool_size=settings.db_pool_size,
                           max_overflow=settings.db_max_overflow)
        self.outbox = Outbox(self.tables)
        # Only the embedded broker forgets on restart; Kafka keeps what was published.
        replay_window_s = settings.outbox_replay_window_s if settings.mode == "embedded" else 0
        self.relay = OutboxRelay(self.db, self.outbox, settings.kafka_bootstrap_servers,
                                 replay_window_s=replay_window_s)
        self.consumers = EventConsumers(
            name, self.db, self.tables, bootstrap_servers=settings.kafka_bootstrap_servers,
            max_attempts=settings.consumer_max_attempts, retry_backoff_s=settings.consumer_retry_backoff_s,
            session_timeout_s=settings.kafka_session_timeout_s,
            fetch_max_wait_ms=settings.resolved_fetch_max_wait_ms(), batch_size=settings.consumer_batch_size,
            batch_wait_s=settings.consumer_batch_wait_s)
        self.authenticate = KeyVerifier(key_lookup or remote_lookup(settings.invoicing_url, settings.internal_secret))
        self.retention = Retention(self.db, runtime_rules(self.tables, settings), settings.retention_interval_s)
        # The service's own work queues for its ops page: `runtime.ops_queues = async (session) -> [QueueFigure]`.
        self.ops_queues: QueuesHook | None = None
        self.ops_sampler = Sampler(self, settings.ops_sample_interval_s)
        self._workers: list[Worker] = []
        self._tasks: list[asyncio.Task] = []

    @property
    def relay_running(self) -> bool:
        return any(t.get_name() == "outbox-relay" and not t.done() for t in self._tasks)

    def add_worker(self, worker: Worker) -> Worker:
        self._workers.append(worker)
        return worker

    async def migrate(self) -> None:
        await upgrade_to_head_async(self.migrations_dir, self.db.url)

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        logs.configure(self.name, self.settings.log_level)
        recent_errors.install()
        await self.migrate()
        self._tasks.append(asyncio.create_task(self._supervise(self.relay.run), name="outbox-relay"))
        # In the background: a broker that is down must not keep the HTTP API from serving.
        self._tasks.append(asyncio.create_task(self.consumers.start_when_broker_is_up(), name="consumers-start"))
        self._tasks.append(asyncio.create_task(self._supervise(self._purge_old_rows), name="retention"))
        self._tasks.append(asyncio.create_task(self._supervise(self.ops_sampler.run), name="ops-sampler"))
        for worker in self._workers:
            self._tasks.append(asyncio.create_task(self._supervise(worker), name=worker.__name__))
        log.info("service started", extra={"port": self.settings.http_port})
        try:
            yield
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._tasks.clear()
            # Bounded: with the broker gone, a clean Kafka goodbye could wait forever.
            for stop in (self.consumers.stop, self.relay._close):
                try:
                    await asyncio.wait_for(stop(), SHUTDOWN_STEP_S)
                except asyncio.TimeoutError:
                    log.warning("shutdown step timed out", extra={"step": stop.__qualname__})
            await self.db.dispose()

    async def _purge_old_rows(self) -> None:
        await self.retention.run()

    async def _supervise(self, worker: Worker) -> None:
        """Keep a background loop alive: log a crash and start it again."""
        while True:
            try:
                await worker()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("worker crashed; restarting", extra={"worker": worker.__name__})
                await asyncio.sleep(1.0)

    def create_app(self, routers: list[APIRouter], *, title: str | None = None) -> FastAPI:
        app = FastAPI(title=title or f"Duely {self.name}", lifespan=self.lifespan, responses=http.ERROR_RESPONSES)
        app.state.runtime = self
        http.install_openapi(app)
        http.install_error_handlers(app)
        edge.install_http_errors(app)  # 404/405 in the error shape, with Allow
        edge.install_crash_guard(app)  # innermost: the middlewares around it see a crash as a 500
        idempotency.install(app, self.db, self.tables, self.idempotency_scope)
        edge.install_body_limit(app, self.settings.max_body_bytes)  # before Idempotency-Key reads the body
        http.install_request_context(app)  # binds the correlation id first
        edge.install_crash_guard(app)  # outermost: no exception reaches the server, so no dropped connection
        ops.install_ops_routes(app, self)
        for router in routers:
            app.include_router(router)
        return app

    async def idempotency_scope(self, request: Request) -> str | None:
        """Whose Idempotency-Keys a request uses: its verified API key, or our own services.

        None (no verified caller) means the key is ignored and nothing is stored: an
        unauthenticated request must not be able to write rows.
        """
        if is_internal_secret(request.headers.get(INTERNAL_HEADER, ""), self.settings.internal_secret):
            return "internal"
        token = bearer_token(request.headers.get("authorization", ""))
        if token is None:
            return None
        principal = await self.authenticate.verify(token)
        return f"key:{principal.api_key_id}" if principal else None

    def serve(self, app: FastAPI) -> None:
        import uvicorn
        uvicorn.run(app, host=self.settings.http_host, port=self.settings.http_port, log_config=None,
                    access_log=False, lifespan="on", timeout_graceful_shutdown=5)
