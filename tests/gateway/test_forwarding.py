"""The gateway in front of real upstreams: invoicing itself, an echo server, and a dead port."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse

from duely_devstack.net import free_port
from duely_gateway.main import build
from duely_gateway.config import Settings


def echo_app() -> FastAPI:
    """An upstream that answers with what it received, to see exactly what was forwarded."""
    app = FastAPI()

    @app.get("/readyz")
    async def ready():
        return {"status": "ready"}

    @app.get("/portal/redirect")
    async def redirect():
        return RedirectResponse("/i/tok?payment=succeeded", status_code=303)

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def echo(path: str, request: Request):
        body = await request.body()
        response = JSONResponse({"method": request.method, "path": request.url.path,
                                 "query": request.scope["query_string"].decode(), "body": body.decode(),
                                 "headers": dict(request.headers)},
                                status_code=201 if request.method == "POST" else 200,
                                headers={"X-Upstream": "echo", "Idempotent-Replayed": "true"})
        response.set_cookie("a", "1")
        response.set_cookie("b", "2")
        return response
    return app


def dead_url() -> str:
    return f"http://127.0.0.1:{free_port(27000, 27999)}"  # nothing listens there


@pytest.fixture(scope="module")
async def echo(serve):
    async with serve(echo_app()) as url:
        yield url


@pytest.fixture(scope="module")
async def gateway(serve, invoicing, echo):
    """Invoicing is real; payments and portal answer with the echo server; dunning and notifications are down."""
    settings = Settings(invoicing_url=invoicing.url, payments_url=echo, portal_url=echo,
                        dunning_url=dead_url(), notifications_url=dead_url())
    async with serve(build(settings)) as url:
        yield url


async def test_invoicing_api_through_the_gateway(gateway, invoicing):
    _, api_key = await invoicing.create_org("Gateway Test Org")
    async with httpx.AsyncClient(base_url=gateway) as client:
        auth = {"Authorization": f"Bearer {api_key}"}
        created = await client.post("/v1/customers", json={"name": "Globex", "email": "ap@globex.example"},
                                    headers={**auth, "Idempotency-Key": "gw-cust-1"})
        assert created.status_code == 201, created.text
        again = await client.post("/v1/customers", json={"name": "Globex", "email": "ap@globex.example"},
                                  headers={**auth, "Idempotency-Key": "gw-cust-1"})
        assert again.json()["id"] == created.json()["id"], "Idempotency-Key reached invoicing"

        listed = await client.get("/v1/customers", params={"limit": 5}, headers=auth)
        assert listed.status_code == 200
        assert created.json()["id"] in [c["id"] for c in listed.json()["data"]]
        direct = await httpx.AsyncClient(base_url=invoicing.url).get("/v1/customers", params={"limit": 5},
                                                                      headers=auth)
        assert listed.json() == direct.json()

        anonymous = await client.get("/v1/customers")
        assert anonymous.status_code == 401
        assert anonymous.json()["error"]["type"] == "authentication_error"
        assert anonymous.json() == (await httpx.AsyncClient(base_url=invoicing.url).get("/v1/customers")).json()

        correlated = await client.get("/v1/customers", headers={**auth, "X-Correlation-Id": "corr-gw-1"})
        assert correlated.headers["x-correlation-id"] == "corr-gw-1"


async def test_method_query_body_and_headers_are_forwarded(gateway):
    async with httpx.AsyncClient(base_url=gateway) as client:
        response = await client.post(
            "/v1/invoices/in_1/pay?expand[]=payment&x=a%20b", content=b'{"payment_method":"pm_card_visa"}',
            headers={"Authorization": "Bearer sk_test", "Idempotency-Key": "k-1", "Content-Type": "application/json",
                     "X-Correlation-Id": "corr-1", "Connection": "keep-alive, X-Secret-Hop", "X-Secret-Hop": "no",
                     "Proxy-Authorization": "no", "TE": "trailers", "X-Duely-Internal-Secret": "guess"})
    assert response.status_code == 201
    echoed = response.json()
    assert echoed["method"] == "POST" and echoed["path"] == "/v1/invoices/in_1/pay"
    assert echoed["query"] == "expand[]=payment&x=a%20b"
    assert echoed["body"] == '{"payment_method":"pm_card_visa"}'
    sent = echoed["headers"]
    assert sent["authorization"] == "Bearer sk_test"
    assert sent["idempotency-key"] == "k-1"
    assert sent["content-type"] == "application/json"
    assert sent["x-correlation-id"] == "corr-1"
    assert sent["x-forwarded-for"] == "127.0.0.1"
    for hop in ("x-secret-hop", "proxy-authorization", "te", "x-duely-internal-secret"):
        assert hop not in sent
    assert sent["host"] != gateway.removeprefix("http://")  # the upstream's own host
    # The upstream's answer comes back as it was: status, headers (each cookie), body.
    assert response.headers["x-upstream"] == "echo"
    assert response.headers["idempotent-replayed"] == "true"
    assert response.headers.get_list("set-cookie") == ["a=1; Path=/; SameSite=lax", "b=2; Path=/; SameSite=lax"]


async def test_a_cookie_an_upstream_sets_goes_to_that_caller_only(gateway):
    """One pooled client serves every caller: were it to keep cookies, the next caller (anyone) would be sent
    the previous caller's portal session."""
    async with httpx.AsyncClient(base_url=gateway) as first:
        assert (await first.get("/portal")).headers.get_list("set-cookie")  # the echo upstream sets a=1, b=2
    async with httpx.AsyncClient(base_url=gateway) as stranger:
        echoed = (await stranger.get("/portal")).json()
        assert "cookie" not in echoed["headers"]
        mine = (await stranger.get("/portal", headers={"Cookie": "session=mine"})).json()
        assert mine["headers"]["cookie"] == "session=mine"  # a caller's own cookie is forwarded, and only it


