"""The delivery worker: POSTs due webhook deliveries, signed per the Standard Webhooks spec.

`webhook-id` is the event id, so a receiver dedupes our retries (and any resend
after a crash between the POST and recording it). A 2xx ends the delivery;
anything else is retried with exponential backoff, then marked failed.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks import Webhook

from duely_contracts.events import WebhookDeliveryOutcome
from duely_runtime.db import Database
from duely_runtime.outbox import Outbox

from duely_notifications import repository as repo
from duely_notifications.domain.retry import next_retry_at
from duely_notifications.domain.webhooks import is_success
from duely_notifications.service import Notifications

log = logging.getLogger(__name__)


def signed_headers(secret: str, event_id: str, body: str, now: datetime) -> dict[str, str]:
    timestamp = now.astimezone(timezone.utc)
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(event_id, timestamp, body),
        "content-type": "application/json",
        "user-agent": "Duely-Webhooks/1.0",
    }


class WebhookDispatcher:
    def __init__(self, db: Database, outbox: Outbox, notifications: Notifications,
                 client: httpx.AsyncClient | None = None) -> None:
        self.db = db
        self.outbox = outbox
        self.notifications = notifications
        self.settings = notifications.settings
        self.client = client
        self._limit = asyncio.Semaphore(self.settings.webhook_concurrency)

    async def run(self) -> None:
        wakeup = self.notifications.webhook_wakeup
        async with httpx.AsyncClient(timeout=self.settings.webhook_timeout_s, follow_redirects=False) as client:
            self.client = client
            while True:
                wakeup.clear()
                if await self.deliver_due_batch() >= self.settings.webhook_batch_size:
                    continue
                try:
                    await asyncio.wait_for(wakeup.wait(), self._sleep_s())
                except asyncio.TimeoutError:
                    pass

    def _sleep_s(self) -> float:
        # Short backoffs (tests) must not wait for a whole poll interval.
        shortest = min(self.settings.webhook_backoff_s, default=self.settings.worker_poll_interval_s)
        return max(0.05, min(self.settings.worker_poll_interval_s, shortest))

    async def deliver_due_batch(self) -> int:
        now = self.notifications.clock()
        lease_until = now + timedelta(seconds=self.settings.claim_lease_s)
        async with self.db.transaction() as session:
            rows = await repo.claim_due_deliveries(session, now, lease_until, self.settings.webhook_batch_size)
            endpoints = await repo.endpoints_by_id(session, list({r["endpoint_id"] for r in rows})) if rows else {}
        if not rows:
            return 0
        results = await asyncio.gather(*(self._post(row, endpoints.get(row["endpoint_id"])) for row in rows))
        async with self.db.transaction() as session:
            for row, (status_code, error) in zip(rows, results):
                await self._record(session, row, status_code, error)
        return len(rows)

    async def _post(self, row: dict[str, Any], endpoint) -> tuple[int | None, str | None]:
        if endpoint is None or endpoint.deleted_at is not None:
            return None, "endpoint deleted"
        async with self._limit:
            headers = signed_headers(endpoint.secret, row["event_id"], row["payload"], self.notifications.clock())
            try:
                response = await self.client.post(endpoint.url, content=row["payload"].encode(), headers=headers)
            except httpx.HTTPError as exc:
                return None, f"{type(exc).__name__}: {exc}"
        if is_success(response.status_code):
            return response.status_code, None
        return response.status_code, f"HTTP {response.status_code}: {response.text[:500]}"

    async def _record(self, session: AsyncSession, row: dict[str, Any], status_code: int | None,
                      error: str | None) -> None:
        now = self.notifications.clock()
        succeeded = error is None
        retry_at = None if succeeded or error == "endpoint deleted" else next_retry_at(
            row["attempts"], self.settings.webhook_backoff_s, now)
        status = "succeeded" if succeeded else ("pending" if retry_at else "failed")
        recorded = await repo.record_delivery_attempt(
            session, row["id"], status=status, status_code=status_code, error=error, next_attempt_at=retry_at,
            completed_at=None if status == "pending" else now)
        if not recorded or status == "pending":
            if recorded:
                log.info("webhook delivery will be retried", extra={
                    "delivery_id": row["id"], "attempts": row["attempts"], "error": error})
            return
        await self.outbox.emit(session, "webhook.delivery_outcome", WebhookDeliveryOutcome(
            delivery_id=row["id"], endpoint_id=row["endpoint_id"], event_id=row["event_id"],
            event_type=row["event_type"], succeeded=succeeded, attempts=row["attempts"], status_code=status_code),
            organization_id=row["organization_id"], aggregate_id=row["id"], aggregate_version=row["attempts"])
