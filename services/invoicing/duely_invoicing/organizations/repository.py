"""SQL for organizations and their API keys."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from duely_invoicing.models import ApiKey, Organization
from duely_runtime.auth import Principal
from duely_runtime.kit.writes import locked


async def get_organization(session: AsyncSession, organization_id: str, *,
                           for_update: bool = False) -> Organization | None:
    if for_update:
        return (await session.scalars(locked(select(Organization).where(Organization.id == organization_id),
                                               session))).first()
    return await session.get(Organization, organization_id)


async def list_organizations(session: AsyncSession) -> list[Organization]:
    return list((await session.scalars(select(Organization).order_by(Organization.created_at))).all())


async def find_principal(session: AsyncSession, key_hash: str) -> Principal | None:
    row = (await session.execute(
        select(ApiKey.id, ApiKey.organization_id, ApiKey.role)
        .where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
    )).first()
    return Principal(row.organization_id, row.id, row.role) if row else None


async def get_api_key(session: AsyncSession, organization_id: str, api_key_id: str, *,
                      for_update: bool = False) -> ApiKey | None:
    stmt = select(ApiKey).where(ApiKey.organization_id == organization_id, ApiKey.id == api_key_id)
    if for_update:
        stmt = locked(stmt, session)
    return (await session.scalars(stmt)).first()


async def list_api_keys(session: AsyncSession, organization_id: str) -> list[ApiKey]:
    return list((await session.scalars(select(ApiKey).where(ApiKey.organization_id == organization_id)
                                       .order_by(ApiKey.created_at.desc(), ApiKey.id))).all())


async def count_active_api_keys(session: AsyncSession, organization_id: str) -> int:
    return await session.scalar(select(func.count()).select_from(ApiKey).where(
        ApiKey.organization_id == organization_id, ApiKey.revoked_at.is_(None))) or 0
