"""Settings → Email templates: each template, its editor (subject, HTML, text, SMS) with the variables it
may use, a live preview rendered by the API (POST /v1/email_templates/{name}/preview: the page's script
posts the draft as you type, or the Preview button without a script), save, and reset to the default."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from duely_gateway.dashboard.api_client import ApiProblem
from duely_gateway.dashboard.outcomes import attempt, done, failed, wants_json
from duely_gateway.dashboard.render import page
from duely_gateway.dashboard.session import Form, SignedIn, form_of

router = APIRouter()

TEMPLATES = "/v1/email_templates"
PURPOSES = {
    "invoice_issued": "New invoice notification", "invoice_reminder": "Payment reminder",
    "invoice_reminder_gentle": "Gentle reminder", "invoice_reminder_firm": "Firm reminder",
    "invoice_reminder_final": "Final warning", "payment_receipt": "Payment confirmation",
    "payment_failed": "Failed payment notification", "payment_method_expiring": "Card expiration warning",
}
PARTS = ("subject", "html", "text", "sms")


def _draft(form: Form, has_sms: bool) -> dict:
    draft = {part: form.get(part) for part in PARTS[:3]}
    if has_sms:
        draft["sms"] = form.get("sms")
    return draft


def _locale(value: str | None) -> str:
    return (value or "default").strip() or "default"


@router.get("/dashboard/settings/email_templates")
async def list_templates(request: Request, viewer: SignedIn):
    listed = await viewer.api.get(TEMPLATES)
    return page(request, "settings/email_templates.html", viewer, active="settings", tab="email_templates",
                templates=listed.get("data", []), purposes=PURPOSES, editable=viewer.can("PUT", TEMPLATES))


async def _editor(request: Request, viewer, name: str, locale: str, draft: dict | None = None, status: int = 200,
                  problem: ApiProblem | None = None):
    template = await viewer.api.get(f"{TEMPLATES}/{name}", locale=locale)
    shown = {**template, **(draft or {})}
    try:
        preview = await viewer.api.post(f"{TEMPLATES}/{name}/preview",
                                        json={"locale": locale, **(draft or {})})
    except ApiProblem as refused:
        if refused.status == 404:
            raise
        preview, problem = None, problem or refused
    error = {"message": problem.message, "param": problem.param} if problem else None
    return page(request, "settings/email_template.html", viewer, active="settings", tab="email_templates",
                status=status, tpl=template, shown=shown, preview=preview, locale=locale,
                purpose=PURPOSES.get(name, ""), editable=viewer.can("PUT", TEMPLATES), **(
                    {"error": error} if error else {}))


@router.get("/dashboard/settings/email_templates/{name}")
async def edit_template(request: Request, name: str, viewer: SignedIn, locale: str = "default"):
    return await _editor(request, viewer, name, _locale(locale))


@router.post("/dashboard/settings/email_templates/{name}/preview")
async def preview_template(request: Request, name: str, viewer: SignedIn):
    """The page's script (Accept: application/json) gets the rendered draft; without it, the editor again with
    the draft kept and its preview shown."""
    form = await form_of(request, viewer)
    locale = _locale(form.get("locale"))
    draft = _draft(form, "sms" in form)
    if not wants_json(request):
        return await _editor(request, viewer, name, locale, draft)
    try:
        rendered = await viewer.api.post(f"{TEMPLATES}/{name}/preview", json={"locale": locale, **draft})
    except ApiProblem as problem:
        if problem.status == 404:
            raise
        return JSONResponse({"error": {"code": problem.code, "message": problem.message, "param": problem.param}},
                            status_code=problem.status)
    return JSONResponse({key: rendered.get(key) for key in ("subject", "html", "text", "sms", "customized")})


@router.post("/dashboard/settings/email_templates/{name}")
async def save_template(request: Request, name: str, viewer: SignedIn):
    form = await form_of(request, viewer)
    locale = _locale(form.get("locale"))
    draft = _draft(form, "sms" in form)
    try:
        await viewer.api.put(f"{TEMPLATES}/{name}", json={"locale": locale, **draft})
    except ApiProblem as problem:
        if problem.status == 404:
            raise
        if problem.status == 403:
            return failed(request, f"/dashboard/settings/email_templates/{name}", problem)
        return await _editor(request, viewer, name, locale, draft, status=problem.status, problem=problem)
    back = f"/dashboard/settings/email_templates/{name}" + ("" if locale == "default" else f"?locale={locale}")
    return done(request, back, "Template saved: it is sent from now on.")


@router.post("/dashboard/settings/email_templates/{name}/reset")
async def reset_template(request: Request, name: str, viewer: SignedIn):
    form = await form_of(request, viewer)
    locale = _locale(form.get("locale"))
    return await attempt(request, f"/dashboard/settings/email_templates/{name}",
                         "Template reset: the built-in email is sent again.",
                         viewer.api.request("DELETE", f"{TEMPLATES}/{name}", params={"locale": locale}))
