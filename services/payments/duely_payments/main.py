from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from duely_payments import api, consumers, payments_api, stripe_webhooks
from duely_payments import ops_queues
from duely_payments.autopay import Autopay, autopay_worker
from duely_payments.card_gateway import CardGateway
from duely_payments.config import Settings
from duely_payments.models import Base
from duely_payments.payment_methods import internal_router as payment_methods_internal
from duely_payments.payment_methods import router as payment_methods_router
from duely_payments.payment_methods.gateway import MethodsGateway
from duely_payments.payment_methods.service import PaymentMethods
from duely_payments.refunds_service import refund_worker
from duely_payments.reports import router as reports
from duely_payments.service import Charging, recovery_worker
from duely_runtime.invoicing_client import InvoicingClient
from duely_runtime.service import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"


def build(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings.service_name, settings, Base.metadata, MIGRATIONS)
    runtime.ops_queues = ops_queues.queues  # its work queues on /ops
    charging = Charging(
        db=runtime.db, outbox=runtime.outbox,
        card_gateway=CardGateway(settings.stripe_api_key, settings.stripe_api_base),
        invoicing=InvoicingClient(settings.invoicing_url, settings.internal_secret),
        stale_attempt_after=timedelta(seconds=settings.stale_attempt_after_s),
        debit_poll_interval=timedelta(seconds=settings.debit_poll_interval_s))
    methods = PaymentMethods(runtime.db, runtime.outbox, MethodsGateway(charging.card_gateway.client),
                             charging.invoicing)
    autopay = Autopay(charging)
    consumers.register(runtime, charging, autopay, settings)
    runtime.add_worker(recovery_worker(charging, settings.recovery_interval_s))
    runtime.add_worker(refund_worker(charging, settings.recovery_interval_s))
    runtime.add_worker(autopay_worker(autopay, settings.autopay_interval_s))
    app = runtime.create_app(routers=[api.router(runtime, charging), payments_api.router(charging), reports.router(),
                                      payment_methods_router.router(methods),
                                      payment_methods_internal.router(runtime, methods),
                                      stripe_webhooks.router(charging, settings.stripe_webhook_secret, methods)],
                             title="Duely payments")
    app.state.charging = charging
    app.state.payment_methods = methods
    app.state.autopay = autopay
    return app


def main() -> None:
    app = build()
    app.state.runtime.serve(app)
