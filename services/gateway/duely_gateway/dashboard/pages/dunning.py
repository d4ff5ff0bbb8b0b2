"""Settings → Dunning: the organization's schedules, and the editor — the product description's table (day,
action, template) plus the actions on persistent failure — that creates one or saves a new version of it.
Making one the organization's default is PATCH is_default; a customer's own schedule is set on its page."""

from __future__ import annotations

from fastapi import APIRouter, Request

from duely_gateway.dashboard.outcomes import attempt, done, failed
from duely_gateway.dashboard.api_client import ApiProblem
from duely_gateway.dashboard.pages.fields import bad, checked, integer, rows
from duely_gateway.dashboard.pages.settings import REMINDER_TEMPLATES
from duely_gateway.dashboard.render import page
from duely_gateway.dashboard.session import Form, SignedIn, form_of

router = APIRouter()

SCHEDULES = "/v1/dunning_schedules"
ACTIONS = (("retry_payment", "Retry payment"), ("email_reminder", "Send reminder email"),
           ("sms_reminder", "Send SMS reminder"), ("pause_subscription", "Pause subscription"),
           ("cancel_subscription", "Cancel subscription"), ("mark_uncollectible", "Mark uncollectible"))
ON_FAILURE = (("pause_subscription", "Pause subscription"), ("cancel_subscription", "Cancel subscription"),
              ("mark_as_collections", "Mark as collections"))
ACTION_LABELS = dict(ACTIONS) | dict(ON_FAILURE)
TEMPLATE_LABELS = dict(REMINDER_TEMPLATES)
BLANK_ROWS = 3
SENDS_EMAIL = ("email_reminder", "sms_reminder")


def _steps(form: Form) -> list[dict]:
    steps = []
    for number, row in enumerate(rows(form, "step", ("day", "actions", "template"), lists=("actions",)), 1):
        if not row["day"]:
            raise bad("steps", f"Row {number}: give its day (or clear the row).")
        if not row["actions"]:
            raise bad("steps", f"Row {number}: choose at least one action.")
        sends = any(action in SENDS_EMAIL for action in row["actions"])
        steps.append({"day": integer(row["day"], "steps"), "actions": row["actions"],
                      "template": (row["template"] or "invoice_reminder") if sends else None})
    if not steps:
        raise bad("steps", "A schedule needs at least one row.")
    return steps


def _body(form: Form) -> dict:
    return {"name": form.get("name").strip(), "steps": _steps(form),
            "on_persistent_failure": form.getlist("on_persistent_failure")}


def _editor(request: Request, viewer, schedule: dict | None, *, status: int = 200, problem: ApiProblem | None = None,
            draft: dict | None = None):
    shown = draft or schedule or {"name": "", "steps": [], "on_persistent_failure": [], "is_default": False}
    steps = list(shown.get("steps") or []) + [{"day": "", "actions": [], "template": None}] * BLANK_ROWS
    return page(request, "settings/dunning_edit.html", viewer, active="settings", tab="dunning", status=status,
                schedule=schedule, shown=shown, steps=steps, actions=ACTIONS, on_failure=ON_FAILURE,
                templates=REMINDER_TEMPLATES, editable=viewer.can("POST", SCHEDULES),
                error=({"message": problem.message, "param": problem.param} if problem else None)
                or _query_error(request))


def _query_error(request: Request) -> dict | None:
    message = request.query_params.get("error")
    return {"message": message, "param": request.query_params.get("param")} if message else None


@router.get("/dashboard/settings/dunning")
async def schedules(request: Request, viewer: SignedIn):
    listed = await viewer.api.get(SCHEDULES)
    return page(request, "settings/dunning_list.html", viewer, active="settings", tab="dunning",
                schedules=listed.get("data", []), action_labels=ACTION_LABELS, template_labels=TEMPLATE_LABELS,
                editable=viewer.can("POST", SCHEDULES))


@router.get("/dashboard/settings/dunning/new")
async def new_schedule(request: Request, viewer: SignedIn):
    return _editor(request, viewer, None)


@router.get("/dashboard/settings/dunning/{schedule_id}")
async def edit_schedule(request: Request, schedule_id: str, viewer: SignedIn):
    return _editor(request, viewer, await viewer.api.get(f"{SCHEDULES}/{schedule_id}"))


async def _save(request: Request, viewer, schedule: dict | None, form: Form):
    """Create or save; a refused schedule comes back in the editor as it was typed, the field named."""
    try:
        body = _body(form)
        if schedule is None:
            saved = await viewer.api.post(SCHEDULES, json={**body, "is_default": checked(form, "is_default")})
        else:
            saved = await viewer.api.patch(f"{SCHEDULES}/{schedule['id']}", json=body | (
                {"is_default": True} if checked(form, "is_default") else {}))
    except ApiProblem as problem:
        if problem.status == 404:
            raise
        if problem.status == 403:
            return failed(request, "/dashboard/settings/dunning", problem)
        draft = {"name": form.get("name"), "on_persistent_failure": form.getlist("on_persistent_failure"),
                 "is_default": checked(form, "is_default"),
                 "steps": [{"day": r["day"], "actions": r["actions"], "template": r["template"]}
                           for r in rows(form, "step", ("day", "actions", "template"), lists=("actions",))]}
        return _editor(request, viewer, schedule, status=problem.status, problem=problem, draft=draft)
    return done(request, "/dashboard/settings/dunning", f"Schedule “{saved['name']}” saved (version "
                                                        f"{saved['version']}).")


@router.post("/dashboard/settings/dunning")
async def create_schedule(request: Request, viewer: SignedIn):
    form = await form_of(request, viewer)
    return await _save(request, viewer, None, form)


@router.post("/dashboard/settings/dunning/{schedule_id}")
async def update_schedule(request: Request, schedule_id: str, viewer: SignedIn):
    form = await form_of(request, viewer)
    return await _save(request, viewer, await viewer.api.get(f"{SCHEDULES}/{schedule_id}"), form)


@router.post("/dashboard/settings/dunning/{schedule_id}/default")
async def make_default(request: Request, schedule_id: str, viewer: SignedIn):
    await form_of(request, viewer)
    return await attempt(request, "/dashboard/settings/dunning", "Default schedule changed.",
                         viewer.api.patch(f"{SCHEDULES}/{schedule_id}", json={"is_default": True}))
