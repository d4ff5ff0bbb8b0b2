"""Operator endpoints every service has: /healthz, /readyz, /metrics, and /ops (dead letters and
parked outbox rows, with replay).

Who may use /ops: a caller with the internal secret (`X-Duely-Internal-Secret`) in every mode; in
the embedded mode also a browser or curl on the same machine talking to the service's own port
(a loopback peer with no forwarding headers). The gateway never forwards /ops. Dead letters hold
customer data and replay runs handlers, so nothing else gets in.
"""

from __future__ import annotations

import ipaddress
import logging
from datetime import datetime
from html import escape
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import select, text

from duely_contracts.timestamps import iso_utc
from duely_runtime.auth import INTERNAL_HEADER, is_internal_secret
from duely_runtime.errors import ApiError, not_found

log = logging.getLogger(__name__)

FORWARDING_HEADERS = ("x-forwarded-for", "x-forwarded-host", "forwarded", "x-real-ip")


def _is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def ops_guard(settings):
    """Dependency: the internal secret, or (embedded mode only) a direct loopback caller."""
    async def check(request: Request) -> None:
        if is_internal_secret(request.headers.get(INTERNAL_HEADER, ""), settings.internal_secret):
            return
        direct_local = (_is_loopback(request.client.host if request.client else None)
                        and not any(h in request.headers for h in FORWARDING_HEADERS)
                        and _names_this_machine(request.headers.get("host", "")))
        if settings.mode == "embedded" and direct_local:
            if request.method == "POST" and not _same_origin(request):
                raise ApiError(403, "forbidden", "Cross-site requests to /ops are refused.")
            return
        raise ApiError(403, "forbidden", "Ops endpoint: send the internal secret header.")
    return check


def _names_this_machine(host_header: str) -> bool:
    """The browser asked for localhost itself, not for a name that an attacker re-pointed at
    127.0.0.1 (DNS rebinding would otherwise let a web page read /ops)."""
    host = urlsplit(f"//{host_header}").hostname or ""
    return host == "localhost" or _is_loopback(host)


def _same_origin(request: Request) -> bool:
    """A form posted from another site (CSRF against a browser on this machine) carries its Origin."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True  # curl and other non-browser clients
    return urlsplit(origin).netloc == request.headers.get("host")


def install_ops_routes(app: FastAPI, runtime) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def healthz():
        return {"status": "ok", "service": runtime.name}

    @app.get("/readyz", include_in_schema=False)
    async def readyz():
        checks = {"database": False, "consumers": runtime.consumers.ready, "relay": runtime.relay_running}
        try:
            async with runtime.db.transaction() as session:
                await session.execute(text("SELECT 1"))
            checks["database"] = True
        except Exception:
            log.exception("readiness: database check failed")
        all_ready = all(checks.values())
        return JSONResponse({"status": "ready" if all_ready else "not_ready", "checks": checks},
                            status_code=200 if all_ready else 503)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics():
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    guard = [Depends(ops_guard(runtime.settings))]

    @app.get("/ops/dead_letters", include_in_schema=False, dependencies=guard)
    async def dead_letters(request: Request, include_replayed: bool = False):
        letters = await _dead_letters(runtime, include_replayed)
        parked = await _parked_rows(runtime)
        if "text/html" in request.headers.get("accept", ""):
            return HTMLResponse(_ops_page(runtime.name, letters, parked))
        return {"object": "list", "data": letters}

    @app.post("/ops/dead_letters/{dead_letter_id}/replay", include_in_schema=False, dependencies=guard)
    async def replay(dead_letter_id: int, request: Request):
        try:
            outcome = await runtime.consumers.replay_dead_letter(dead_letter_id)
        except LookupError:
            raise not_found("open dead letter", str(dead_letter_id))
        return _answer(request, {"id": dead_letter_id, "outcome": outcome})

    @app.get("/ops/outbox/parked", include_in_schema=False, dependencies=guard)
    async def parked_rows():
        return {"object": "list", "data": await _parked_rows(runtime)}

    @app.post("/ops/outbox/{seq}/requeue", include_in_schema=False, dependencies=guard)
    async def requeue(seq: int, request: Request):
        if not await runtime.relay.requeue(seq):
            raise not_found("parked outbox row", str(seq))
        return _answer(request, {"seq": seq, "outcome": "requeued"})


def _answer(request: Request, body: dict):
    """A browser that posted the page's form goes back to the page; a client gets JSON."""
    if "text/html" in request.headers.get("accept", ""):
        return RedirectResponse("/ops/dead_letters", status_code=303)
    return body


def _plain(row) -> dict:
    return {k: (iso_utc(v) if isinstance(v, datetime) else v) for k, v in row.items()}


async def _dead_letters(runtime, include_replayed: bool) -> list[dict]:
    table = runtime.tables.dead_letters
    query = select(table).order_by(table.c.id.desc()).limit(200)
    if not include_replayed:
        query = query.where(table.c.replayed_at.is_(None))
    async with runtime.db.transaction() as session:
        return [_plain(r) for r in (await session.execute(query)).mappings().all()]


async def _parked_rows(runtime) -> list[dict]:
    table = runtime.tables.outbox
    query = (select(table.c.seq, table.c.event_id, table.c.topic, table.c.key, table.c.created_at,
                    table.c.parked_at, table.c.last_error)
             .where(table.c.parked_at.is_not(None)).order_by(table.c.seq.desc()).limit(200))
    async with runtime.db.transaction() as session:
        return [_plain(r) for r in (await session.execute(query)).mappings().all()]


def _ops_page(service: str, letters: list[dict], parked: list[dict]) -> str:
    letter_rows = "".join(
        f"<tr><td>{i['id']}</td><td>{escape(i['consumer'])}</td><td>{escape(str(i['event_id']))}</td>"
        f"<td>{i['attempts']}</td><td><pre>{escape(i['error'])}</pre></td><td>{i['created_at']}</td>"
        f"<td><form method=post action='/ops/dead_letters/{i['id']}/replay'><button>Replay</button></form></td></tr>"
        for i in letters)
    parked_rows = "".join(
        f"<tr><td>{p['seq']}</td><td>{escape(p['topic'])}</td><td>{escape(p['event_id'])}</td>"
        f"<td><pre>{escape(p['last_error'] or '')}</pre></td><td>{p['parked_at']}</td>"
        f"<td><form method=post action='/ops/outbox/{p['seq']}/requeue'><button>Publish again</button></form></td></tr>"
        for p in parked)
    name = escape(service)
    return (f"<!doctype html><meta charset=utf-8><title>{name} ops</title><h1>{name}: dead letters</h1>"
            f"<p>{len(letters)} open. Metrics: <a href=/metrics>/metrics</a></p>"
            f"<table border=1><tr><th>id</th><th>consumer</th><th>event</th><th>attempts</th><th>error</th>"
            f"<th>at</th><th></th></tr>{letter_rows}</table>"
            f"<h2>Events the broker refused (parked)</h2><p>{len(parked)} parked.</p>"
            f"<table border=1><tr><th>seq</th><th>topic</th><th>event</th><th>error</th><th>parked at</th>"
            f"<th></th></tr>{parked_rows}</table>")
