"""Public API: /v1/users — an organization's dashboard users: invite, list, change a role or name, remove.

Writes are for owners and admins (the role check of every write); only an owner grants or changes the owner role.
"""

from __future__ import annotations

from fastapi import APIRouter

from duely_invoicing.config import Settings
from duely_invoicing.users import service
from duely_invoicing.users.schemas import UserCreate, UserList, UserOut, UserPatch
from duely_runtime.kit.deps import Caller, DbSession
from duely_runtime.service import ServiceRuntime


def user_out(user) -> UserOut:
    return UserOut(id=user.id, email=user.email, name=user.name, role=user.role, status=user.status,
                   created_at=user.created_at, last_sign_in_at=user.last_sign_in_at)


def dashboard_url(settings: Settings) -> str:
    return settings.public_base_url.rstrip("/") + "/dashboard"


def router(runtime: ServiceRuntime, settings: Settings) -> APIRouter:
    api = APIRouter(prefix="/v1/users", tags=["users"])

    @api.get("", response_model=UserList)
    async def list_users(session: DbSession, principal: Caller):
        return UserList(data=[user_out(u) for u in await service.list_users(session, principal.organization_id)])

    @api.post("", status_code=201, response_model=UserOut)
    async def invite_user(body: UserCreate, session: DbSession, principal: Caller):
        """Invite a person by email: they get a link (7 days, one use) to choose a password. 409 user_exists when
        the address is a user already."""
        return user_out(await service.invite_user(session, runtime.outbox, principal, body, dashboard_url(settings)))

    @api.patch("/{user_id}", response_model=UserOut)
    async def update_user(user_id: str, body: UserPatch, session: DbSession, principal: Caller):
        """Change a user's role or name; 409 last_owner when it would leave no active owner."""
        return user_out(await service.update_user(session, principal, user_id, body))

    @api.delete("/{user_id}", response_model=UserOut)
    async def remove_user(user_id: str, session: DbSession, principal: Caller):
        """Remove a user: their sessions end at once; 409 last_owner for the last active owner."""
        return user_out(await service.remove_user(session, principal, user_id))

    return api
