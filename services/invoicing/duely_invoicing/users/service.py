"""An organization's dashboard users: invite, list, change a role or name, remove.

Who may do it is the role check of every write (duely_runtime.roles: owners and admins write /v1/users);
here, what only an owner may do (grant, change or remove an owner) and what nobody may (leave the
organization without an active owner: 409 last_owner).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts import events
from duely_invoicing.models import User, UserToken
from duely_invoicing.organizations import repository as organizations_repository
from duely_invoicing.users import repository, tokens
from duely_invoicing.users.schemas import UserCreate, UserPatch
from duely_runtime.auth import Principal
from duely_runtime.errors import ApiError, conflict, not_found
from duely_runtime.kit.clock import utcnow
from duely_runtime.kit.ids import new_id
from duely_runtime.outbox import Outbox

INVITE_TTL = timedelta(days=7)


def _owner_only(principal: Principal) -> None:
    if principal.role != "owner":
        raise ApiError(403, "insufficient_role", f"Your role is '{principal.role}': only an owner may grant, change "
                                                 "or remove the owner role.", param="role")


def _version(now: datetime) -> int:
    # One aggregate per user (its invites and links); any increasing version will do: the moment in milliseconds.
    return int(now.timestamp() * 1000)


async def _inviter(session: AsyncSession, principal: Principal) -> str | None:
    if principal.user_id is None:
        return None
    user = await repository.get_user(session, principal.organization_id, principal.user_id)
    return (user.name or user.email) if user else None


async def invite_user(session: AsyncSession, outbox: Outbox, principal: Principal, body: UserCreate,
                      dashboard_url: str) -> User:
    """A new user (status invited) and the invite email's link (user.invited, one use, 7 days)."""
    if body.role == "owner":
        _owner_only(principal)
    email = str(body.email).strip().lower()
    now = utcnow()
    user = await repository.find_by_email(session, principal.organization_id, email)
    if user is not None and user.status != "removed":
        raise conflict("user_exists", f"{email} is already a user of this organization.", param="email")
    if user is None:
        user = User(id=new_id("usr"), organization_id=principal.organization_id, email=email, created_at=now)
        session.add(user)
    user.name, user.role, user.status, user.password_hash = body.name, body.role, "invited", None
    await session.flush()
    await send_invite(session, outbox, user, await _inviter(session, principal), dashboard_url, now)
    return user


async def send_invite(session: AsyncSession, outbox: Outbox, user: User, invited_by: str | None,
                      dashboard_url: str, now: datetime) -> None:
    token = tokens.new_link_token()
    expires_at = now + INVITE_TTL
    session.add(UserToken(token_hash=tokens.token_hash(token), user_id=user.id, purpose="invite", created_at=now,
                          expires_at=expires_at))
    await session.flush()
    await outbox.emit(session, "user.invited", events.UserInvited(
        user_id=user.id, email=user.email, name=user.name, role=user.role, invited_by=invited_by,
        url=f"{dashboard_url}/accept?token={token}", expires_at=expires_at),
        organization_id=user.organization_id, aggregate_id=user.id, aggregate_version=_version(now))


async def list_users(session: AsyncSession, organization_id: str) -> list[User]:
    return await repository.list_users(session, organization_id)


async def _user_to_change(session: AsyncSession, organization_id: str, user_id: str) -> User:
    # The organization's row lock serializes owner changes: two demotions at once cannot both leave "one more".
    await organizations_repository.get_organization(session, organization_id, for_update=True)
    user = await repository.get_user(session, organization_id, user_id, for_update=True)
    if user is None or user.status == "removed":
        raise not_found("user", user_id)
    return user


async def _keep_an_owner(session: AsyncSession, user: User) -> None:
    if user.role == "owner" and user.status == "active" \
            and await repository.count_active_owners(session, user.organization_id) <= 1:
        raise conflict("last_owner", "This is the organization's last active owner: make another user owner first.")


async def update_user(session: AsyncSession, principal: Principal, user_id: str, body: UserPatch) -> User:
    user = await _user_to_change(session, principal.organization_id, user_id)
    if body.role is not None and body.role != user.role:
        if "owner" in (body.role, user.role):
            _owner_only(principal)
        if user.role == "owner":
            await _keep_an_owner(session, user)
        user.role = body.role
    if "name" in body.model_fields_set:
        user.name = body.name
    await session.flush()
    return user


async def remove_user(session: AsyncSession, principal: Principal, user_id: str) -> User:
    """Status removed; every session of theirs dies at once (within the auth cache's second elsewhere), and every
    link of theirs not used yet (an invite re-sent later brings a new one)."""
    user = await _user_to_change(session, principal.organization_id, user_id)
    if user.role == "owner":
        _owner_only(principal)
        await _keep_an_owner(session, user)
    user.status = "removed"
    user.password_hash = None
    now = utcnow()
    await repository.revoke_user_sessions(session, user.id, now)
    await repository.spend_user_tokens(session, user.id, now)
    await session.flush()
    return user
