"""Stored logos (migration 0002_logos): the bytes fetched for each logo URL an organization saved."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from duely_invoicing.models import Base
from duely_runtime.utc_datetime import UtcDateTime


class OrganizationLogo(Base):
    """One row per (organization, logo URL, image): invoices keep the logo URL they were issued with and
    the image's hash (parties_at_approval), so an older invoice still finds its own logo after the
    organization changed it, even when a new image was saved under the same URL."""

    __tablename__ = "organization_logos"

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    url_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    content_type: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)  # of the content (0004_parties_at_approval)
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime)
