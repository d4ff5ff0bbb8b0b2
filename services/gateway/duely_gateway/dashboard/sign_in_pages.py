"""Signing in and out: email + password, a one-use link by email, an invitation accepted with a new
password. Invoicing checks the credentials and keeps the sessions; this module only sets the cookie."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from duely_gateway.dashboard.labels import LABELS as L
from duely_gateway.dashboard.render import page
from duely_gateway.dashboard.session import COOKIE, SignedIn, client_ip, form_of, read_form, same_origin

router = APIRouter()


def _safe_next(value: str | None) -> str:
    """Only a path inside the dashboard: never an open redirect."""
    if value and value.startswith("/dashboard") and not value.startswith("//") and "\\" not in value:
        return value
    return "/dashboard"


def _signed_in(request: Request, body: dict, next_path: str) -> Response:
    response = RedirectResponse(_safe_next(next_path), status_code=303)
    response.set_cookie(COOKIE, body["session_token"], httponly=True, samesite="lax", path="/dashboard",
                        secure=request.app.state.settings.mode == "production")
    return response


def _cross_site(request: Request) -> Response | None:
    if same_origin(request):
        return None
    return page(request, "message.html", status=403, title=L["dash_csrf_title"], message=L["dash_csrf_message"],
                status_id="csrf-refused")


async def _post(request: Request, path: str, body: dict):
    state = request.app.state
    return await state.dashboard_sessions.internal(state.client, path, body)


@router.get("/dashboard/sign_in")
async def sign_in_form(request: Request, next: str = "/dashboard"):
    return page(request, "sign_in.html", next_path=_safe_next(next))


@router.post("/dashboard/sign_in")
async def sign_in(request: Request):
    if refused := _cross_site(request):
        return refused
    form = await read_form(request)
    email, next_path = form.get("email").strip(), _safe_next(form.get("next"))
    answer = await _post(request, "/internal/dashboard/sign_in", {
        "email": email, "password": form.get("password"), "client_ip": client_ip(request)})
    if answer.status_code == 200:
        return _signed_in(request, answer.json(), next_path)
    failure = L["dash_too_many"] if answer.status_code == 429 else L["dash_sign_in_failed"]
    return page(request, "sign_in.html", status=answer.status_code if answer.status_code in (401, 429) else 400,
                failure=failure, email=email, next_path=next_path)


@router.post("/dashboard/sign_in/link")
async def email_sign_in_link(request: Request):
    if refused := _cross_site(request):
        return refused
    form = await read_form(request)
    email = form.get("email").strip()
    answer = await _post(request, "/internal/dashboard/sign_in_links", {
        "email": email, "client_ip": client_ip(request), "dashboard_url": request.app.state.settings.dashboard_url})
    if answer.status_code == 429:
        return page(request, "sign_in.html", status=429, failure=L["dash_too_many"], email=email,
                    next_path="/dashboard")
    return page(request, "sign_in.html", sent=L["dash_link_sent"].format(email=email), email=email,
                next_path="/dashboard")


@router.get("/dashboard/sign_in/link")
async def sign_in_link(request: Request, token: str = ""):
    # A button, not an automatic sign-in: mail scanners that open links must not use up the token.
    return page(request, "link.html", heading=L["dash_link_heading"], action="/dashboard/sign_in/link/redeem",
                token=token, button=L["dash_sign_in"], password=False)


@router.get("/dashboard/accept")
async def accept_invite(request: Request, token: str = ""):
    return page(request, "link.html", heading=L["dash_accept_heading"].format(organization="your team"),
                action="/dashboard/accept", token=token, button=L["dash_accept"], password=True)


@router.post("/dashboard/sign_in/link/redeem")
@router.post("/dashboard/accept")
async def redeem(request: Request):
    if refused := _cross_site(request):
        return refused
    form = await read_form(request)
    token, invite = form.get("token"), request.url.path.endswith("/accept")
    body = {"token": token}
    if invite:
        body["password"] = form.get("password")
    answer = await _post(request, "/internal/dashboard/tokens/redeem", body)
    if answer.status_code == 200:
        return _signed_in(request, answer.json(), "/dashboard")
    error = (answer.json().get("error") or {}) if answer.headers.get("content-type", "").startswith(
        "application/json") else {}
    if answer.status_code == 410 or not invite:
        failure = L["dash_link_expired"]
        return page(request, "sign_in.html", status=answer.status_code, failure=failure, next_path="/dashboard")
    return page(request, "link.html", status=answer.status_code, heading=L["dash_accept_heading"].format(
        organization="your team"), action="/dashboard/accept", token=token, button=L["dash_accept"],
        password=True, failure=error.get("message") or L["dash_error_title"])


@router.post("/dashboard/sign_out")
async def sign_out(request: Request, viewer: SignedIn):
    await form_of(request, viewer)
    await _post(request, "/internal/dashboard/sign_out", {"session_token": viewer.token})
    request.app.state.dashboard_sessions.forget(viewer.token)
    response = RedirectResponse("/dashboard/sign_in", status_code=303)
    response.delete_cookie(COOKIE, path="/dashboard")
    return response


def sign_in_redirect(next_path: str) -> RedirectResponse:
    return RedirectResponse("/dashboard/sign_in?next=" + quote(next_path, safe="/"), status_code=303)
