"""The gateway's edge, with the real gateway in front of real upstreams on 127.0.0.1: the paths it
refuses, its body limit, its error shape, and what it does when an upstream drops a connection."""

from __future__ import annotations

import asyncio
import contextlib
import json

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from duely_devstack.net import free_port
from duely_gateway.main import build
from duely_gateway.config import Settings
from tests.edge_helpers import crashing_invoicing_process
from tests.rawhttp import raw_request

MIB = 1048576


def recording_echo() -> tuple[FastAPI, list[dict]]:
    """An upstream that answers with what it received, and remembers every request it saw."""
    app, seen = FastAPI(), []

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
    async def echo(path: str, request: Request):
        body = await request.body()
        seen.append({"method": request.method, "raw_path": request.scope["raw_path"].decode(), "size": len(body)})
        return JSONResponse({"raw_path": request.scope["raw_path"].decode(), "size": len(body)})
    return app, seen


@pytest.fixture(scope="module")
async def echo(serve):
    app, seen = recording_echo()
    async with serve(app) as url:
        yield url, seen


def settings_for(invoicing_url: str, other_url: str, **overrides) -> Settings:
    return Settings(invoicing_url=invoicing_url, payments_url=other_url, portal_url=other_url,
                    dunning_url=other_url, notifications_url=other_url, **overrides)


@pytest.fixture(scope="module")
async def gateway(serve, invoicing, echo):
    """Invoicing is real; every other service is the recording echo."""
    async with serve(build(settings_for(invoicing.url, echo[0]))) as url:
        yield url


def assert_error(response, status: int, code: str) -> dict:
    assert response.status == status, (response.status, response.body)
    error = response.json()["error"]
    assert set(error) == {"type", "code", "message", "param"}
    assert error["code"] == code
    return error


# -- paths ---------------------------------------------------------------------------------

DOT_AND_ENCODED_PATHS = [
    b"/v1/../ops/dead_letters",
    b"/v1/../internal/auth/verify",
    b"/v1/./../ops/dead_letters",
    b"/v1/customers/../../ops/dead_letters",
    b"/v1/%2e%2e/ops/dead_letters",
    b"/v1/%2E%2e/ops/dead_letters",
    b"/v1/.%2E/internal/auth/verify",
    b"/v1/%2e/customers",
    b"/v1/customers%2f..%2f..%2fops",
    b"/v1/customers%2F..%2F..%2Fops",
    b"/v1/..%5cops%5cdead_letters",
    b"/v1\\..\\ops\\dead_letters",
    b"/v1/%252e%252e/ops/dead_letters",
    b"/v1//customers",
    b"/i/..",
    b"/portal/../ops/dead_letters",
]


async def test_dot_segments_and_encoded_separators_are_refused_before_routing(gateway, invoicing):
    # What is at stake: invoicing's own ops page answers anyone who reaches it in the embedded mode.
    direct = await raw_request(invoicing.url, "GET", b"/ops/dead_letters")
    assert direct.status == 200
    for target in DOT_AND_ENCODED_PATHS:
        for method in ("GET", "POST"):
            response = await raw_request(gateway, method, target, body=b"{}" if method == "POST" else b"")
            error = assert_error(response, 400, "path_invalid")
            assert error["type"] == "invalid_request_error", target


async def test_internal_and_ops_are_never_forwarded(gateway):
    for target in (b"/internal/auth/verify", b"/ops/dead_letters", b"/OPS/dead_letters", b"/Internal/x",
                   b"/ops/status", b"/ops/", b"/%6Fps", b"/%69nternal/auth/verify"):
        response = await raw_request(gateway, "GET", target)
        assert_error(response, 404, "route_not_found")
    # /ops itself is the gateway's own ops home (never a forward): other methods are refused as before.
    for method in ("POST", "PUT", "DELETE"):
        assert_error(await raw_request(gateway, method, b"/ops", body=b"{}"), 404, "route_not_found")
    assert_error(await raw_request(gateway, "GET", b"/ops/sign_out"), 404, "route_not_found")


async def test_control_characters_in_the_path_are_refused_in_the_error_shape(gateway):
    for target in (b"/v1/%0a", b"/v1/customers%0d%0aX-Injected:%201", b"/v1/%00", b"/v1/%7f", b"/v1/%c2%85",
                   b"/v1/%ff", b"/v1/%zz", b"/v1/%"):
        response = await raw_request(gateway, "GET", target)
        assert_error(response, 400, "path_invalid")


