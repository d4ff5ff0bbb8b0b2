"""Is a queued email still worth sending? Asked when it is sent, of the invoice's newest snapshot.

An email can wait a while (a relay down, an older email of the same invoice still pending) and
events of different topics arrive in any order: a payment-failed email for an invoice paid since,
or a reminder for an invoice paid or voided since, would tell the customer to pay what they owe
no more. Those are not sent: they are marked `skipped` with the reason.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping

PAYABLE = ("issued", "past_due")
# Emails carrying a link that expires.
LINK_TEMPLATES = ("portal_link", "user_invite", "dashboard_sign_in")
# Emails that ask for money: obsolete once nothing is owed.
ASKING = ("payment_failed", "invoice_reminder")


def obsolete_reason(template: str, status: str, amount_due: int) -> str | None:
    if template in ASKING and (status not in PAYABLE or amount_due <= 0):
        state = status.replace("_", " ") if status not in PAYABLE else "paid in full"
        return f"the invoice is {state} now: nothing to ask for"
    if template == "invoice_issued" and status == "void":
        return "the invoice was voided before its email went out"
    return None


def expired_link_reason(template: str, facts: Mapping[str, Any] | None, now: datetime) -> str | None:
    """A sign-in or invite link (portal, dashboard) that expired while its email waited (a relay down) would only
    disappoint: not sent."""
    if template not in LINK_TEMPLATES or not facts or not facts.get("expires_at"):
        return None
    expires_at = datetime.fromisoformat(str(facts["expires_at"]).replace("Z", "+00:00"))
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=timezone.utc)
    what = "invite" if template == "user_invite" else "sign-in"
    return f"the {what} link expired before its email could go out" if expires_at <= now else None
