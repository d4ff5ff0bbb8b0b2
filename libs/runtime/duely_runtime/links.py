"""Unguessable, signed links that need no login: an invoice's hosted page, and the page where a
customer replaces an expiring card.

One signer for every link (HMAC-SHA256 with `DUELY_HOSTED_LINK_SECRET`): a token is its fields joined
by dots, then a MAC over a purpose tag and those fields, so a token made for one purpose never
verifies as another, and no field can be changed or pointed at another customer.

- Hosted invoice page (`/i/{token}`): invoicing mints it at approval, the portal verifies it.
  Fields: organization id, invoice id. It does not expire (the email and PDF carry it for good).
- Card update page (`/portal/payment_methods/update/{token}`): payments mints it for the
  `payment_method.expiring` email, the portal verifies it. Fields: organization id, customer id,
  the payment method being replaced, the link's expiry (unix seconds).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timezone

INVOICE_PURPOSE = "invoice"
PAYMENT_METHOD_UPDATE_PURPOSE = "pmupdate"
PAYMENT_METHOD_UPDATE_PATH = "/portal/payment_methods/update"


def _mac(secret: str, message: str) -> str:
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(secret: str, purpose: str, *fields: str) -> str:
    """`field1.field2…mac`; fields may not contain a dot (ids never do) or be empty."""
    for value in fields:
        if not value or "." in value:
            raise ValueError(f"a signed link field must be non-empty and without dots: {value!r}")
    message = ".".join(fields)
    return f"{message}.{_mac(secret, f'{purpose}:{message}')}"


def verify(secret: str, purpose: str, token: str, count: int) -> list[str] | None:
    """The token's `count` fields when it was signed for `purpose` with `secret`, else None."""
    parts = token.split(".")
    if len(parts) != count + 1 or not all(parts):
        return None
    *fields, mac = parts
    expected = _mac(secret, f"{purpose}:{'.'.join(fields)}")
    if not hmac.compare_digest(mac.encode("utf-8", "surrogateescape"), expected.encode()):
        return None
    return fields


# -- the hosted invoice page ----------------------------------------------------------------

def invoice_token(secret: str, organization_id: str, invoice_id: str) -> str:
    return sign(secret, INVOICE_PURPOSE, organization_id, invoice_id)


def verify_invoice_token(secret: str, token: str) -> tuple[str, str] | None:
    """Returns (organization_id, invoice_id) when the token is genuine, else None."""
    fields = verify(secret, INVOICE_PURPOSE, token, 2)
    return (fields[0], fields[1]) if fields else None


def hosted_invoice_url(public_base_url: str, secret: str, organization_id: str, invoice_id: str) -> str:
    return f"{public_base_url.rstrip('/')}/i/{invoice_token(secret, organization_id, invoice_id)}"


# -- the card update page -------------------------------------------------------------------

@dataclass(frozen=True)
class PaymentMethodUpdateLink:
    organization_id: str
    customer_id: str
    payment_method_id: str  # the method the customer is asked to replace
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


def payment_method_update_token(secret: str, organization_id: str, customer_id: str, payment_method_id: str,
                                expires_at: datetime) -> str:
    return sign(secret, PAYMENT_METHOD_UPDATE_PURPOSE, organization_id, customer_id, payment_method_id,
                str(int(expires_at.timestamp())))


def verify_payment_method_update_token(secret: str, token: str) -> PaymentMethodUpdateLink | None:
    """The link when the token is genuine (expired or not: the caller says which it is), else None."""
    fields = verify(secret, PAYMENT_METHOD_UPDATE_PURPOSE, token, 4)
    if fields is None or not fields[3].isdigit():
        return None
    return PaymentMethodUpdateLink(fields[0], fields[1], fields[2],
                                   datetime.fromtimestamp(int(fields[3]), tz=timezone.utc))


def payment_method_update_url(portal_base_url: str, secret: str, organization_id: str, customer_id: str,
                              payment_method_id: str, expires_at: datetime) -> str:
    token = payment_method_update_token(secret, organization_id, customer_id, payment_method_id, expires_at)
    return f"{portal_base_url.rstrip('/')}{PAYMENT_METHOD_UPDATE_PATH}/{token}"