async def test_a_path_httpx_would_rewrite_is_refused_rather_than_forwarded_changed(gateway):
    for target in (b"/v1/payments/{x}", b'/v1/payments/"x"'):  # httpx would send %7B / %22
        assert_error(await raw_request(gateway, "GET", target), 400, "path_invalid")


async def test_clean_paths_are_forwarded_byte_for_byte(gateway, echo):
    _, seen = echo
    targets = (b"/v1/payments/py_1", b"/v1/invoices/in_1/pay/", b"/i/org_1.in_1.mac", b"/v1/payments/caf%C3%A9",
               b"/v1/payments/a%20b", b"/portal/sessions/x..y")
    for target in targets:
        response = await raw_request(gateway, "GET", target)
        assert response.status == 200, (target, response.body)
        assert response.json()["raw_path"] == target.decode()
    assert [s["raw_path"] for s in seen[-len(targets):]] == [t.decode() for t in targets]


# -- error shape, methods, headers ---------------------------------------------------------

async def test_methods_the_gateway_does_not_route_are_405_with_allow(gateway):
    for method in ("TRACE", "PROPFIND"):
        response = await raw_request(gateway, method, b"/v1/customers")
        assert_error(response, 405, "method_not_allowed")
        allowed = {m.strip() for m in response.header("allow").split(",")}
        assert allowed == {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


async def test_date_and_server_are_sent_once(gateway):
    for target in (b"/v1/payments", b"/v1/customers", b"/nope"):  # echo, invoicing, the gateway itself
        response = await raw_request(gateway, "GET", target)
        assert len(response.header_list("date")) == 1, (target, response.headers)
        assert len(response.header_list("server")) == 1, (target, response.headers)


# -- body limit ----------------------------------------------------------------------------

async def test_one_body_limit_at_the_gateway(gateway, echo):
    _, seen = echo
    headers = [("Content-Type", "application/json")]
    declared = await raw_request(gateway, "POST", b"/v1/payments/too_big_declared", headers, b" " * (MIB + 1))
    error = assert_error(declared, 413, "request_too_large")
    assert "1048576" in error["message"]
    streamed = await raw_request(gateway, "POST", b"/v1/payments/too_big_streamed", headers,
                                 [b" " * 65536] * 16 + [b" "])
    assert_error(streamed, 413, "request_too_large")
    at_limit = await raw_request(gateway, "POST", b"/v1/payments/at_limit", headers, [b" " * 65536] * 16)
    assert at_limit.status == 200 and at_limit.json()["size"] == MIB
    assert [s["raw_path"] for s in seen if s["raw_path"].startswith("/v1/payments/too_big")] == []


async def test_the_gateway_limit_is_the_shared_setting(serve, echo, monkeypatch):
    monkeypatch.setenv("DUELY_MAX_BODY_BYTES", "2048")
    settings = Settings(payments_url=echo[0])
    assert settings.max_body_bytes == 2048
    async with serve(build(settings)) as url:
        refused = await raw_request(url, "PUT", b"/v1/payments/py_1", body=b"x" * 2049)
        accepted = await raw_request(url, "PUT", b"/v1/payments/py_1", body=b"x" * 2048)
    assert "2048" in assert_error(refused, 413, "request_too_large")["message"]
    assert accepted.status == 200


# -- a crashing upstream, and connections an upstream closes --------------------------------

async def test_a_500_upstream_does_not_turn_the_next_request_into_a_502(serve, database_url, broker, echo,
                                                                       tmp_path):
    service = crashing_invoicing_process(await database_url("edge_gw"), broker, str(tmp_path), "invoicing_edge_gw")
    async with service as service_url, serve(build(settings_for(service_url, echo[0]))) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            for _ in range(30):
                crashed = await client.get("/v1/edge_probe/boom")
                assert crashed.status_code == 500 and crashed.json()["error"]["code"] == "internal_error"
                # A POST without an Idempotency-Key is never retried: only a live connection saves it.
                fine = await client.post("/v1/edge_probe/fine")
                assert fine.status_code == 200, fine.text


class DroppingUpstream:
    """A raw HTTP/1.1 upstream that answers or silently closes each request, as `answer` decides.

    It plays a service that closes a keep-alive connection just as the gateway reuses it.
    """

    def __init__(self, answer) -> None:
        self.answer = answer  # (connection number, request number on it) -> bool
        self.seen: list[tuple[int, int, str, str]] = []
        self.connections = 0

    async def handle(self, reader, writer) -> None:
        self.connections += 1
        number, count = self.connections, 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ")
                length = next((int(l.split(":", 1)[1]) for l in lines[1:] if l.lower().startswith("content-length:")), 0)
                await reader.readexactly(length)
                count += 1
                self.seen.append((number, count, method, target))
                if not self.answer(number, count):
                    return
                body = json.dumps({"connection": number, "request": count}).encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    async def __aenter__(self) -> str:
        port = free_port(26000, 26999)
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", port)
        return f"http://127.0.0.1:{port}"

    async def __aexit__(self, *exc) -> None:
        self.server.close()


@pytest.fixture
def dropping_gateway(serve, invoicing):
    """async with dropping_gateway(answer) as (gateway_url, upstream): payments is the dropping upstream."""

    @contextlib.asynccontextmanager
    async def run(answer):
        upstream = DroppingUpstream(answer)
        async with upstream as upstream_url, serve(build(settings_for(invoicing.url, upstream_url))) as url:
            yield url, upstream
    return run


def second_request_dropped(connection: int, count: int) -> bool:
    return count != 2


async def test_an_idempotent_request_is_retried_once_on_a_connection_the_upstream_closed(dropping_gateway):
    async with dropping_gateway(second_request_dropped) as (url, upstream), httpx.AsyncClient(base_url=url) as client:
        assert (await client.get("/v1/payments/py_1")).status_code == 200
        deleted = await client.delete("/v1/payments/py_1")  # connection 1 reused and dropped: sent again on 2
        assert deleted.status_code == 200 and deleted.json() == {"connection": 2, "request": 1}
        got = await client.get("/v1/payments/py_1")
        assert got.status_code == 200 and got.json() == {"connection": 3, "request": 1}
        keyed = await client.post("/v1/payments", json={}, headers={"Idempotency-Key": "k-retry"})
        assert keyed.status_code == 200 and keyed.json() == {"connection": 4, "request": 1}
    assert [(n, c, m) for n, c, m, _ in upstream.seen] == [
        (1, 1, "GET"), (1, 2, "DELETE"), (2, 1, "DELETE"), (2, 2, "GET"), (3, 1, "GET"),
        (3, 2, "POST"), (4, 1, "POST")]


async def test_a_request_that_is_not_idempotent_is_not_retried(dropping_gateway):
    async with dropping_gateway(second_request_dropped) as (url, upstream), httpx.AsyncClient(base_url=url) as client:
        assert (await client.get("/v1/payments/py_1")).status_code == 200
        posted = await client.post("/v1/payments", json={})  # no Idempotency-Key
        assert posted.status_code == 502
        assert posted.json()["error"]["code"] == "service_unavailable"
        assert (await client.get("/v1/payments/py_1")).status_code == 200
        patched = await client.patch("/v1/payments/py_1", json={}, headers={"Idempotency-Key": "k-patch"})
        assert patched.status_code == 502
    assert [(n, c, m) for n, c, m, _ in upstream.seen] == [
        (1, 1, "GET"), (1, 2, "POST"), (2, 1, "GET"), (2, 2, "PATCH")], "each sent once"


async def test_the_retry_happens_once_and_never_for_a_fresh_connection(dropping_gateway):
    async with dropping_gateway(lambda connection, count: connection == 1 and count == 1) as (url, upstream), \
            httpx.AsyncClient(base_url=url) as client:
        assert (await client.get("/v1/payments/py_1")).status_code == 200
        failed = await client.get("/v1/payments/py_1")  # reused and dropped, then fresh and dropped: no third try
        assert failed.status_code == 502
        fresh = await client.get("/v1/payments/py_1")  # a fresh connection dropped: not retried
        assert fresh.status_code == 502
    assert [(n, c) for n, c, _, _ in upstream.seen] == [(1, 1), (1, 2), (2, 1), (3, 1)]
