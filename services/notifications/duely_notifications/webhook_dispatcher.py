"""The delivery worker: POSTs due webhook deliveries, signed per the Standard Webhooks spec.

`webhook-id` is the event id, so a receiver dedupes our retries (and any resend
after a crash between the POST and recording it). A 2xx ends the delivery;
anything else is retried with exponential backoff, then marked failed.

Every delivery is its own task, bounded by one overall deadline and sent through
the outbound guard (no redirects followed). Nothing waits for the slowest of a
batch: a slot frees as soon as its delivery is recorded, and the next due
delivery takes it. An organization can hold at most `webhook_organization_concurrency`
slots (an endpoint `webhook_endpoint_concurrency`), so one tenant's slow endpoints
leave the other slots to everyone else. Claims are renewed while a delivery
runs (claims.py). The log keeps the status code and a short reason of our own,
never what the endpoint answered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks import Webhook

from duely_contracts.events import WebhookDeliveryOutcome
from duely_runtime.db import Database
from duely_runtime.outbound import OutboundClient, OutboundFailed, OutboundRefused
from duely_runtime.outbox import Outbox

from duely_notifications import repository as repo
from duely_notifications.claims import ClaimKeeper
from duely_notifications.domain.retry import next_retry_at
from duely_notifications.domain.webhooks import is_success
from duely_notifications.models import WebhookDelivery
from duely_notifications.service import Notifications
from duely_notifications.webhooks.service import WebhookEndpoints, secrets_signing

log = logging.getLogger(__name__)

ENDPOINT_DELETED = "endpoint deleted"


def signed_headers(secret: str | list[str], event_id: str, body: str, now: datetime) -> dict[str, str]:
    """During a secret's roll both secrets sign: their signatures space separated, as the spec allows."""
    timestamp = now.astimezone(timezone.utc)
    signing = [secret] if isinstance(secret, str) else secret
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": " ".join(Webhook(each).sign(event_id, timestamp, body) for each in signing),
        "content-type": "application/json",
        "user-agent": "Duely-Webhooks/1.0",
    }


