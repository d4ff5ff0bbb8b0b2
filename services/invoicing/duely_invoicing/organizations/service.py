"""Organizations and their API keys: create an organization, create and revoke keys."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts import events
from duely_invoicing.models import ApiKey, Organization
from duely_invoicing.organizations import repository
from duely_runtime.auth import Principal, hash_key, new_api_key
from duely_runtime.errors import conflict, not_found
from duely_runtime.kit.clock import utcnow
from duely_runtime.kit.ids import new_id
from duely_runtime.outbox import Outbox


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


async def create_api_key(session: AsyncSession, organization_id: str) -> tuple[ApiKey, str]:
    organization = await repository.get_organization(session, organization_id)
    if organization is None:
        raise not_found("organization", organization_id, param="organization_id")
    plaintext = new_api_key(organization.test_mode)
    key = ApiKey(id=new_id("key"), organization_id=organization_id, key_hash=hash_key(plaintext),
                 prefix=plaintext[:12], created_at=utcnow())
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


async def find_principal(session: AsyncSession, key_hash: str) -> Principal | None:
    """Whose key this is (None: unknown or revoked). Other services ask through /internal/auth/verify."""
    return await repository.find_principal(session, key_hash)


async def list_organizations(session: AsyncSession) -> list[Organization]:
    return await repository.list_organizations(session)
