"""All SQL of stored logos."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from duely_invoicing.logos.fetch import LogoImage, url_key
from duely_invoicing.logos.models import OrganizationLogo


# Logos kept per organization (the newest ones): enough for a rebrand or two, never unbounded.
KEPT_PER_ORGANIZATION = 10


async def store_logo(session: AsyncSession, organization_id: str, logo: LogoImage, fetched_at: datetime) -> None:
    """Keep the bytes fetched for this URL, replacing an earlier fetch of the same URL; the oldest logos
    beyond KEPT_PER_ORGANIZATION go (an invoice whose logo went renders without it)."""
    key = url_key(logo.url)
    await session.execute(delete(OrganizationLogo).where(OrganizationLogo.organization_id == organization_id,
                                                         OrganizationLogo.url_sha256 == key))
    session.add(OrganizationLogo(organization_id=organization_id, url_sha256=key, url=logo.url, content=logo.content,
                                 content_type=logo.content_type, sha256=logo.sha256, fetched_at=fetched_at))
    await session.flush()
    newest = (select(OrganizationLogo.url_sha256).where(OrganizationLogo.organization_id == organization_id)
              .order_by(OrganizationLogo.fetched_at.desc()).limit(KEPT_PER_ORGANIZATION))
    await session.execute(delete(OrganizationLogo).where(OrganizationLogo.organization_id == organization_id,
                                                         OrganizationLogo.url_sha256.not_in(newest)))


async def find_logo(session: AsyncSession, organization_id: str, url: str | None) -> LogoImage | None:
    if not url:
        return None
    row = await session.scalar(select(OrganizationLogo).where(OrganizationLogo.organization_id == organization_id,
                                                              OrganizationLogo.url_sha256 == url_key(url)))
    return LogoImage(row.url, row.content, row.content_type) if row is not None else None
