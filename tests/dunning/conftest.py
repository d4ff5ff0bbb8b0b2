"""A dunning service on a fresh Postgres database and the test broker."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
import pytest


@dataclass
class RunningDunning:
    url: str
    app: object

    def client(self, api_key: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, headers={"Authorization": f"Bearer {api_key}"}, timeout=30)


@pytest.fixture(scope="module")
async def dunning(serve, settings_env, database_url, invoicing, wait_for):
    from duely_dunning.main import build
    from duely_dunning.config import Settings
    settings = settings_env(Settings, await database_url("dunning"), invoicing_url=invoicing.url,
                            timer_tick_s=0.2)
    app = build(settings)
    async with serve(app) as url:
        async def ready():
            async with httpx.AsyncClient(base_url=url) as client:
                return (await client.get("/readyz")).status_code == 200
        await wait_for(ready)
        yield RunningDunning(url, app)


@pytest.fixture
async def org(invoicing):
    """A fresh organization (its own clock): (organization_id, api_key)."""
    return await invoicing.create_org(f"Dunning Test {uuid.uuid4().hex[:6]}")
