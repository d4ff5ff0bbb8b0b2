"""`make bench`: push invoices through approve → pay → paid → receipt → webhooks on the
embedded stack and print throughput, latency and where the time goes; then the invoicing
service's own figures: PDF render time and listing 10,000 invoices page by page.

    python -m duely_devstack.bench [--invoices 2000] [--concurrency 32] [--autopay 500]

The AutoPay run issues `--autopay` invoices to a customer with AutoPay on issue and a saved card:
nobody calls pay; dunning's timeline asks payments to charge, and the figure is approve → paid webhook.

It starts its own platform in a fresh state directory (SQLite, the embedded broker) on
ports 18000+, so it never disturbs a running `make run`. It prints figures; nothing asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from duely_devstack.maildir import read_messages
from duely_devstack.platform import Platform, PlatformConfig


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Timeline:
    """Per-invoice timestamps of each stage, in perf_counter seconds."""

    def __init__(self) -> None:
        self.stamps: dict[str, dict[str, float]] = {}

    def mark(self, invoice_id: str, stage: str) -> None:
        self.stamps.setdefault(invoice_id, {})[stage] = time.perf_counter()


async def run(n: int, concurrency: int, keep: bool, autopay: int = 0) -> None:
    var = Path(tempfile.mkdtemp(prefix="duely-bench-"))
    platform = Platform(PlatformConfig(var_dir=var, base_port=18000, broker_port=19092, smtp_port=11025,
                                       stripe_port=18420))
    timeline = Timeline()
    webhook_paid = asyncio.Event()
    paid_count = 0
    autopay_waiting: set[str] = set()
    autopay_paid = asyncio.Event()

    async def hook(request: Request) -> Response:
        nonlocal paid_count
        body = json.loads(await request.body())
        if body["type"] == "invoice.paid":
            invoice_id = body["data"]["invoice"]["id"]
            if "paid_webhook" not in timeline.stamps.get(invoice_id, {}):
                timeline.mark(invoice_id, "paid_webhook")
                paid_count += 1
                if paid_count >= n:
                    webhook_paid.set()
                if invoice_id in autopay_waiting:
                    autopay_waiting.discard(invoice_id)
                    if not autopay_waiting:
                        autopay_paid.set()
        return Response(status_code=204)

    receiver = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/hook", hook, methods=["POST"])]),
                                             host="127.0.0.1", port=18999, log_config=None, access_log=False))
    receiver_task = asyncio.create_task(receiver.serve())
    print(f"starting the embedded platform in {var} ...", flush=True)
    await asyncio.to_thread(platform.start)
    try:
        demo = await asyncio.to_thread(platform.seed_demo_org, "Bench Co")
        limits = httpx.Limits(max_connections=concurrency * 2)
        async with httpx.AsyncClient(base_url=platform.config.url("gateway"), timeout=60, limits=limits,
                                     headers={"Authorization": f"Bearer {demo['api_key']}"}) as api:
            hook_response = await api.post("/v1/webhook_endpoints", json={
                "url": "http://127.0.0.1:18999/hook", "events": ["invoice.issued", "invoice.paid"]})
            hook_response.raise_for_status()
            customer = (await api.post("/v1/customers", json={"name": "Bench Buyer",
                                                              "email": "buyer@bench.example"})).json()
            print(f"creating {n} draft invoices ...", flush=True)
            drafts = await _bounded(concurrency, [lambda: api.post("/v1/invoices", json={
                "customer_id": customer["id"], "currency": "usd",
                "lines": [{"description": "Widget", "quantity": 2, "unit_amount": 1250,
                           "tax_rates": [{"display_name": "VAT", "percentage": "20", "inclusive": False}]}]})
                for _ in range(n)])
            ids = [d.json()["id"] for d in drafts]
            print(f"running {n} journeys (approve → pay → paid webhook), concurrency {concurrency} ...", flush=True)

            retries = 0

            async def post(path: str, **kwargs) -> None:
                """POST with an Idempotency-Key, retrying a 503 the way a client should."""
                nonlocal retries
                headers = {"Idempotency-Key": f"bench-{path}"}
                for attempt in range(6):
                    response = await api.post(path, headers=headers, **kwargs)
                    if response.status_code != 503 or attempt == 5:
                        response.raise_for_status()
                        return
                    retries += 1
                    await asyncio.sleep(0.5 * 2 ** attempt)

            async def journey(invoice_id: str) -> None:
                timeline.mark(invoice_id, "start")
                await post(f"/v1/invoices/{invoice_id}/approve")
                timeline.mark(invoice_id, "approved")
                await post(f"/v1/invoices/{invoice_id}/pay", json={"payment_method": "pm_card_visa"})
                timeline.mark(invoice_id, "charged")

            started = time.perf_counter()
            await _bounded(concurrency, [lambda i=i: journey(i) for i in ids])
            await asyncio.wait_for(webhook_paid.wait(), timeout=600)
            elapsed = time.perf_counter() - started
            receipts = await _wait_for_receipts(platform, n)
            report(timeline, ids, elapsed, receipts)
            print(f"HTTP 503 answers retried: {retries}")
            if autopay:
                await autopay_run(api, autopay, concurrency, timeline, autopay_waiting, autopay_paid)
    finally:
        await asyncio.to_thread(platform.stop)
        receiver.should_exit = True
        await receiver_task
        if not keep:
            shutil.rmtree(var, ignore_errors=True)


async def autopay_run(api: httpx.AsyncClient, n: int, concurrency: int, timeline: Timeline,
                      waiting: set[str], all_paid: asyncio.Event) -> None:
    """N invoices to a customer on AutoPay (on issue, a saved card): approve, and wait for the paid webhooks."""
    customer = (await api.post("/v1/customers", json={
        "name": "AutoPay Buyer", "email": "autopay@bench.example",
        "autopay": {"enabled": True, "timing": "on_issue"}})).json()
    saved = await api.post(f"/v1/customers/{customer['id']}/payment_methods", json={"payment_method": "pm_card_visa"})
    saved.raise_for_status()
    print(f"\nAutoPay run: creating {n} drafts for a customer on AutoPay (on issue, saved card) ...", flush=True)
    drafts = await _bounded(concurrency, [lambda: api.post("/v1/invoices", json={
        "customer_id": customer["id"], "currency": "usd",
        "lines": [{"description": "Subscription", "quantity": 1, "unit_amount": 4900}]}) for _ in range(n)])
    ids = [d.json()["id"] for d in drafts]
    waiting.update(ids)

    async def approve(invoice_id: str) -> None:
        timeline.mark(invoice_id, "start")
        response = await api.post(f"/v1/invoices/{invoice_id}/approve", headers={"Idempotency-Key": f"ap-{invoice_id}"})
        response.raise_for_status()
        timeline.mark(invoice_id, "approved")

    started = time.perf_counter()
    await _bounded(concurrency, [lambda i=i: approve(i) for i in ids])
    try:
        await asyncio.wait_for(all_paid.wait(), timeout=600)
    except asyncio.TimeoutError:
        print(f"AutoPay run: {len(waiting)} of {n} invoices not paid after 600 s")
    elapsed = time.perf_counter() - started
    done = [i for i in ids if "paid_webhook" in timeline.stamps.get(i, {})]
    print(f"{len(done)} AutoPay invoices paid in {elapsed:.1f} s: {len(done) / elapsed:.1f} invoices/s")
    values = [(timeline.stamps[i]["paid_webhook"] - timeline.stamps[i]["approved"]) * 1000 for i in done]
    if values:
        print(f"{'issue → invoice.paid webhook (AutoPay, no pay call)':<52} {percentile(values, 50):>9.1f} "
              f"{percentile(values, 99):>9.1f} {statistics.fmean(values):>9.1f}")


async def _bounded(limit: int, factories) -> list:
    semaphore = asyncio.Semaphore(limit)

    async def one(factory):
        async with semaphore:
            return await factory()
    return await asyncio.gather(*(one(f) for f in factories))


async def _wait_for_receipts(platform: Platform, n: int, timeout: float = 300) -> int:
    deadline = time.monotonic() + timeout
    count = 0
    while time.monotonic() < deadline:
        count = sum(1 for m in read_messages(platform.config.maildir) if "Receipt" in str(m["Subject"]))
        if count >= n:
            break
        await asyncio.sleep(0.5)
    return count


def report(timeline: Timeline, ids: list[str], elapsed: float, receipts: int) -> None:
    def stage(a: str, b: str) -> list[float]:
        return [(timeline.stamps[i][b] - timeline.stamps[i][a]) * 1000 for i in ids]

    rows = [("approve (HTTP, number + snapshot + outbox)", stage("start", "approved")),
            ("pay (HTTP, sandbox charge + outbox)", stage("approved", "charged")),
            ("charged → invoice.paid webhook (3 hops over Kafka)", stage("charged", "paid_webhook")),
            ("approve → invoice.paid webhook (end to end)", stage("start", "paid_webhook"))]
    print(f"\n{len(ids)} invoices in {elapsed:.1f} s: {len(ids) / elapsed:.1f} invoices/s "
          f"(receipts emailed: {receipts})")
    print(f"{'stage':<52} {'p50 ms':>9} {'p99 ms':>9} {'mean ms':>9}")
    for name, values in rows:
        print(f"{name:<52} {percentile(values, 50):>9.1f} {percentile(values, 99):>9.1f} "
              f"{statistics.fmean(values):>9.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--autopay", type=int, default=500, help="invoices in the AutoPay run (0: skip it)")
    parser.add_argument("--keep", action="store_true", help="keep the state directory")
    parser.add_argument("--skip-journeys", action="store_true", help="only the PDF and listing figures")
    args = parser.parse_args()
    if not args.skip_journeys:
        asyncio.run(run(args.invoices, args.concurrency, args.keep, args.autopay))
    print(flush=True)
    # Separate processes: each measures one component without the platform's load around it.
    subprocess.run([sys.executable, "-m", "duely_invoicing.documents.bench"], check=True)
    subprocess.run([sys.executable, "-m", "duely_invoicing.invoices.listing_bench"], check=True)
    print(flush=True)
    subprocess.run([sys.executable, "-m", "duely_dunning.tick_bench"], check=True)
    if shutil.which("pg_isready") and subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"]).returncode == 0:
        subprocess.run([sys.executable, "-m", "duely_dunning.tick_bench", "--postgres",
                        "postgresql://postgres@127.0.0.1:5432/postgres"], check=True)


if __name__ == "__main__":
    main()
