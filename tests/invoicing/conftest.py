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
from tests.loopback_http import http_server, respond
from duely_invoicing.config import Settings


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
    settings = settings_env(Settings, url, service_name=f"invoicing-test-{uuid.uuid4().hex[:6]}",
                            outbound_allow_networks="127.0.0.0/8")  # the logo servers below, as `make run` allows
    app = build(settings)
    async with serve(app) as base_url:
        yield InvoicingUnderTest(base_url, app.state.runtime, settings, url)


@pytest.fixture
async def org(svc) -> tuple[str, str]:
    """A fresh organization: (organization_id, api_key)."""
    return await svc.create_org(f"Org {uuid.uuid4().hex[:6]}")


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360f80f00000101010018dd8db40000000049454e44ae426082")


@dataclass
class LogoServer:
    """A real HTTP server on 127.0.0.1 with logos good and bad; counts requests per path."""

    url: str
    requests: list[bytes]

    def hits(self, path: str) -> int:
        return sum(1 for head in self.requests if head.split(b" ", 2)[1] == path.encode())


@pytest.fixture(scope="module")
async def logo_server() -> AsyncIterator[LogoServer]:
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * (600 * 1024)
    answers = {
        b"/html.png": ("200 OK", b"<html>not an image</html>", "content-type: text/html\r\n"),
        b"/fake.png": ("200 OK", b"GIF? no, plain text", "content-type: image/png\r\n"),
        b"/big.png": ("200 OK", big, "content-type: image/png\r\n"),
        b"/missing.png": ("404 Not Found", b"", ""),
        b"/metadata.png": ("302 Found", b"", "location: http://169.254.169.254/latest/meta-data/\r\n"),
    }

    async def handler(head: bytes, writer) -> None:
        path = head.split(b" ", 2)[1]
        status, body, headers = answers.get(path, ("200 OK", PNG, "content-type: image/png\r\n"))
        await respond(status, body, headers)(head, writer)

    async with http_server(handler) as (server, port):
        yield LogoServer(f"http://127.0.0.1:{port}", server.requests)
