"""An issued invoice's parties as they were at approval: the customer, the organization's name, the logo.

An issued invoice is a legal document. Approval writes what it says about its parties into
`invoices.parties_at_approval` (migration 0004_parties_at_approval); from then on the API body, every
event's snapshot, the PDF and the Factur-X XML read them from there, so editing the customer or the
settings afterwards changes later invoices only. The issuer's details, the billing facts, the cc list
and the locale are the invoice's own columns, stamped at approval and never rewritten
(invoices/settings.py: number_and_freeze). A draft has no frozen parties: it follows the customer live.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from duely_invoicing.logos import repository as logos_repository
from duely_invoicing.logos.fetch import LogoImage
from duely_invoicing.models import Customer, Invoice, Organization
from duely_invoicing.organizations import repository as organizations_repository
from duely_runtime.utc_datetime import UtcDateTime


def customer_record(customer: Customer) -> dict[str, Any]:
    """Every column of the customer's row, JSON-ready: a column added later is frozen with the rest."""
    values = {column.key: getattr(customer, column.key) for column in Customer.__table__.columns}
    return {name: value.isoformat() if isinstance(value, datetime) else value for name, value in values.items()}


def _customer_from(record: dict[str, Any]) -> Customer:
    values = {}
    for column in Customer.__table__.columns:  # a column added after the invoice was issued stays unset
        value = record.get(column.key)
        values[column.key] = datetime.fromisoformat(value) if isinstance(column.type, UtcDateTime) and value else value
    # A detached copy, never added to the session: nothing written through it can reach the customer's row.
    return Customer(**values)


async def freeze(session: AsyncSession, invoice: Invoice) -> None:
    """At approval, with the customer loaded and the issuer stamped: what the invoice will say for good."""
    organization = await organizations_repository.get_organization(session, invoice.organization_id)
    logo_url = (invoice.issuer or {}).get("logo_url")
    invoice.parties_at_approval = {
        "organization_name": organization.name,
        "customer": customer_record(invoice.customer),
        # the exact image, not whatever is saved under its URL later
        "logo_sha256": await logos_repository.newest_logo_hash(session, invoice.organization_id, logo_url),
    }


def customer(invoice: Invoice) -> Customer:
    """The customer as the invoice shows it: frozen once issued, the live row while a draft."""
    frozen = (invoice.parties_at_approval or {}).get("customer")
    if frozen is None:
        return invoice.customer
    return _customer_from(frozen)


def organization_name(invoice: Invoice, organization: Organization) -> str:
    frozen = invoice.parties_at_approval
    return frozen["organization_name"] if frozen else organization.name


async def find_logo(session: AsyncSession, invoice: Invoice, url: str | None) -> LogoImage | None:
    """The logo image the invoice was issued with; a draft takes the URL's newest stored image."""
    if invoice.parties_at_approval is None:
        return await logos_repository.find_logo(session, invoice.organization_id, url)
    sha256 = invoice.parties_at_approval.get("logo_sha256")
    if sha256 is None:  # no stored image at approval: the invoice never had one to show
        return None
    return await logos_repository.find_logo(session, invoice.organization_id, url, sha256=sha256)
