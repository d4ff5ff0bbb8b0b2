"""Use cases of webhook endpoints: guard clauses, then the work, in the caller's transaction (never committed
here). Fan-out of events is Notifications.fan_out; POSTing is the dispatcher's (webhook_dispatcher.py), which
calls `attempt_recorded` after each attempt."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts.timestamps import as_utc
from duely_runtime.errors import conflict, found, invalid
from duely_runtime.kit.ids import new_id
from duely_runtime.kit.pagination import Page
from duely_runtime.outbound import OutboundRefused

from duely_notifications import repository as repo
from duely_notifications.domain.endpoint_disabled import EndpointDisabled
from duely_notifications.domain.webhooks import events_problem, normalized_events, url_problem, webhook_body
from duely_notifications.models import WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint
from duely_notifications.service import Notifications, new_webhook_secret, wake_after_commit
from duely_notifications.webhooks import repository as webhooks_repo
from duely_notifications.webhooks.repository import DeliveryFilters
from duely_notifications.webhooks.schemas import WebhookEndpointUpdate

log = logging.getLogger(__name__)

TEST_EVENT = "webhook.test"  # sent by POST .../test to one endpoint; not an event anyone can subscribe to
NO_ADDRESS = ("the organization has no email address on file: set email_reply_to in /v1/settings/invoicing "
              "(its invoices carry it)")


def secrets_signing(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets that sign a delivery now: the current one, and the previous one during a roll's overlap."""
    signing = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at \
            and as_utc(endpoint.previous_secret_expires_at) > now:
        signing.append(endpoint.previous_secret)
    return signing


