"""The email telling an organization that one of its webhook endpoints was disabled after failing. Pure.

It goes to the merchant, not to a customer: the organization's own address is the Reply-To it set for its
invoice emails (`email_reply_to` of `/v1/settings/invoicing`), as its newest invoice snapshot here carries
it (webhooks/service.py finds it). Written in English, the platform's language, with the layout's labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from duely_presentation.i18n import Formatter

TEMPLATE = "webhook_endpoint_disabled"


@dataclass(frozen=True)
class EndpointDisabled:
    """The cause: an endpoint disabled at `disabled_at` after failing since `failing_since`."""

    endpoint_id: str
    url: str
    disabled_at: datetime
    failing_since: datetime
    last_error: str | None
    to: tuple[str, ...]  # the organization's address, when it has one


def key(disabled: EndpointDisabled) -> str:
    """One email per time the endpoint is disabled."""
    return f"webhook_endpoint_disabled:{disabled.endpoint_id}:{disabled.disabled_at.isoformat()}"


def facts(disabled: EndpointDisabled, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"endpoint_id": disabled.endpoint_id, "url": disabled.url, "disabled_at": disabled.disabled_at.isoformat(),
            "failing_since": disabled.failing_since.isoformat(), "last_error": disabled.last_error}


def _when(value: str) -> str:
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M UTC")


def context(facts: Mapping[str, Any], company: str) -> dict[str, Any]:
    labels = Formatter("en_US", "usd").labels
    subject = f"Webhook endpoint disabled: {facts['url']}"
    rows = [("Endpoint", str(facts["url"])), ("Endpoint id", str(facts["endpoint_id"])),
            ("Failing since", _when(str(facts["failing_since"]))),
            ("Disabled at", _when(str(facts["disabled_at"])))]
    if facts.get("last_error"):
        rows.append(("Last error", str(facts["last_error"])))
    return {"subject": subject, "L": labels, "lang": "en", "company": company or "Duely", "accent": "#2563eb",
            "logo_url": None, "footer": None, "v": None, "greeting": "Hello,",
            "sent_by": "Sent by Duely, your billing platform.",
            "intro": ("Every delivery to one of your webhook endpoints has failed since "
                      f"{_when(str(facts['failing_since']))}, so it was disabled: no new events are sent to it "
                      "and its pending deliveries are held."),
            "paragraphs": ["Fix the receiver, then re-enable the endpoint (PATCH /v1/webhook_endpoints/"
                           f"{facts['endpoint_id']} with {{\"enabled\": true}}): held deliveries resume. Deliveries "
                           "that failed can be sent again with POST /v1/webhook_endpoints/"
                           f"{facts['endpoint_id']}/replay."],
            "rows": rows, "how_to_pay": [], "pdf_note": None, "invoice_url": None, "button": None,
            "action_url": None, "action_label": None}
