"""Unguessable, signed links to an invoice's hosted page (no login needed).

Invoicing mints them at approval; the portal verifies them. The token is the
invoice id and organization id plus an HMAC-SHA256 over both, so it cannot be
forged or pointed at another invoice.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def _mac(secret: str, message: str) -> str:
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def invoice_token(secret: str, organization_id: str, invoice_id: str) -> str:
    message = f"{organization_id}.{invoice_id}"
    return f"{message}.{_mac(secret, 'invoice:' + message)}"


def verify_invoice_token(secret: str, token: str) -> tuple[str, str] | None:
    """Returns (organization_id, invoice_id) when the token is genuine, else None."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    organization_id, invoice_id, mac = parts
    expected = _mac(secret, f"invoice:{organization_id}.{invoice_id}")
    if not hmac.compare_digest(mac.encode("utf-8", "surrogateescape"), expected.encode()):
        return None
    return organization_id, invoice_id


def hosted_invoice_url(public_base_url: str, secret: str, organization_id: str, invoice_id: str) -> str:
    return f"{public_base_url.rstrip('/')}/i/{invoice_token(secret, organization_id, invoice_id)}"
