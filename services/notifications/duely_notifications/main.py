"""Entry point: `python -m duely_notifications` (port 8004)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from duely_runtime.service import ServiceRuntime

from duely_notifications import api, consumers
from duely_notifications import ops_queues
from duely_notifications import repository as repo
from duely_notifications.config import Settings
from duely_notifications.custom_templates import api as email_templates_api
from duely_notifications.custom_templates.service import EmailTemplates
from duely_notifications.email_sender import EmailSender
from duely_notifications.mailer import Mailer
from duely_notifications.models import Base
from duely_notifications.service import Notifications
from duely_notifications.sms import repository as sms_repo
from duely_notifications.sms.driver import driver_from_settings
from duely_notifications.sms.sender import SmsSender
from duely_notifications.webhook_dispatcher import WebhookDispatcher
from duely_notifications.webhooks import api as webhooks_api
from duely_notifications.webhooks.service import WebhookEndpoints

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def build(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings.service_name, settings, Base.metadata, MIGRATIONS_DIR)
    runtime.ops_queues = ops_queues.queues  # its work queues on /ops
    notifications = Notifications(settings)
    consumers.register(runtime, notifications)
    for rule in [*repo.retention_rules(settings), sms_repo.retention_rule(settings)]:
        runtime.retention.add(rule)

    sender = EmailSender(runtime.db, runtime.outbox, notifications, Mailer(settings))
    webhooks = WebhookEndpoints(notifications)
    dispatcher = WebhookDispatcher(runtime.db, runtime.outbox, notifications, webhooks=webhooks)
    texter = SmsSender(runtime.db, runtime.outbox, notifications, driver_from_settings(settings))

    async def send_emails() -> None:
        await sender.run()

    async def deliver_webhooks() -> None:
        await dispatcher.run()

    async def send_sms() -> None:
        await texter.run()

    runtime.add_worker(send_emails)
    runtime.add_worker(send_sms)
    runtime.add_worker(deliver_webhooks)

    templates = EmailTemplates(settings, notifications.renderer, notifications.clock)
    app = runtime.create_app(routers=[api.router(notifications), webhooks_api.router(webhooks),
                                      email_templates_api.router(templates)],
                             title="Duely notifications")
    app.state.notifications = notifications
    return app


def main() -> None:
    app = build()
    app.state.runtime.serve(app)
