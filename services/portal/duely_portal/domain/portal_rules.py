"""The customer portal's rules, without I/O: secrets and their hashes, when a link or a session is good,
the rate limit on "email me a new link", which saved method may be removed, and the order invoices show in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

OPEN_STATUSES = ("issued", "past_due")  # payable while something is due
SHOWN_STATUSES = frozenset({"issued", "past_due", "paid", "void", "uncollectible"})
ID_MAX = 64


def new_secret() -> str:
    """A link's or a cookie's value: 256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_secret(value: str) -> str:
    """Links and cookies are kept as this hash only: a leaked table opens nothing."""
    return hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()


def same_secret(given: str | None, expected: str | None) -> bool:
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode())


def form_token(secret: str, purpose: str, subject: str) -> str:
    """The CSRF token of a form shown before any session exists (a link's page): bound to what the page is
    about, so a form made for one link or invoice posts for no other."""
    return hmac.new(secret.encode(), f"portal-form:{purpose}:{subject}".encode(), hashlib.sha256).hexdigest()


def link_state(*, expires_at: datetime, redeemed_at: datetime | None, revoked_at: datetime | None,
               now: datetime) -> str:
    """valid | used | revoked | expired: only a valid link opens a session."""
    if redeemed_at is not None:  # signed out or revoked later: still a used link (a new one can be asked for)
        return "used"
    if revoked_at is not None:  # voided by the merchant before anyone opened it
        return "revoked"
    if now >= expires_at:
        return "expired"
    return "valid"


def session_alive(*, last_seen_at: datetime | None, expires_at: datetime | None, revoked_at: datetime | None,
                  now: datetime, idle: timedelta) -> bool:
    if revoked_at is not None or last_seen_at is None or expires_at is None:
        return False
    return now < expires_at and now - last_seen_at < idle


@dataclass(frozen=True)
class Limits:
    per_customer: int
    per_address: int


def may_send_link(sent_to_customer: int, sent_from_address: int, limits: Limits) -> bool:
    """Counts are of the last hour's requests."""
    return sent_to_customer < limits.per_customer and sent_from_address < limits.per_address


def removal_refusal(methods: list[dict], method_id: str, autopay_enabled: bool) -> str | None:
    """Why the customer may not remove this saved method, or None. The last usable method stays while AutoPay
    is on: AutoPay would have nothing to charge."""
    usable = [m for m in methods if m.get("status") in ("active", "pending_verification")]
    if autopay_enabled and [m["id"] for m in usable] == [method_id]:
        return "last_method_autopay"
    return None


def invoice_order(status: str, due_date: date | None, number: str | None) -> tuple:
    """Open ones first (oldest due first, as a partial payment is allocated), then the rest, newest first."""
    if status in OPEN_STATUSES:
        return (0, due_date or date.max, number or "")
    return (1, -(due_date or date.min).toordinal(), number or "")


def is_open(status: str, amount_due: int) -> bool:
    return status in OPEN_STATUSES and amount_due > 0


def masked_email(email: str) -> str:
    """'compta@client.example' → 'c•••a@client.example': enough to recognise, not to harvest."""
    local, _, domain = email.partition("@")
    if not domain:
        return "•••"
    shown = local[0] + "•••" + (local[-1] if len(local) > 2 else "")
    return f"{shown}@{domain}"


def safe_return_url(url: str | None) -> bool:
    """The merchant's "back to my site" link: http(s) only (never javascript: or data:)."""
    if not url:
        return True
    parts = urlsplit(url)
    return parts.scheme in ("https", "http") and bool(parts.netloc) and len(url) <= 2000


def plausible_id(value: str) -> bool:
    return 0 < len(value) <= ID_MAX and all(c.isalnum() or c in "_-" for c in value)
