"""The gateway's ops home: the five services with their status at a glance, each linking to its own /ops page.

The gateway never forwards /ops: it fetches each service's /readyz and /ops/status itself, with the internal
secret, and links to the services' direct URLs. The same guard as the services' pages (loopback in the
embedded mode, the internal secret or a signed-in operator in production).
"""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI, Request

from duely_runtime.auth import INTERNAL_HEADER
from duely_runtime.ops import OpsGuard
from duely_runtime.ops import page
from duely_runtime.ops.routes import install_sign_in_routes, page_refusal



async def glance(client: httpx.AsyncClient, name: str, url: str, secret: str, timeout_s: float) -> dict:
    base = url.rstrip("/")
    entry = {"name": name, "url": base, "ops_url": f"{base}/ops", "state": "unreachable", "reasons": {},
             "figures": None, "error": None}
    try:
        ready, status = await asyncio.gather(
            client.get(f"{base}/readyz", timeout=timeout_s),
            client.get(f"{base}/ops/status", headers={INTERNAL_HEADER: secret}, timeout=timeout_s * 4))
    except httpx.HTTPError as exc:
        entry["error"] = f"{type(exc).__name__}: {exc}"[:200]
        return entry
    entry["state"] = "ready" if ready.status_code == 200 else "not_ready"
    try:
        entry["reasons"] = {k: v for k, v in ready.json().get("reasons", {}).items() if v}
    except ValueError:
        pass
    if status.status_code == 200:
        s = status.json()
        entry["figures"] = {
            "lag": s["lag"]["total"], "outbox_backlog": s["outbox"]["backlog"],
            "outbox_oldest_age_s": s["outbox"]["oldest_age_s"], "dead_letters_open": s["dead_letters_open"],
            "processed_last_minute": s["inbox"]["processed_last_minute"], "errors_logged": s["errors_logged"],
            "queues": s["queues"]}
    else:
        entry["error"] = f"/ops/status answered {status.status_code}"
    return entry


def install(app: FastAPI, settings, upstreams: dict[str, str]) -> None:
    guard = OpsGuard(settings)
    page.install_static(app)
    install_sign_in_routes(app, guard)

    @app.get("/ops", include_in_schema=False)
    async def ops_home(request: Request):
        if not guard.allows(request):
            return page_refusal(guard, request)
        client: httpx.AsyncClient = request.app.state.client
        services = await asyncio.gather(*(glance(client, name, url, settings.internal_secret,
                                                 settings.readiness_timeout_s) for name, url in upstreams.items()))
        return page.render("home.html", services=services, signed_in=not guard.embedded)
