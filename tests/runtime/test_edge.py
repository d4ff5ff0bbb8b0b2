"""The HTTP edge every service shares, on a real service (invoicing on Postgres, under uvicorn):
one body-size limit read before anything else, crashes that answer 500 and keep the
connection, and 405s that say which methods the path allows."""

from __future__ import annotations

import json

import asyncpg
import httpx
import pytest

from duely_runtime.config import ServiceSettings
from tests.edge_helpers import crashing_invoicing
from tests.rawhttp import RawConnection, raw_request

LIMIT = 4096  # small, so each test sends a few kilobytes rather than megabytes


@pytest.fixture(scope="module")
async def service(serve, settings_env, database_url):
    app, db_url = await crashing_invoicing(settings_env, database_url, "invoicing_edge_rt", max_body_bytes=LIMIT)
    async with serve(app) as url:
        yield url, db_url.replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture(scope="module")
async def api_key(service):
    url, _ = service
    async with httpx.AsyncClient(base_url=url) as client:
        created = await client.post("/internal/organizations", json={"name": "Edge Org"},
                                    headers={"X-Duely-Internal-Secret": "embedded-dev-secret-not-for-production"})
    created.raise_for_status()
    return created.json()["api_key"]


def customer_body(size: int) -> bytes:
    """A valid customer whose JSON body is exactly `size` bytes (padded with whitespace)."""
    body = json.dumps({"name": "Padded", "email": "ap@example.com"}).encode()
    return body + b" " * (size - len(body))


async def idempotency_rows(db_url: str, key: str) -> int:
    conn = await asyncpg.connect(db_url)
    try:
        return await conn.fetchval("SELECT count(*) FROM idempotency_keys WHERE key = $1", key)
    finally:
        await conn.close()


def assert_too_large(response_status: int, body: dict, limit: int = LIMIT) -> None:
    assert response_status == 413
    error = body["error"]
    assert error["type"] == "invalid_request_error" and error["code"] == "request_too_large"
    assert str(limit) in error["message"]


def test_the_limit_is_one_shared_setting(monkeypatch):
    assert ServiceSettings().max_body_bytes == 1048576
    monkeypatch.setenv("DUELY_MAX_BODY_BYTES", "2048")
    from duely_invoicing.config import Settings
    assert Settings().max_body_bytes == 2048
    assert ServiceSettings().max_body_bytes == 2048


async def test_an_oversize_body_is_refused_before_the_idempotency_key_is_claimed(service, api_key):
    url, db_url = service
    auth = [("Authorization", f"Bearer {api_key}"), ("Content-Type", "application/json")]
    # Declared by Content-Length: answered without reading the body.
    declared = await raw_request(url, "POST", b"/v1/customers", [*auth, ("Idempotency-Key", "edge-big-1")],
                                 customer_body(LIMIT + 1))
    assert_too_large(declared.status, declared.json())
    # Chunked, no length: counted as it streams.
    chunks = [b" " * 1000] * 4 + [customer_body(200)]
    streamed = await raw_request(url, "POST", b"/v1/customers", [*auth, ("Idempotency-Key", "edge-big-2")], chunks)
    assert_too_large(streamed.status, streamed.json())
    assert await idempotency_rows(db_url, "edge-big-1") == 0
    assert await idempotency_rows(db_url, "edge-big-2") == 0

    # The same keys are still free for a request of a legal size, and the limit itself is legal.
    for key in ("edge-big-1", "edge-big-2"):
        ok = await raw_request(url, "POST", b"/v1/customers", [*auth, ("Idempotency-Key", key)], customer_body(LIMIT))
        assert ok.status == 201, ok.body


async def test_a_crash_answers_500_in_the_error_shape_and_keeps_the_connection(service):
    url, _ = service
    connection = await RawConnection.open(url)
    try:
        for _ in range(3):
            crashed = await connection.request("GET", b"/v1/edge_probe/boom")
            assert crashed.status == 500
            assert crashed.json() == {"error": {"type": "api_error", "code": "internal_error",
                                                "message": "An unexpected error occurred.", "param": None}}
            assert crashed.header("connection") != "close"
            fine = await connection.request("GET", b"/v1/edge_probe/fine")  # the same socket
            assert fine.status == 200 and fine.json() == {"ok": True}
            assert crashed.header("x-correlation-id"), "the request-context middleware saw the 500"
    finally:
        await connection.close()


async def test_a_crash_releases_the_idempotency_key_for_a_retry(service, api_key):
    url, db_url = service
    headers = {"Authorization": f"Bearer {api_key}", "Idempotency-Key": "edge-crash-1"}
    async with httpx.AsyncClient(base_url=url) as client:
        first = await client.post("/v1/edge_probe/boom", json={}, headers=headers)
        retry = await client.post("/v1/edge_probe/boom", json={}, headers=headers)
    assert first.status_code == 500
    # Not 409 "still being processed" for a minute: the middleware saw the 500 and let go of the key.
    assert retry.status_code == 500, retry.text
    assert await idempotency_rows(db_url, "edge-crash-1") == 0


async def test_405_names_every_method_the_path_allows(service):
    url, _ = service
    for method in ("TRACE", "DELETE", "PROPFIND"):
        response = await raw_request(url, method, b"/v1/customers")
        assert response.status == 405
        assert response.json()["error"]["code"] == "method_not_allowed"
        assert response.json()["error"]["type"] == "invalid_request_error"
        allowed = {m.strip() for m in response.header("allow").split(",")}
        assert {"GET", "POST"} <= allowed, allowed  # list and create are two routes on one path
        assert method not in allowed
