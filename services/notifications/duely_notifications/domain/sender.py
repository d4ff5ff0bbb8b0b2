"""Who an email is from: the organization's name on the platform's address.

The envelope sender (SMTP MAIL FROM) and the address in From stay the platform's `SMTP_FROM`: its
domain is the one whose SPF, DKIM and DMARC the relay signs for, so mail from Duely is not taken
for spoofing. The display name is the organization's (`email_from_name`, else its company name),
and replies go to the organization's `email_reply_to`.
"""

from __future__ import annotations

from email.headerregistry import Address
from email.utils import parseaddr

from duely_contracts.models import Issuer


def one_line(text: str | None) -> str:
    """A header value on one line (names stored before the one-line rule may hold line breaks)."""
    return " ".join((text or "").split())


def from_address(smtp_from: str, display_name: str | None) -> Address:
    """'Acme GmbH <billing@duely.example>' from SMTP_FROM 'Duely Billing <billing@duely.example>'."""
    platform_name, address = parseaddr(smtp_from)
    return Address(display_name=one_line(display_name) or platform_name, addr_spec=address)


def display_name(issuer: Issuer | None, organization_name: str | None) -> str | None:
    return one_line(issuer and (issuer.email_from_name or issuer.company_name)) or one_line(organization_name) or None


def reply_to(issuer: Issuer | None) -> str | None:
    """The organization's reply-to address, when it is a plain address (validated when it was set)."""
    value = one_line(issuer and issuer.email_reply_to)
    _, address = parseaddr(value)
    return address if address and address == value and "@" in address else None
