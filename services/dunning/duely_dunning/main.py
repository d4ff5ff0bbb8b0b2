"""Assembles the dunning service: runtime, consumers, timer worker, HTTP routes."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from duely_runtime.service import ServiceRuntime
from duely_runtime.invoicing_client import InvoicingClient
from duely_dunning import api, consumers, ops_queues, reports, schedules_api
from duely_dunning.live_state import LiveInvoices
from duely_dunning.config import Settings
from duely_dunning.models import Base
from duely_dunning.org_clocks import Clock
from duely_dunning.workers import TimerWorker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def build(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    clock = clock or Clock()
    runtime = ServiceRuntime("dunning", settings, Base.metadata, MIGRATIONS_DIR)
    runtime.ops_queues = ops_queues.queues  # its work queues on /ops
    consumers.register(runtime, clock)
    invoicing = InvoicingClient(settings.invoicing_url, settings.internal_secret)
    live = LiveInvoices(invoicing)
    worker = TimerWorker(runtime.db, runtime.outbox, clock, tick_s=settings.timer_tick_s,
                         batch_size=settings.timer_batch_size, live=live)
    runtime.add_worker(worker.fire_due_timers_forever)
    app = runtime.create_app([api.router(runtime, clock, settings, invoicing, live),
                              schedules_api.router(clock), reports.router(clock)])
    app.state.clock = clock
    app.state.timer_worker = worker
    return app


def main() -> None:
    app = build()
    app.state.runtime.serve(app)
