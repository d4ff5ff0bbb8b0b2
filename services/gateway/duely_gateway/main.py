"""The gateway app: health, readiness of every upstream, metrics, the merchant dashboard, and the catch-all
forwarder.

No database and no Kafka, so no ServiceRuntime: it holds two shared HTTP clients, the
forwarder's (upstream.py: lean, per request) and one for the gateway's own pages and checks
(the dashboard, the ops home, readiness).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import AsyncIterator

import httpx
from http.cookiejar import CookieJar, DefaultCookiePolicy
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from duely_runtime import edge, logs
from duely_gateway import ops_home, proxy, upstream
from duely_gateway.dashboard import app as dashboard
from duely_gateway.paths import PathGuard
from duely_gateway.config import Settings

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


class KeepNoCookies(DefaultCookiePolicy):
    """The one upstream client serves every caller: a cookie an upstream sets (a portal session) goes back to
    that caller only and is never kept, or the next caller, whoever they are, would be sent it."""

    def set_ok(self, cookie, request) -> bool:
        return False

    def return_ok(self, cookie, request) -> bool:
        return False


def build(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    settings.check_production_secrets()
    upstreams = settings.upstreams()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logs.configure(settings.service_name, settings.log_level)
        timeout = httpx.Timeout(settings.upstream_timeout_s, connect=settings.connect_timeout_s)
        limits = httpx.Limits(max_connections=500, max_keepalive_connections=100)
        # The pages' client (the dashboard signs in through it): redirects come back untouched, cookies are never kept.
        async with httpx.AsyncClient(timeout=timeout, limits=limits, follow_redirects=False,
                                     cookies=CookieJar(policy=KeepNoCookies())) as client, \
                upstream.client_session(settings) as forwarder:
            app.state.client = client
            app.state.forwarder = forwarder
            yield

    app = FastAPI(title="Duely API gateway", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    edge.install_http_errors(app)  # 404/405 (TRACE...) in the error shape, with Allow
    edge.install_body_limit(app, settings.max_body_bytes)
    app.add_middleware(PathGuard)  # before routing and before the body is read
    edge.install_crash_guard(app)  # outermost

    @app.get("/healthz", include_in_schema=False)
    async def healthz():
        return {"status": "ok", "service": settings.service_name}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request):
        client: httpx.AsyncClient = request.app.state.client

        async def check(url: str) -> str:
            try:
                response = await client.get(url.rstrip("/") + "/readyz", timeout=settings.readiness_timeout_s)
            except httpx.HTTPError:
                return "unreachable"
            return "ready" if response.status_code == 200 else "not_ready"

        results = await asyncio.gather(*(check(url) for url in upstreams.values()))
        checks = dict(zip(upstreams, results))
        all_ready = all(result == "ready" for result in results)
        return JSONResponse({"status": "ready" if all_ready else "not_ready", "checks": checks},
                            status_code=200 if all_ready else 503)

    @app.get("/metrics", include_in_schema=False)
    async def metrics():
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    dashboard.install(app, settings)  # /dashboard, before the catch-all
    ops_home.install(app, settings, upstreams)  # GET /ops: the ops home (the gateway never forwards /ops)

    @app.api_route("/{path:path}", methods=METHODS, include_in_schema=False)
    async def forward(request: Request):
        return await proxy.forward(request, request.app.state.forwarder, upstreams)

    return app


def main() -> None:
    import uvicorn
    settings = Settings()
    uvicorn.run(build(settings), host=settings.http_host, port=settings.http_port, log_config=None,
                access_log=False, lifespan="on", timeout_graceful_shutdown=5)
