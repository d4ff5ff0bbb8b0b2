"""A private invoicing instance on its own Postgres database, so tests can count its rows.

It runs under its own service name, hence its own consumer group: the shared
`invoicing` fixture (group duely-invoicing) may run in the same session on the
same broker without the two splitting each other's partitions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select

from duely_runtime.auth import INTERNAL_HEADER
from duely_runtime.service import ServiceRuntime
from duely_invoicing.main import build
from duely_invoicing.settings import Settings


@dataclass
class InvoicingUnderTest:
    url: str
    runtime: ServiceRuntime
    settings: Settings
    database_url: str

    def client(self, api_key: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=30)

    async def create_org(self, name: str = "Acme Test") -> tuple[str, str]:
        async with self.client() as client:
            response = await client.post("/internal/organizations", json={"name": name},
                                         headers={INTERNAL_HEADER: self.settings.internal_secret})
        assert response.status_code == 201, response.text
        body = response.json()
        return body["organization"]["id"], body["api_key"]

    async def count(self, model_or_table, *where) -> int:
        async with self.runtime.db.transaction() as session:
            return (await session.execute(select(func.count()).select_from(model_or_table).where(*where))
                    ).scalar_one()


@pytest.fixture(scope="module")
async def svc(serve, settings_env, database_url) -> AsyncIterator[InvoicingUnderTest]:
    url = await database_url("invoicing")
    settings = settings_env(Settings, url, service_name=f"invoicing-test-{uuid.uuid4().hex[:6]}")
    app = build(settings)
    async with serve(app) as base_url:
        yield InvoicingUnderTest(base_url, app.state.runtime, settings, url)


@pytest.fixture
async def org(svc) -> tuple[str, str]:
    """A fresh organization: (organization_id, api_key)."""
    return await svc.create_org(f"Org {uuid.uuid4().hex[:6]}")
