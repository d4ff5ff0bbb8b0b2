"""Rules of outbound webhooks: which events may be subscribed, URL checks, the body."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Iterable
from urllib.parse import urlsplit

from duely_contracts.registry import WEBHOOK_EVENT_TYPES
from duely_contracts.timestamps import iso_utc

ALL_EVENTS = "*"


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a webhook endpoint, or None when it can."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "url is not a valid URL."
    if parts.scheme not in ("http", "https"):
        return "url must start with http:// or https://."
    if not parts.hostname:
        return "url must include a host."
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return "url has an invalid port."
    return None


def events_problem(events: list[str]) -> tuple[str, str] | None:
    """(param, message) of the first unacceptable event name, or None when all are fine."""
    if not events:
        return "events", "events must list at least one event type (or '*')."
    for index, name in enumerate(events):
        if name == ALL_EVENTS:
            if len(events) > 1:
                return f"events[{index}]", "'*' subscribes to every event; do not combine it with others."
            continue
        if name not in WEBHOOK_EVENT_TYPES:
            allowed = ", ".join(WEBHOOK_EVENT_TYPES)
            return f"events[{index}]", f"Unknown event type '{name}'. Allowed: {allowed}, or '*'."
    return None


def normalized_events(events: Iterable[str]) -> list[str]:
    """Deduplicated, in the order given."""
    return list(dict.fromkeys(events))


def subscribes(endpoint_events: Iterable[str], event_type: str) -> bool:
    if event_type not in WEBHOOK_EVENT_TYPES:
        return False
    events = list(endpoint_events)
    return ALL_EVENTS in events or event_type in events


def is_success(status_code: int | None) -> bool:
    return status_code is not None and 200 <= status_code < 300


def webhook_body(event_id: str, event_type: str, occurred_at: datetime, organization_id: str,
                 data: dict[str, Any]) -> str:
    """The JSON body POSTed to endpoints; stored once so every retry sends the same bytes."""
    return json.dumps({
        "id": event_id,
        "type": event_type,
        "created_at": iso_utc(occurred_at),
        "organization_id": organization_id,
        "data": data,
    }, separators=(",", ":"), sort_keys=False)
