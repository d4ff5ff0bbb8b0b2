"""The dashboard's two emails (issue #12), to the organization's own people, not its customers. Pure.

- `user_invite` (user.invited): someone was invited to the organization's dashboard; one button to accept
  (choose a password), when the link expires, who invited them and with which role.
- `dashboard_sign_in` (user.sign_in_link_requested): a one-use sign-in link the user asked for.

Written in English, the platform's language (like the webhook-endpoint email), with the layout's labels and
the organization's name (as this service knows it from organization.created) as the brand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

from duely_contracts.events import UserInvited, UserSignInLinkRequested
from duely_presentation.content import DEFAULT_ACCENT
from duely_presentation.i18n import Formatter

INVITE = "user_invite"
SIGN_IN = "dashboard_sign_in"
LINK_TEMPLATES = (INVITE, SIGN_IN)

ROLE_WORDS = {
    "viewer": "a viewer (you can see everything and change nothing)",
    "finance": "finance (you can work on invoices, customers, subscriptions and payments)",
    "admin": "an admin (you can change everything except the owners)",
    "owner": "an owner (you can do anything)",
}


@dataclass(frozen=True)
class Invite:
    """The cause of an invite email: user.invited, with its event id (one email per event)."""

    event_id: str
    invite: UserInvited


@dataclass(frozen=True)
class SignInLink:
    """The cause of a sign-in email: user.sign_in_link_requested, with its event id (one email per event)."""

    event_id: str
    link: UserSignInLinkRequested


def invite_key(cause: Invite) -> str:
    return f"{INVITE}:{cause.event_id}"


def sign_in_key(cause: SignInLink) -> str:
    return f"{SIGN_IN}:{cause.event_id}"


def invite_facts(cause: Invite, data: Mapping[str, Any]) -> dict[str, Any]:
    invite = cause.invite
    return {"user_id": invite.user_id, "name": invite.name, "role": invite.role, "invited_by": invite.invited_by,
            "url": invite.url, "expires_at": invite.expires_at.isoformat()}


def sign_in_facts(cause: SignInLink, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"user_id": cause.link.user_id, "url": cause.link.url, "expires_at": cause.link.expires_at.isoformat()}


def _when(value: str) -> str:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    moment = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    return f"{moment:%B} {moment.day}, {moment:%Y, %H:%M} UTC"


def _layout(subject: str, company: str, greeting: str) -> dict[str, Any]:
    return {"subject": subject, "L": Formatter("en_US", "usd").labels, "lang": "en", "company": company,
            "accent": DEFAULT_ACCENT, "logo_url": None, "footer": None, "v": None, "greeting": greeting,
            "sent_by": f"Sent by {company} through Duely.", "intro": None, "paragraphs": [], "rows": [],
            "how_to_pay": [], "pdf_note": None, "invoice_url": None, "button": None, "action_url": None,
            "action_label": None}


def invite_context(facts: Mapping[str, Any], company: str) -> dict[str, Any]:
    name = facts.get("name")
    context = _layout(f"You are invited to the {company} dashboard on Duely", company,
                      f"Hello {name}," if name else "Hello,")
    by = f"{facts['invited_by']} invited you" if facts.get("invited_by") else "You were invited"
    role = ROLE_WORDS.get(str(facts.get("role")), str(facts.get("role")))
    context.update({
        "intro": f"{by} to the {company} billing dashboard on Duely, as {role}.",
        "action_url": facts["url"], "action_label": "Accept the invitation",
        "paragraphs": [f"Choose your password on the page the button opens. The link works once and expires on "
                       f"{_when(str(facts['expires_at']))}.",
                       f"If the button does not work, copy this address into your browser: {facts['url']}",
                       "If you did not expect this invitation, you can ignore this email."]})
    return context


def sign_in_context(facts: Mapping[str, Any], company: str) -> dict[str, Any]:
    context = _layout(f"Your sign-in link to the {company} dashboard", company, "Hello,")
    context.update({
        "intro": f"You asked for a link to sign in to the {company} billing dashboard on Duely.",
        "action_url": facts["url"], "action_label": "Sign in to the dashboard",
        "paragraphs": [f"The link works once and expires on {_when(str(facts['expires_at']))}.",
                       f"If the button does not work, copy this address into your browser: {facts['url']}",
                       "If you did not ask for it, you can ignore this email: nobody can sign in without the "
                       "link."]})
    return context
