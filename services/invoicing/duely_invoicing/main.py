"""Assemble the invoicing service: runtime, consumers, routers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from duely_runtime.auth import Principal
from duely_runtime.service import ServiceRuntime
from duely_invoicing import api, api_keys_api, consumers, internal_api, repository, settings_api, subscriptions_api
from duely_invoicing.documents import api as documents_api
from duely_invoicing.documents import repository as documents_repository
from duely_invoicing import drafts_api, listing_api, tax_rates_api
from duely_invoicing.models import Base
from duely_invoicing.settings import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def build(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    async def local_key_lookup(key_hash: str) -> Principal | None:
        # Invoicing owns the keys: verify them against its own table, in a short transaction.
        async with runtime.db.transaction() as session:
            return await repository.find_principal(session, key_hash)

    # The name (default "invoicing") is also the consumer group: tests run a second copy under another name.
    runtime = ServiceRuntime(settings.service_name, settings, Base.metadata, MIGRATIONS_DIR,
                             key_lookup=local_key_lookup)
    consumers.register(runtime)
    runtime.retention.add(documents_repository.superseded_documents_rule(
        timedelta(days=settings.retention_superseded_documents_days)))
    app = runtime.create_app([api.router(runtime, settings), settings_api.router(runtime, settings),
                              subscriptions_api.router(runtime), internal_api.router(runtime, settings),
                              documents_api.router(runtime), tax_rates_api.router(runtime),
                              drafts_api.router(runtime, settings), listing_api.router(runtime, settings),
                              api_keys_api.router(runtime)],
                             title="Duely invoicing")
    return app


def main() -> None:
    app = build()
    app.state.runtime.serve(app)
