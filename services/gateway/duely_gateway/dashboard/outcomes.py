"""How a dashboard POST answers: a browser goes back to a page with a notice (or the API's error, field
named); the bulk-action script (Accept: application/json) gets JSON it can show in its progress list."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from duely_gateway.dashboard.api_client import ApiProblem


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _to(path: str, **params: str | None) -> str:
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{path}{'&' if '?' in path else '?'}{query}" if query else path


def done(request: Request, back: str, notice: str, body: dict | None = None) -> Response:
    if wants_json(request):
        return JSONResponse({"ok": True, "notice": notice, **(body or {})})
    return RedirectResponse(_to(back, notice=notice), status_code=303)


def failed(request: Request, back: str, problem: ApiProblem) -> Response:
    if wants_json(request):
        return JSONResponse({"error": {"code": problem.code, "message": problem.message, "param": problem.param}},
                            status_code=problem.status)
    return RedirectResponse(_to(back, error=problem.message, param=problem.param), status_code=303)


async def attempt(request: Request, back: str, notice: str, call) -> Response:
    """Run one API call (an awaitable); answer `done` or `failed` — the API's own words either way."""
    try:
        body = await call
    except ApiProblem as problem:
        if problem.status == 404:
            raise
        return failed(request, back, problem)
    return done(request, back, notice, body if isinstance(body, dict) else None)