async def test_a_correlation_id_is_minted_when_missing(gateway):
    async with httpx.AsyncClient(base_url=gateway) as client:
        echoed = (await client.get("/v1/payments")).json()
    assert len(echoed["headers"]["x-correlation-id"]) == 36


async def test_hosted_pages_and_redirects_pass_through(gateway):
    async with httpx.AsyncClient(base_url=gateway) as client:
        page = await client.post("/i/org.in.mac/pay", data={"payment_method": "pm_card_visa"})
        assert page.json()["body"] == "payment_method=pm_card_visa"
        assert page.json()["headers"]["content-type"] == "application/x-www-form-urlencoded"
        redirect = await client.get("/portal/redirect")
    assert redirect.status_code == 303
    assert redirect.headers["location"] == "/i/tok?payment=succeeded"


async def test_unknown_path_is_a_404_in_the_error_shape(gateway):
    async with httpx.AsyncClient(base_url=gateway) as client:
        for path in ("/nope", "/v2/customers", "/v1"):
            response = await client.get(path)
            assert response.status_code == 404
            error = response.json()["error"]
            assert error["type"] == "invalid_request_error" and error["code"] == "route_not_found"
            assert path in error["message"]


async def test_a_dead_upstream_is_a_502_naming_the_service(gateway):
    async with httpx.AsyncClient(base_url=gateway) as client:
        for path, service in (("/v1/webhook_endpoints", "notifications"), ("/v1/test_clocks", "dunning"),
                              ("/v1/invoices/in_1/remind", "dunning")):
            response = await client.post(path, json={})
            assert response.status_code == 502
            error = response.json()["error"]
            assert error["code"] == "service_unavailable" and error["type"] == "api_error"
            assert service in error["message"]


async def test_health_and_readiness(gateway, serve, echo, invoicing):
    async with httpx.AsyncClient(base_url=gateway) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok", "service": "gateway"}
        not_ready = await client.get("/readyz")
        assert not_ready.status_code == 503
        assert not_ready.json()["checks"] == {"invoicing": "ready", "payments": "ready", "dunning": "unreachable",
                                              "notifications": "unreachable", "portal": "ready"}
        assert "duely_gateway_requests_total" in (await client.get("/metrics")).text
    all_up = Settings(invoicing_url=invoicing.url, payments_url=echo, portal_url=echo, dunning_url=echo,
                      notifications_url=echo)
    async with serve(build(all_up)) as url, httpx.AsyncClient(base_url=url) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_upstream_urls_come_from_the_shared_settings(monkeypatch):
    monkeypatch.setenv("DUELY_DUNNING_URL", "http://dunning.internal:8003")
    monkeypatch.setenv("DUELY_PORTAL_URL", "http://portal.internal:8005")
    monkeypatch.setenv("DUELY_GATEWAY_HTTP_PORT", "9000")
    settings = Settings()
    assert settings.dunning_url == "http://dunning.internal:8003"
    assert settings.portal_url == "http://portal.internal:8005"
    assert settings.notifications_url == "http://127.0.0.1:8004"
    assert settings.http_port == 9000
