"""Users (owners and admins change them): the organization's dashboard users, invite one by email with a
role, change a role, remove a user. The API (/v1/users) decides who may grant what; only an owner is
offered the owner role here."""

from __future__ import annotations

from fastapi import APIRouter, Request

from duely_gateway.dashboard.outcomes import attempt
from duely_gateway.dashboard.pages.fields import text_or_none
from duely_gateway.dashboard.render import page
from duely_gateway.dashboard.session import SignedIn, form_of

router = APIRouter()

USERS = "/v1/users"
ROLES = (("viewer", "Viewer — reads everything, changes nothing"),
         ("finance", "Finance — invoices, customers, payments"),
         ("admin", "Admin — also settings, developers and users"),
         ("owner", "Owner — everything"))


def _roles_for(viewer) -> tuple[tuple[str, str], ...]:
    return ROLES if viewer.role == "owner" else ROLES[:3]


@router.get("/dashboard/users")
async def users(request: Request, viewer: SignedIn):
    listed = await viewer.api.get(USERS)
    people = [u for u in listed.get("data", []) if u.get("status") != "removed"]
    return page(request, "users/index.html", viewer, active="users", users=people, roles=_roles_for(viewer),
                role_names={k: v.split(" — ")[0] for k, v in ROLES}, editable=viewer.can("POST", USERS))


@router.post("/dashboard/users")
async def invite(request: Request, viewer: SignedIn):
    form = await form_of(request, viewer)
    email = form.get("email").strip()
    body = {"email": email, "role": form.get("role") or "viewer"}
    if name := text_or_none(form, "name"):
        body["name"] = name
    return await attempt(request, "/dashboard/users", f"Invitation sent to {email}.",
                         viewer.api.post(USERS, json=body))


@router.post("/dashboard/users/{user_id}/role")
async def change_role(request: Request, user_id: str, viewer: SignedIn):
    form = await form_of(request, viewer)
    return await attempt(request, "/dashboard/users", "Role changed.",
                         viewer.api.patch(f"{USERS}/{user_id}", json={"role": form.get("role")}))


@router.post("/dashboard/users/{user_id}/remove")
async def remove(request: Request, user_id: str, viewer: SignedIn):
    await form_of(request, viewer)
    return await attempt(request, "/dashboard/users", "User removed; their sessions are signed out.",
                         viewer.api.delete(f"{USERS}/{user_id}"))
