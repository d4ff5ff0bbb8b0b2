"""Journeys through the platform's public API: create → approve → pay, then the `invoice.paid` webhook
and the receipt email arrive on their own. Closed loop (N at a time) or open loop (on a schedule)."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

import httpx

from duely_devstack.bench_schedule import due_times, sleep_until
from duely_devstack.bench_session import Session

INVOICE = {"currency": "usd", "lines": [{"description": "Widget", "quantity": 2, "unit_amount": 1250,
                                         "tax_rates": [{"display_name": "VAT", "percentage": "20",
                                                        "inclusive": False}]}]}


def retry_later(response: httpx.Response) -> bool:
    if response.status_code == 503:
        return True
    if response.status_code != 409:
        return False
    try:
        return response.json()["error"]["code"] == "idempotency_key_in_use"
    except (ValueError, KeyError, TypeError):
        return False


@dataclass
class Journey:
    due: float                 # when it was meant to start (closed loop: when it started)
    start: float = 0.0
    created: float = 0.0
    approved: float = 0.0
    charged: float = 0.0
    invoice_id: str = ""
    number: str = ""
    failed: str = ""

    def paid_webhook(self, session: Session) -> float | None:
        return session.events.paid.get(self.invoice_id)

    def receipt(self, session: Session) -> float | None:
        return session.events.receipts.get(self.number)

    def finished(self, session: Session) -> float | None:
        """When both the paid webhook and the receipt had arrived (None while either is missing)."""
        paid, receipt = self.paid_webhook(session), self.receipt(session)
        return max(paid, receipt) if paid and receipt else None


def failure(exc: Exception, journey: Journey) -> str:
    """A short kind, for counting: the call that failed and how ("approve: HTTP 500")."""
    step = "pay" if journey.approved else "approve" if journey.created else "create"
    if isinstance(exc, httpx.HTTPStatusError):
        return f"{step}: HTTP {exc.response.status_code}"
    return f"{step}: {type(exc).__name__}"


class Driver:
    def __init__(self, session: Session, api: httpx.AsyncClient, customer_id: str) -> None:
        self.session, self.api, self.customer_id = session, api, customer_id
        self.retries = 0

    @classmethod
    async def open(cls, session: Session, max_connections: int) -> "Driver":
        api = httpx.AsyncClient(base_url=session.platform.config.url("gateway"), timeout=120,
                                limits=httpx.Limits(max_connections=max_connections, keepalive_expiry=1.0),
                                headers={"Authorization": f"Bearer {session.api_key}"})
        hook = await api.post("/v1/webhook_endpoints", json={
            "url": f"http://127.0.0.1:{session.events_port}/hook", "events": ["invoice.issued", "invoice.paid"]})
        hook.raise_for_status()
        customer = await api.post("/v1/customers", json={"name": "Bench Buyer", "email": "buyer@bench.example"})
        customer.raise_for_status()
        return cls(session, api, customer.json()["id"])

    async def close(self) -> None:
        await self.api.aclose()

    async def post(self, path: str, key: str, body: dict | None = None) -> dict:
        """POST with an Idempotency-Key, retrying the way a client should: a 503, and a 409 saying the
        same key's first request is still being handled (its answer is replayed once it is done)."""
        for attempt in range(6):
            response = await self.api.post(path, headers={"Idempotency-Key": key}, json=body)
            if not retry_later(response) or attempt == 5:
                response.raise_for_status()
                return response.json()
            self.retries += 1
            await asyncio.sleep(0.5 * 2 ** attempt)
        raise AssertionError("unreachable")

    async def run(self, journey: Journey) -> None:
        journey.start = time.perf_counter()
        try:
            draft = await self.post("/v1/invoices", f"bench-create-{uuid.uuid4().hex}",
                                    {"customer_id": self.customer_id, **INVOICE})
            journey.invoice_id, journey.created = draft["id"], time.perf_counter()
            approved = await self.post(f"/v1/invoices/{journey.invoice_id}/approve", f"bench-approve-{draft['id']}")
            journey.number, journey.approved = approved["number"], time.perf_counter()
            await self.post(f"/v1/invoices/{journey.invoice_id}/pay", f"bench-pay-{draft['id']}",
                            {"payment_method": "pm_card_visa"})
            journey.charged = time.perf_counter()
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            journey.failed = failure(exc, journey)

    async def closed_loop(self, count: int, concurrency: int, until_receipt_s: float = 0.0) -> list[Journey]:
        """`concurrency` workers, each starting its next journey when its last one's pay call returned, or
        with `until_receipt_s`, once its paid webhook and receipt arrived (at most that long): the loop
        then closes over the whole pipeline, and no backlog can build up behind the calls."""
        journeys: list[Journey] = []
        remaining = iter(range(count))

        async def worker() -> None:
            for _ in remaining:
                journey = Journey(due=time.perf_counter())
                journeys.append(journey)
                await self.run(journey)
                deadline = time.perf_counter() + until_receipt_s
                while not journey.failed and not journey.finished(self.session) and time.perf_counter() < deadline:
                    await asyncio.sleep(0.05)
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        journeys.sort(key=lambda j: j.start)
        return journeys

    async def open_loop(self, rate: float, count: int, max_in_flight: int) -> list[Journey]:
        """Journey i starts at start + i / rate whether or not the earlier ones finished; beyond
        `max_in_flight` unfinished calls a journey waits for a slot, and starts late."""
        slots = asyncio.Semaphore(max_in_flight)
        journeys = [Journey(due=t) for t in due_times(rate, count, time.perf_counter() + 0.5)]

        async def one(journey: Journey) -> None:
            async with slots:
                await self.run(journey)
        tasks = []
        for journey in journeys:
            await sleep_until(journey.due)
            tasks.append(asyncio.create_task(one(journey)))
        await asyncio.gather(*tasks)
        return journeys

    async def wait_finished(self, journeys: list[Journey], timeout_s: float, receipts: bool = True) -> None:
        """Until every journey that got through its calls has its paid webhook (and its receipt, unless
        `receipts` is False), or the timeout."""
        deadline = time.monotonic() + timeout_s
        waiting = [j for j in journeys if not j.failed]
        while waiting and time.monotonic() < deadline:
            await asyncio.sleep(0.25)
            waiting = [j for j in waiting if (j.finished(self.session) if receipts else j.paid_webhook(self.session))
                       is None]

    async def autopay(self, count: int, concurrency: int) -> list[Journey]:
        """Invoices to a customer on AutoPay (on issue, saved card): approve only; dunning's timeline asks
        payments to charge, and the journey ends at the paid webhook (its `charged` stays 0)."""
        customer = await self.api.post("/v1/customers", json={
            "name": "AutoPay Buyer", "email": "autopay@bench.example",
            "autopay": {"enabled": True, "timing": "on_issue"}})
        customer.raise_for_status()
        customer_id = customer.json()["id"]
        saved = await self.api.post(f"/v1/customers/{customer_id}/payment_methods",
                                    json={"payment_method": "pm_card_visa"})
        saved.raise_for_status()
        journeys: list[Journey] = []
        remaining = iter(range(count))

        async def worker() -> None:
            for _ in remaining:
                journey = Journey(due=time.perf_counter(), start=time.perf_counter())
                journeys.append(journey)
                try:
                    draft = await self.post("/v1/invoices", f"bench-create-{uuid.uuid4().hex}", {
                        "customer_id": customer_id, "currency": "usd",
                        "lines": [{"description": "Subscription", "quantity": 1, "unit_amount": 4900}]})
                    journey.invoice_id, journey.created = draft["id"], time.perf_counter()
                    approved = await self.post(f"/v1/invoices/{draft['id']}/approve", f"bench-approve-{draft['id']}")
                    journey.number, journey.approved = approved["number"], time.perf_counter()
                except (httpx.HTTPError, KeyError, ValueError) as exc:
                    journey.failed = failure(exc, journey)
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return journeys
