"""All SQL of custom email templates; every query scoped by organization id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.kit.writes import dialect_insert

from duely_notifications.models import EmailTemplate


async def get(session: AsyncSession, organization_id: str, name: str, locale: str) -> EmailTemplate | None:
    return await session.scalar(select(EmailTemplate).where(
        EmailTemplate.organization_id == organization_id, EmailTemplate.name == name,
        EmailTemplate.locale == locale))


async def of_names(session: AsyncSession, organization_id: str, names: tuple[str, ...]) -> list[EmailTemplate]:
    """Every locale's version of these templates (a few rows: the caller picks by locale)."""
    if not names:
        return []
    return list(await session.scalars(select(EmailTemplate).where(
        EmailTemplate.organization_id == organization_id, EmailTemplate.name.in_(names))))


async def all_of(session: AsyncSession, organization_id: str) -> list[EmailTemplate]:
    return list(await session.scalars(select(EmailTemplate).where(EmailTemplate.organization_id == organization_id)
                                      .order_by(EmailTemplate.name, EmailTemplate.locale)))


async def save(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert, or replace the parts of the organization's template of that name and locale (created_at and id
    stay)."""
    statement = dialect_insert(session)(EmailTemplate.__table__).values(**values)
    parts = {column: statement.excluded[column] for column in ("subject", "html", "text", "sms", "updated_at")}
    await session.execute(statement.on_conflict_do_update(
        index_elements=["organization_id", "name", "locale"], set_=parts))
    session.expire_all()  # the ORM reads the row as stored now


async def remove(session: AsyncSession, organization_id: str, name: str, locale: str) -> bool:
    result = await session.execute(delete(EmailTemplate).where(
        EmailTemplate.organization_id == organization_id, EmailTemplate.name == name,
        EmailTemplate.locale == locale))
    return bool(result.rowcount)
