"""Assemble the invoicing service: runtime, consumers, one router per resource."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from duely_invoicing import consumers, internal_router
from duely_invoicing.config import Settings
from duely_invoicing.customers import router as customers
from duely_invoicing.documents import repository as documents_repository
from duely_invoicing.documents import router as documents
from duely_invoicing.exchange_rates import router as exchange_rates
from duely_invoicing.invoices import router as invoices
from duely_invoicing.models import Base
from duely_invoicing.organizations import router as organizations
from duely_invoicing.organizations import service as organizations_service
from duely_invoicing.reports import router as reports
from duely_invoicing.settings import router as invoice_settings
from duely_invoicing.subscriptions import router as subscriptions
from duely_invoicing.tax_rates import router as tax_rates
from duely_invoicing.users import internal_router as users_internal
from duely_invoicing.users import repository as users_repository
from duely_invoicing.users import router as users
from duely_invoicing.users.internal_router import session_rules
from duely_runtime.auth import Principal
from duely_runtime.service import ServiceRuntime

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def build(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    async def local_key_lookup(key_hash: str) -> Principal | None:
        # Invoicing owns the keys: verify them against its own tables.
        return await organizations_service.find_principal(runtime.db, key_hash, session_rules(settings))

    # The name (default "invoicing") is also the consumer group: tests run a second copy under another name.
    runtime = ServiceRuntime(settings.service_name, settings, Base.metadata, MIGRATIONS_DIR,
                             key_lookup=local_key_lookup)
    consumers.register(runtime)
    runtime.retention.add(documents_repository.superseded_documents_rule(
        timedelta(days=settings.retention_superseded_documents_days)))
    runtime.retention.add(users_repository.attempts_rule(timedelta(days=1)))
    return runtime.create_app([customers.router(runtime, settings), invoices.router(runtime, settings),
                               documents.router(runtime), invoice_settings.router(runtime, settings),
                               subscriptions.router(runtime), tax_rates.router(), exchange_rates.router(),
                               organizations.router(), reports.router(), users.router(runtime, settings),
                               users_internal.router(runtime, settings), internal_router.router(runtime, settings)],
                              title="Duely invoicing")


def main() -> None:
    app = build()
    app.state.runtime.serve(app)
