"""A real service with two extra routes: one that crashes and one that answers.

The app is invoicing as `ServiceRuntime.create_app` assembles it (every middleware, the
Idempotency-Key store on Postgres), plus a router whose handler raises, because no shipped
route is supposed to crash and a test still has to see what a crash does to a connection.

`python -m tests.edge_helpers` serves it in a process of its own (settings from the
environment), as in production: in one process with the gateway, a closed connection is
always seen before it could be reused, and the race the gateway must survive never happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from pathlib import Path

import httpx
from fastapi import APIRouter

from duely_devstack.net import free_port

REPO = Path(__file__).resolve().parent.parent


def crash_router() -> APIRouter:
    router = APIRouter(prefix="/v1/edge_probe")

    @router.api_route("/boom", methods=["GET", "POST"])
    async def boom():
        raise RuntimeError("a bug in a handler")

    @router.api_route("/fine", methods=["GET", "POST"])
    async def fine():
        return {"ok": True}

    return router


def build_app(settings=None):
    from duely_invoicing.main import build
    app = build(settings)
    app.include_router(crash_router())
    return app


async def crashing_invoicing(settings_env, database_url, name: str, **overrides):
    """The invoicing app with the probe routes, on its own Postgres database."""
    from duely_invoicing.config import Settings
    url = await database_url("edge")
    app = build_app(settings_env(Settings, url, service_name=name, **overrides))
    return app, url


@contextlib.asynccontextmanager
async def crashing_invoicing_process(database_url: str, broker: str, var_dir: str, name: str):
    """The same app in a child process on a free loopback port; yields its base URL."""
    port = free_port(26000, 26999)
    env = {**os.environ, "DUELY_INVOICING_DATABASE_URL": database_url, "DUELY_KAFKA_BOOTSTRAP_SERVERS": broker,
           "DUELY_VAR_DIR": var_dir, "DUELY_INVOICING_SERVICE_NAME": name, "DUELY_INVOICING_HTTP_PORT": str(port),
           "DUELY_INVOICING_HTTP_HOST": "127.0.0.1", "DUELY_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "tests.edge_helpers"], cwd=REPO, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url) as client:
            for _ in range(300):
                if proc.poll() is not None:
                    raise RuntimeError(f"the service exited with {proc.returncode}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/v1/edge_probe/fine")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise TimeoutError("the service did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    app = build_app()
    app.state.runtime.serve(app)
