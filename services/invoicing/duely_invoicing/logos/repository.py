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
    """Keep the bytes fetched for this URL beside earlier, different images at the same URL (issued invoices
    name theirs by hash); the same image fetched again is only refreshed. The oldest images beyond
    KEPT_PER_ORGANIZATION go (an invoice whose logo went renders without it)."""
    key = url_key(logo.url)
    await session.execute(delete(OrganizationLogo).where(OrganizationLogo.organization_id == organization_id,
                                                         OrganizationLogo.url_sha256 == key,
                                                         OrganizationLogo.sha256 == logo.sha256))
    session.add(OrganizationLogo(organization_id=organization_id, url_sha256=key, url=logo.url, content=logo.content,
                                 content_type=logo.content_type, sha256=logo.sha256, fetched_at=fetched_at))
    await session.flush()
    older = (select(OrganizationLogo.url_sha256, OrganizationLogo.sha256)
             .where(OrganizationLogo.organization_id == organization_id)
             .order_by(OrganizationLogo.fetched_at.desc()).offset(KEPT_PER_ORGANIZATION))
    for url_sha256, sha256 in (await session.execute(older)).all():
        await session.execute(delete(OrganizationLogo).where(OrganizationLogo.organization_id == organization_id,
                                                             OrganizationLogo.url_sha256 == url_sha256,
                                                             OrganizationLogo.sha256 == sha256))


async def newest_logo_hash(session: AsyncSession, organization_id: str, url: str | None) -> str | None:
    """The hash of the image a render would draw for this URL now (without loading the image)."""
    if not url:
        return None
    return await session.scalar(select(OrganizationLogo.sha256).where(
        OrganizationLogo.organization_id == organization_id, OrganizationLogo.url_sha256 == url_key(url))
        .order_by(OrganizationLogo.fetched_at.desc()).limit(1))


async def find_logo(session: AsyncSession, organization_id: str, url: str | None, *,
                    sha256: str | None = None) -> LogoImage | None:
    """The image stored for this URL: the one with this hash when given, else the newest."""
    if not url:
        return None
    query = select(OrganizationLogo).where(OrganizationLogo.organization_id == organization_id,
                                           OrganizationLogo.url_sha256 == url_key(url))
    if sha256 is not None:
        query = query.where(OrganizationLogo.sha256 == sha256)
    row = await session.scalar(query.order_by(OrganizationLogo.fetched_at.desc()).limit(1))
    return LogoImage(row.url, row.content, row.content_type) if row is not None else None
