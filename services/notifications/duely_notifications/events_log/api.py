"""GET /v1/events: the organization's recent events, newest received first."""

from __future__ import annotations

from fastapi import APIRouter, Query

from duely_contracts.registry import REGISTRY
from duely_runtime.errors import invalid
from duely_runtime.kit.deps import Caller, DbSession

from duely_notifications.events_log import repository
from duely_notifications.events_log.recording import logged
from duely_notifications.events_log.schemas import EventList, EventOut


def router() -> APIRouter:
    api = APIRouter(prefix="/v1")

    @api.get("/events", response_model=EventList, tags=["events"])
    async def list_events(caller: Caller, session: DbSession,
                          type: str | None = Query(None, max_length=100, description="Only events of this type."),
                          aggregate_id: str | None = Query(None, max_length=64, description=(
                              "Only events about this object (an invoice's, a customer's id…).")),
                          limit: int = Query(20, ge=1, le=100),
                          starting_after: str | None = Query(None, max_length=64, description=(
                              "The id of the last event of the previous page."))):
        """Events as notifications received them, kept DUELY_NOTIFICATIONS_RETENTION_EVENTS_DAYS (30); events
        carrying sign-in or invite links are never listed."""
        if type is not None and (type not in REGISTRY or not logged(type)):
            raise invalid("type", f"'{type}' is not an event type this log keeps.")
        page = await repository.page_events(session, caller.organization_id, event_type=type,
                                            aggregate_id=aggregate_id, limit=limit, starting_after=starting_after)
        return EventList(data=[EventOut.of(row) for row in page.rows], has_more=page.has_more)

    return api