class WebhookDispatcher:
    def __init__(self, db: Database, outbox: Outbox, notifications: Notifications,
                 client: OutboundClient | None = None, webhooks: WebhookEndpoints | None = None) -> None:
        self.db = db
        self.outbox = outbox
        self.notifications = notifications
        self.webhooks = webhooks or WebhookEndpoints(notifications)
        self.settings = notifications.settings
        self.client = client
        self.claims = ClaimKeeper(db, WebhookDelivery.__table__, self.settings.claim_lease_s, notifications.clock)
        self._running: set[asyncio.Task] = set()
        self._per_organization: Counter[str] = Counter()
        self._per_endpoint: Counter[str] = Counter()
        self._slot_freed = asyncio.Event()

    async def run(self) -> None:
        own_client = self.client is None
        if own_client:
            self.client = OutboundClient(self.notifications.guard, max_connections=self.settings.webhook_concurrency)
        keeper = asyncio.create_task(self.claims.run(), name="webhook-claims")
        try:
            while True:
                self.notifications.webhook_wakeup.clear()
                self._slot_freed.clear()
                await self.dispatch_due()
                await self._until_more_work()
        finally:
            keeper.cancel()
            for task in self._running:
                task.cancel()
            await asyncio.gather(keeper, *self._running, return_exceptions=True)
            if own_client:
                await self.client.aclose()

    async def _until_more_work(self) -> None:
        """Sleep until something was queued, a slot freed up, or a poll interval passed."""
        waiters = [asyncio.ensure_future(self.notifications.webhook_wakeup.wait()),
                   asyncio.ensure_future(self._slot_freed.wait())]
        try:
            await asyncio.wait(waiters, timeout=self._sleep_s(), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    def _sleep_s(self) -> float:
        # Short backoffs (tests) must not wait for a whole poll interval.
        shortest = min(self.settings.webhook_backoff_s, default=self.settings.worker_poll_interval_s)
        return max(0.05, min(self.settings.worker_poll_interval_s, shortest))

    # -- claiming ---------------------------------------------------------------------------

    def _busy(self) -> tuple[set[str], set[str]]:
        s = self.settings
        return ({org for org, n in self._per_organization.items() if n >= s.webhook_organization_concurrency},
                {ep for ep, n in self._per_endpoint.items() if n >= s.webhook_endpoint_concurrency})

    async def dispatch_due(self) -> int:
        """Claim due deliveries into the free slots, each started as its own task; returns how many started."""
        started = 0
        while (free := self.settings.webhook_concurrency - len(self._running)) > 0:
            busy_organizations, busy_endpoints = self._busy()
            async with self.db.transaction() as session:
                candidates = await repo.due_deliveries(session, self.notifications.clock(), free,
                                                       busy_organizations=busy_organizations,
                                                       busy_endpoints=busy_endpoints)
                rows = await repo.lease(session, WebhookDelivery.__table__, self._within_caps(candidates),
                                        self.claims.lease_until())
                for row in rows:  # held before the commit: renewal covers the row from the start
                    self.claims.hold(row["id"], row["claim_token"])
            for row in rows:
                self._start(row)
            started += len(rows)
            if len(candidates) < free or not rows:
                break  # nothing more is due now (rows left out by a cap wait for a slot of their tenant)
        return started

    def _within_caps(self, candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
        s = self.settings
        organizations, endpoints = Counter(self._per_organization), Counter(self._per_endpoint)
        chosen = []
        for row in candidates:
            if (organizations[row["organization_id"]] < s.webhook_organization_concurrency
                    and endpoints[row["endpoint_id"]] < s.webhook_endpoint_concurrency):
                organizations[row["organization_id"]] += 1
                endpoints[row["endpoint_id"]] += 1
                chosen.append(row)
        return chosen

    def _start(self, row: dict[str, Any]) -> None:
        self._per_organization[row["organization_id"]] += 1
        self._per_endpoint[row["endpoint_id"]] += 1
        task = asyncio.create_task(self.deliver(row), name=f"webhook-{row['id']}")
        self._running.add(task)
        task.add_done_callback(lambda done: self._finished(done, row))

    def _finished(self, task: asyncio.Task, row: dict[str, Any]) -> None:
        self._running.discard(task)
        self.claims.release(row["id"])
        for counter, key in ((self._per_organization, row["organization_id"]), (self._per_endpoint, row["endpoint_id"])):
            counter[key] -= 1
            if counter[key] <= 0:
                del counter[key]
        if not task.cancelled() and task.exception() is not None:
            # Not recorded: the claim lapses after its lease and the delivery is tried again.
            log.error("webhook delivery crashed", exc_info=task.exception(), extra={"delivery_id": row["id"]})
        self._slot_freed.set()

    # -- one delivery -----------------------------------------------------------------------

    async def deliver(self, row: dict[str, Any]) -> None:
        """POST one delivery and record its outcome."""
        async with self.db.read() as session:
            endpoints = await repo.endpoints_by_id(session, [row["endpoint_id"]])
        started = time.monotonic()
        status_code, error = await self._post(row, endpoints.get(row["endpoint_id"]))
        duration_ms = round((time.monotonic() - started) * 1000)
        async with self.db.transaction() as session:
            await self._record(session, row, status_code, error, duration_ms)

    async def _post(self, row: dict[str, Any], endpoint) -> tuple[int | None, str | None]:
        if endpoint is None or endpoint.deleted_at is not None:
            return None, ENDPOINT_DELETED
        now = self.notifications.clock()
        headers = signed_headers(secrets_signing(endpoint, now), row["event_id"], row["payload"], now)
        try:
            response = await self.client.request("POST", endpoint.url, headers=headers,
                                                 content=row["payload"].encode(),
                                                 deadline_s=self.settings.webhook_timeout_s, max_bytes=0)
        except OutboundRefused as exc:
            return None, f"refused: the url {exc}"
        except OutboundFailed as exc:
            return None, str(exc)
        if is_success(response.status_code):
            return response.status_code, None
        return response.status_code, response.summary

    async def _record(self, session: AsyncSession, row: dict[str, Any], status_code: int | None,
                      error: str | None, duration_ms: int = 0) -> None:
        now = self.notifications.clock()
        succeeded = error is None
        # The backoff counts this round's attempts: a replay starts a new round (round_start).
        retry_at = None if succeeded or error == ENDPOINT_DELETED else next_retry_at(
            row["attempts"] - (row.get("round_start") or 0), self.settings.webhook_backoff_s, now)
        status = "succeeded" if succeeded else ("pending" if retry_at else "failed")
        recorded = await repo.record_delivery_attempt(
            session, row["id"], row["claim_token"], status=status, status_code=status_code, error=error,
            next_attempt_at=retry_at, completed_at=None if status == "pending" else now)
        if recorded and error != ENDPOINT_DELETED:
            await self.webhooks.attempt_recorded(session, row, status_code=status_code, error=error,
                                                 duration_ms=duration_ms, next_retry_at=retry_at, now=now)
        if not recorded or status == "pending":
            if recorded:
                log.info("webhook delivery will be retried", extra={
                    "delivery_id": row["id"], "attempts": row["attempts"], "error": error})
            return
        await self.outbox.emit(session, "webhook.delivery_outcome", WebhookDeliveryOutcome(
            delivery_id=row["id"], endpoint_id=row["endpoint_id"], event_id=row["event_id"],
            event_type=row["event_type"], succeeded=succeeded, attempts=row["attempts"], status_code=status_code),
            organization_id=row["organization_id"], aggregate_id=row["id"], aggregate_version=row["attempts"])
