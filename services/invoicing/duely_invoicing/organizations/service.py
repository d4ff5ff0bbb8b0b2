"""Organizations and their API keys: create an organization, create and revoke keys."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts import events
from duely_invoicing.models import ApiKey, Organization
from duely_invoicing.organizations import repository
from duely_invoicing.users import sign_in as users_sign_in
from duely_runtime.auth import Principal, hash_key, new_api_key
from duely_runtime.db import Database
from duely_runtime.errors import ApiError, conflict, not_found
from duely_runtime.kit.clock import utcnow
from duely_runtime.kit.ids import new_id
from duely_runtime.outbox import Outbox
from duely_runtime.roles import at_least


async def create_organization(session: AsyncSession, outbox: Outbox, name: str, *,
                              test_mode: bool = True) -> tuple[Organization, str]:
    """A new organization and its first API key; the plaintext key is returned once, never stored."""
    organization = Organization(id=new_id("org"), name=name, test_mode=test_mode, created_at=utcnow())
    session.add(organization)
    await session.flush()
    _, plaintext = await create_api_key(session, organization.id)
    await outbox.emit(session, "organization.created",
                      events.OrganizationCreated(id=organization.id, name=name, test_mode=organization.test_mode),
                      organization_id=organization.id, aggregate_id=organization.id, aggregate_version=1)
    return organization, plaintext


@dataclass(frozen=True)
class OwnerCredentials:
    email: str
    password: str  # generated, shown once


def default_owner_email(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "organization"
    return f"owner@{slug[:50].strip('-')}.example"


async def create_owner(session: AsyncSession, organization: Organization,
                       email: str | None = None) -> OwnerCredentials:
    """The organization's first dashboard user, an active owner with a generated password (shown once)."""
    password = secrets.token_urlsafe(12)
    user = await users_sign_in.create_owner(session, organization.id, email or default_owner_email(organization.name),
                                            password)
    return OwnerCredentials(user.email, password)


async def create_api_key(session: AsyncSession, organization_id: str, role: str = "owner",
                         caller: Principal | None = None) -> tuple[ApiKey, str]:
    """A new key of `role`; a caller may not create a key more powerful than itself."""
    if caller is not None and not at_least(caller.role, role):
        raise ApiError(403, "insufficient_role", f"Your role is '{caller.role}': it may not create a key of role "
                                                 f"'{role}' (more than its own).", param="role")
    organization = await repository.get_organization(session, organization_id)
    if organization is None:
        raise not_found("organization", organization_id, param="organization_id")
    plaintext = new_api_key(organization.test_mode)
    key = ApiKey(id=new_id("key"), organization_id=organization_id, key_hash=hash_key(plaintext),
                 prefix=plaintext[:12], created_at=utcnow(), role=role)
    session.add(key)
    await session.flush()
    return key, plaintext


async def revoke_api_key(session: AsyncSession, organization_id: str, api_key_id: str) -> ApiKey:
    """Revoke a key (every service refuses it within a second); never the organization's last one."""
    # The organization's row lock serializes revocations: two at once cannot both leave "one more" key.
    await repository.get_organization(session, organization_id, for_update=True)
    key = await repository.get_api_key(session, organization_id, api_key_id, for_update=True)
    if key is None or key.revoked_at is not None:
        raise not_found("API key", api_key_id)
    if await repository.count_active_api_keys(session, organization_id) <= 1:
        raise conflict("last_api_key", "This is the organization's only active key: create another one first.")
    key.revoked_at = utcnow()
    await session.flush()
    return key


async def list_api_keys(session: AsyncSession, organization_id: str) -> list[ApiKey]:
    return await repository.list_api_keys(session, organization_id)


async def find_principal(db: Database, key_hash: str, sessions: users_sign_in.SessionRules) -> Principal | None:
    """Whose key or dashboard session this is (None: unknown, revoked or ended). Other services ask through
    /internal/auth/verify. Every request of every service asks (cached for a second), so an API key is
    read without joining the writers' queue; only a dashboard session is written (its idle clock)."""
    async with db.read() as session:
        principal = await repository.find_principal(session, key_hash)
    if principal is not None:
        return principal
    async with db.transaction() as session:
        return await users_sign_in.session_principal(session, key_hash, sessions)


async def list_organizations(session: AsyncSession) -> list[Organization]:
    return await repository.list_organizations(session)
