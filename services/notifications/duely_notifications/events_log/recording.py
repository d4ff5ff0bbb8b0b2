"""Record each event a consumer handles, in the same transaction as its inbox row (so a redelivery, which the
inbox refuses, records nothing twice), before the handler's own work."""

from __future__ import annotations

from functools import wraps
from typing import Callable

from duely_contracts import Envelope
from duely_runtime.consumers import Handler
from duely_runtime.kit.clock import utcnow

from duely_notifications.events_log import repository

# Events that carry a sign-in or invite link for one person: never webhooks (the registry says so in their
# descriptions) and never in the log either, where anyone of the organization with read access would see them.
CARRY_LINKS = frozenset({"portal.link_requested", "user.invited", "user.sign_in_link_requested"})


def logged(event_type: str) -> bool:
    return event_type not in CARRY_LINKS


def recorded(on_event: Callable[[str], Callable[[Handler], Handler]],
             clock: Callable = utcnow) -> Callable[[str], Callable[[Handler], Handler]]:
    """`runtime.consumers.on`, recording the event before its handler runs (for the types `logged` lets in)."""
    def on(event_type: str) -> Callable[[Handler], Handler]:
        register = on_event(event_type)
        if not logged(event_type):
            return register

        def wrap(handler: Handler) -> Handler:
            @wraps(handler)
            async def handle(session, envelope: Envelope, event) -> None:
                await repository.record(session, envelope, clock())
                await handler(session, envelope, event)
            register(handle)
            return handler
        return wrap
    return on