class WebhookEndpoints:
    def __init__(self, notifications: Notifications) -> None:
        self.notifications = notifications
        self.settings = notifications.settings

    def now(self) -> datetime:
        return self.notifications.clock()

    # -- endpoints -----------------------------------------------------------------

    async def _checked_url(self, url: str) -> str:
        if problem := url_problem(url):
            raise invalid("url", problem)
        try:
            await self.notifications.guard.check_url(url.strip())  # checked again before every delivery
        except OutboundRefused as refused:
            raise invalid("url", f"url {refused}.", code="url_not_allowed") from None
        return url.strip()

    async def create(self, session: AsyncSession, organization_id: str, url: str, events: list[str],
                     description: str | None) -> WebhookEndpoint:
        if problem := url_problem(url):
            raise invalid("url", problem)
        if problem := events_problem(events):
            raise invalid(*problem)
        now = self.now()
        endpoint = WebhookEndpoint(
            id=new_id("we"), organization_id=organization_id, url=await self._checked_url(url),
            events=normalized_events(events), description=description, secret=new_webhook_secret(), created_at=now,
            deleted_at=None, updated_at=now)
        await repo.insert_endpoint(session, endpoint)
        return endpoint

    async def get(self, session: AsyncSession, organization_id: str, endpoint_id: str) -> WebhookEndpoint:
        return found(await repo.get_endpoint(session, organization_id, endpoint_id), "webhook endpoint", endpoint_id)

    async def list(self, session: AsyncSession, organization_id: str, limit: int) -> Page[WebhookEndpoint]:
        return await repo.page_endpoints(session, organization_id, limit)

    async def delete(self, session: AsyncSession, organization_id: str, endpoint_id: str) -> None:
        endpoint = await self.get(session, organization_id, endpoint_id)
        await repo.delete_endpoint(session, endpoint.id, self.now())

    async def update(self, session: AsyncSession, organization_id: str, endpoint_id: str,
                     patch: WebhookEndpointUpdate) -> WebhookEndpoint:
        endpoint = await self.get(session, organization_id, endpoint_id)
        given = patch.model_fields_set
        for name in ("url", "events", "enabled"):
            if name in given and getattr(patch, name) is None:
                raise invalid(name, f"{name} cannot be null; leave it out to keep it.")
        values: dict[str, Any] = {}
        if "events" in given:
            if problem := events_problem(patch.events):
                raise invalid(*problem)
            values["events"] = normalized_events(patch.events)
        if "url" in given:
            values["url"] = await self._checked_url(patch.url)
        if "description" in given:
            values["description"] = patch.description
        now = self.now()
        if "enabled" in given:
            if patch.enabled and endpoint.disabled_at is not None:
                # Resumed: held deliveries go out now, and the failing streak starts over.
                values.update(disabled_at=None, disabled_reason=None, failing_since=None)
                wake_after_commit(session, self.notifications.webhook_wakeup)
            elif not patch.enabled and endpoint.disabled_at is None:
                values.update(disabled_at=now, disabled_reason="manual")
        if values:
            values["updated_at"] = now
            await webhooks_repo.update_endpoint(session, endpoint.id, values)
            await session.refresh(endpoint)
        return endpoint

    async def roll_secret(self, session: AsyncSession, organization_id: str, endpoint_id: str,
                          expires_in_s: int) -> WebhookEndpoint:
        """A new secret; the current one keeps signing beside it for `expires_in_s` (0: not at all)."""
        endpoint = await self.get(session, organization_id, endpoint_id)
        now = self.now()
        await webhooks_repo.update_endpoint(session, endpoint.id, {
            "secret": new_webhook_secret(), "previous_secret": endpoint.secret if expires_in_s else None,
            "previous_secret_expires_at": now + timedelta(seconds=expires_in_s) if expires_in_s else None,
            "updated_at": now})
        await session.refresh(endpoint)
        return endpoint

    def _enabled(self, endpoint: WebhookEndpoint) -> None:
        if endpoint.disabled_at is not None:
            raise conflict("endpoint_disabled", f"Webhook endpoint {endpoint.id} is disabled "
                           f"({endpoint.disabled_reason}); enable it first (PATCH with enabled=true).")

    async def send_test(self, session: AsyncSession, organization_id: str, endpoint_id: str) -> WebhookDelivery:
        """A `webhook.test` event to this endpoint only, through the normal delivery path (signed, retried, logged)."""
        endpoint = await self.get(session, organization_id, endpoint_id)
        self._enabled(endpoint)
        now = self.now()
        event_id = new_id("evt_test")
        body = webhook_body(event_id, TEST_EVENT, now, organization_id, {
            "endpoint_id": endpoint.id, "message": "A test event from Duely: your endpoint receives and verifies "
                                                   "webhooks."})
        delivery_id = new_id("wd")
        await repo.insert_delivery(session, {
            "id": delivery_id, "endpoint_id": endpoint.id, "organization_id": organization_id,
            "event_id": event_id, "event_type": TEST_EVENT, "payload": body, "status": "pending", "attempts": 0,
            "next_attempt_at": now, "last_status_code": None, "last_error": None, "created_at": now,
            "completed_at": None, "round_start": 0, "replays": 0})
        wake_after_commit(session, self.notifications.webhook_wakeup)
        return await webhooks_repo.get_delivery(session, organization_id, endpoint.id, delivery_id)

    # -- the delivery log ------------------------------------------------------------

    async def deliveries(self, session: AsyncSession, organization_id: str, filters: DeliveryFilters, limit: int,
                         cursor: str | None = None, starting_after: str | None = None) -> Page[WebhookDelivery]:
        if filters.endpoint_id is not None:
            await self.get(session, organization_id, filters.endpoint_id)  # 404 for another organization's
        return await webhooks_repo.page_deliveries(session, organization_id, filters, limit, cursor=cursor,
                                                   starting_after=starting_after)

    async def delivery(self, session: AsyncSession, organization_id: str, endpoint_id: str,
                       delivery_id: str) -> tuple[WebhookDelivery, list[WebhookDeliveryAttempt]]:
        endpoint = await self.get(session, organization_id, endpoint_id)
        delivery = found(await webhooks_repo.get_delivery(session, organization_id, endpoint.id, delivery_id),
                         "webhook delivery", delivery_id)
        return delivery, list(await webhooks_repo.attempts_of(session, delivery.id))

    # -- replays -----------------------------------------------------------------------

    async def replay(self, session: AsyncSession, organization_id: str, endpoint_id: str,
                     delivery_id: str) -> WebhookDelivery:
        """The same delivery (same body, same webhook-id) due again now, with a new round of retries."""
        delivery, _ = await self.delivery(session, organization_id, endpoint_id, delivery_id)
        self._enabled(await self.get(session, organization_id, endpoint_id))
        if not await webhooks_repo.replay_delivery(session, delivery.id, self.now()):
            raise conflict("delivery_in_flight", f"Webhook delivery {delivery.id} is being sent right now; "
                           "replay it once this attempt is recorded.")
        wake_after_commit(session, self.notifications.webhook_wakeup)
        await session.refresh(delivery)
        return delivery

    async def replay_since(self, session: AsyncSession, organization_id: str, endpoint_id: str, status: str,
                           since: datetime) -> int:
        endpoint = await self.get(session, organization_id, endpoint_id)
        self._enabled(endpoint)
        count = await webhooks_repo.replay_since(session, endpoint.id, status, since, self.now())
        if count:
            wake_after_commit(session, self.notifications.webhook_wakeup)
        return count

    # -- after each attempt (the dispatcher, in the transaction recording it) -----------

    async def attempt_recorded(self, session: AsyncSession, row: dict[str, Any], *, status_code: int | None,
                               error: str | None, duration_ms: int, next_retry_at: datetime | None,
                               now: datetime) -> None:
        """Log the attempt; a success ends the endpoint's failing streak, a failure starts or continues it, and
        a streak as long as `webhook_disable_after_s` disables the endpoint and emails the organization."""
        await webhooks_repo.insert_attempt(session, {
            "id": new_id("wda"), "delivery_id": row["id"], "organization_id": row["organization_id"],
            "number": row["attempts"], "status_code": status_code, "duration_ms": duration_ms,
            "error": error[:500] if error else None, "next_retry_at": next_retry_at, "attempted_at": now})
        if error is None:
            await webhooks_repo.note_success(session, row["endpoint_id"])
            return
        await webhooks_repo.note_failure(session, row["endpoint_id"], now)
        disabled = await webhooks_repo.disable_if_failing_since(
            session, row["endpoint_id"], now - timedelta(seconds=self.settings.webhook_disable_after_s), now)
        if disabled is not None:
            await self._tell_organization(session, disabled, error)

    async def _tell_organization(self, session: AsyncSession, endpoint: WebhookEndpoint, error: str | None) -> None:
        address = await webhooks_repo.organization_reply_to(session, endpoint.organization_id)
        log.warning("webhook endpoint disabled after failing", extra={
            "endpoint_id": endpoint.id, "organization_id": endpoint.organization_id,
            "failing_since": str(endpoint.failing_since), "emailed": bool(address)})
        key = await self.notifications.queue("webhook_endpoint_disabled", session, endpoint.organization_id,
                                             EndpointDisabled(endpoint.id, endpoint.url, as_utc(endpoint.disabled_at),
                                                              as_utc(endpoint.failing_since), error,
                                                              (address,) if address else ()))
        if not address:
            await webhooks_repo.skip_unsent(session, key, NO_ADDRESS)
