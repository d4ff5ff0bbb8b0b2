"""Operator endpoints every service has: /healthz, /readyz, /metrics, and /ops — the ops page and its
JSON (/ops/status), dead letters with replay, parked outbox rows with requeue, operator sign-in."""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from duely_runtime.auth import is_internal_secret
from duely_runtime.errors import not_found
from duely_runtime.ops import figures, page
from duely_runtime.ops.guard import COOKIE, COOKIE_PATH, SESSION_S, OpsGuard, same_origin, session_cookie

MAX_FORM_BYTES = 4096


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def install_sign_in_routes(app: FastAPI, guard: OpsGuard, home: str = "/ops") -> None:
    """GET/POST /ops/sign_in (production: paste the internal secret) and POST /ops/sign_out."""
    settings = guard.settings

    @app.get("/ops/sign_in", include_in_schema=False)
    async def sign_in_form(request: Request):
        if guard.embedded:
            return RedirectResponse(home, status_code=303)
        return page.render("sign_in.html", error=None, next=_safe_next(request.query_params.get("next"), home))

    @app.post("/ops/sign_in", include_in_schema=False)
    async def sign_in(request: Request):
        if guard.embedded:
            return RedirectResponse(home, status_code=303)
        if not same_origin(request):
            return page.render("sign_in.html", status_code=403, error="Cross-site sign-in refused.", next=home)
        body = await request.body()
        form = parse_qs(body[:MAX_FORM_BYTES].decode("utf-8", "replace"))
        secret = (form.get("secret") or [""])[0].strip()
        target = _safe_next((form.get("next") or [home])[0], home)
        if not guard.usable_secret or not is_internal_secret(secret, settings.internal_secret):
            return page.render("sign_in.html", status_code=401, next=target,
                               error="That is not this platform's internal secret.")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE, session_cookie(settings.internal_secret), max_age=SESSION_S, path=COOKIE_PATH,
                            httponly=True, secure=True, samesite="strict")
        return response

    @app.post("/ops/sign_out", include_in_schema=False, dependencies=[Depends(guard)])
    async def sign_out():
        response = RedirectResponse("/ops/sign_in", status_code=303)
        response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, secure=True, samesite="strict")
        return response


def _safe_next(value: str | None, home: str) -> str:
    """Only back to an ops page of this origin (no open redirect)."""
    if value and value.startswith("/ops") and not value.startswith("//") and "\\" not in value:
        return value
    return home


def page_refusal(guard: OpsGuard, request: Request):
    """What a browser asking for an ops page without being an operator gets: the sign-in form in
    production, a 403 in the embedded mode (where only loopback callers get in)."""
    if not guard.embedded:
        return RedirectResponse(f"/ops/sign_in?next={request.url.path}", status_code=303)
    return page.render("refused.html", status_code=403)


def install_ops_routes(app: FastAPI, runtime) -> None:
    guard = OpsGuard(runtime.settings)
    only_operators = [Depends(guard)]

    @app.get("/healthz", include_in_schema=False)
    async def healthz():
        return {"status": "ok", "service": runtime.name}

    @app.get("/readyz", include_in_schema=False)
    async def readyz():
        ready = await figures.readiness(runtime)
        return JSONResponse({k: ready[k] for k in ("status", "checks", "reasons")},
                            status_code=200 if ready["status"] == "ready" else 503)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics():
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    page.install_static(app)
    install_sign_in_routes(app, guard)

    @app.get("/ops", include_in_schema=False)
    async def ops_page(request: Request):
        if not guard.allows(request):
            return page_refusal(guard, request)
        q = request.query_params
        flash = (f"Dead letter {q['replayed']}: {q.get('outcome', '')}." if q.get("replayed", "").isdigit()
                 else f"Outbox row {q['requeued']} queued again." if q.get("requeued", "").isdigit() else None)
        return page.render("ops.html", s=await figures.status(runtime, runtime.ops_sampler.history()),
                           signed_in=not guard.embedded, flash=flash)

    @app.get("/ops/status", include_in_schema=False, dependencies=only_operators)
    async def ops_status():
        return await figures.status(runtime, runtime.ops_sampler.history())

    @app.get("/ops/dead_letters", include_in_schema=False, dependencies=only_operators)
    async def dead_letters(request: Request, include_replayed: bool = False):
        if wants_html(request):
            return await ops_page(request)
        return {"object": "list", "data": await figures.dead_letters(runtime, include_replayed)}

    @app.post("/ops/dead_letters/{dead_letter_id}/replay", include_in_schema=False, dependencies=only_operators)
    async def replay(dead_letter_id: int, request: Request):
        try:
            outcome = await runtime.consumers.replay_dead_letter(dead_letter_id)
        except LookupError:
            raise not_found("open dead letter", str(dead_letter_id))
        return _answer(request, {"id": dead_letter_id, "outcome": outcome},
                       f"replayed={dead_letter_id}&outcome={outcome}#dead-letters")

    @app.get("/ops/outbox/parked", include_in_schema=False, dependencies=only_operators)
    async def parked_rows():
        return {"object": "list", "data": await figures.parked_rows(runtime)}

    @app.post("/ops/outbox/{seq}/requeue", include_in_schema=False, dependencies=only_operators)
    async def requeue(seq: int, request: Request):
        if not await runtime.relay.requeue(seq):
            raise not_found("parked outbox row", str(seq))
        return _answer(request, {"seq": seq, "outcome": "requeued"}, f"requeued={seq}#outbox")


def _answer(request: Request, body: dict, back: str):
    """A browser that posted the page's form goes back to the page; a client gets JSON."""
    if wants_html(request):
        return RedirectResponse(f"/ops?{back}", status_code=303)
    return body
