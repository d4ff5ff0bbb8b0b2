"""Two processes each of payments and notifications on Postgres, sharing their work through the consumer
group and the workers' SKIP LOCKED claims: under a load of card and AutoPay journeys both processes of each
service do work, and once one of each is killed mid-run the survivors finish everything. Every invoice ends
paid by exactly one charge, with one receipt and one `invoice.paid` webhook (transport duplicates of a
webhook keep its id; effects are never doubled)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import default
from pathlib import Path

import httpx
import pytest
import stripe
from prometheus_client.parser import text_string_to_metric_families
from standardwebhooks.webhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from duely_devstack.platform import INTERNAL_HEADER, SERVICES, Platform, PlatformConfig
from duely_runtime.config import EMBEDDED_SECRET
from tests.conftest import wait_for
from tests.e2e.conftest import started_platform

REPLICAS = {"payments": 2, "notifications": 2}
CARD_BEFORE_KILL, CARD_AROUND_KILL, AUTOPAY = 30, 30, 16
CONCURRENCY = 8
SETTLE_S = 3  # after everything arrived: a duplicate that would come, comes


# -- the platform, scaled ------------------------------------------------------------------

@pytest.fixture(scope="module")
async def scaled(database_url, tmp_path_factory):
    # Databases of this module's own (names unique to it): the session platform's are not shared.
    urls = {service: await database_url(f"scale_{service}") for service in SERVICES}
    async with started_platform(tmp_path_factory.mktemp("scale-var"), urls, {
            "DUELY_NOTIFICATIONS_WEBHOOK_BACKOFF_S": "[0.5, 1, 2, 4]", "DUELY_NOTIFICATIONS_CLAIM_LEASE_S": "5"},
            replicas=REPLICAS) as running:
        yield running


async def new_org(platform: Platform, name: str):
    async with httpx.AsyncClient(base_url=platform.config.url("invoicing"), timeout=10) as invoicing:
        response = await invoicing.post("/internal/organizations", json={"name": name},
                                        headers={INTERNAL_HEADER: EMBEDDED_SECRET})
        response.raise_for_status()
    return httpx.AsyncClient(base_url=platform.config.url("gateway"), timeout=60,
                             limits=httpx.Limits(keepalive_expiry=1.0),
                             headers={"Authorization": f"Bearer {response.json()['api_key']}"})


# -- which process did the work ----------------------------------------------------------------

async def events_processed(platform: Platform, name: str, event_type: str = "") -> int:
    """Events (of one type, or all) this one process handled for the first time: its own /metrics, which
    count per process since its start."""
    async with httpx.AsyncClient(timeout=10) as client:
        text = (await client.get(platform.config.process_url(name) + "/metrics")).text
    return int(sum(sample.value for family in text_string_to_metric_families(text)
                   for sample in family.samples
                   if sample.name == "duely_events_consumed_total" and sample.labels["outcome"] == "processed"
                   and sample.labels["consumer"].endswith(f":{event_type}" if event_type else "")))


def socket_owner(client_port: int, server_port: int, pids: dict[str, int]) -> str | None:
    """Which process holds the client end of a loopback connection client_port → server_port (read from
    /proc while the connection is open): the name of the notifications process that POSTed a webhook."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, remote, inode = (line.split()[i] for i in (1, 2, 9))
        if int(local.rsplit(":", 1)[1], 16) == client_port and int(remote.rsplit(":", 1)[1], 16) == server_port:
            inodes.add(f"socket:[{inode}]")
    for name, pid in pids.items():
        with contextlib.suppress(OSError):
            for fd in os.scandir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(fd.path) in inodes:
                        return name
    return None


@dataclass
class Receiver:
    """The tenants' webhook endpoint: each verified delivery with the notifications process that sent it."""

    port: int = 0
    secrets: list[str] = field(default_factory=list)
    senders: dict[str, int] = field(default_factory=dict)  # process name → pid
    received: list[dict] = field(default_factory=list)

    def verified(self, raw: bytes, headers: dict) -> bool:
        for secret in self.secrets:
            try:
                Webhook(secret).verify(raw, headers)
                return True
            except Exception:
                continue
        return False

    def paid(self, invoice_id: str) -> list[dict]:
        return [r for r in self.received if r["body"]["type"] == "invoice.paid"
                and invoice_id in json.dumps(r["body"]["data"])]


@pytest.fixture(scope="module")
async def receiver(serve, scaled):
    hooks = Receiver(senders={name: scaled.procs[name].pid for name in scaled.config.replica_names("notifications")})

    async def hook(request: Request):
        sender = socket_owner(request.client.port, hooks.port, hooks.senders)
        raw = await request.body()
        if not hooks.verified(raw, dict(request.headers)):
            return JSONResponse({"ok": False}, status_code=400)
        hooks.received.append({"id": request.headers["webhook-id"], "body": json.loads(raw), "sender": sender})
        return JSONResponse({"ok": True})

    async with serve(Starlette(routes=[Route("/hooks", hook, methods=["POST"])])) as url:
        hooks.port = int(url.rsplit(":", 1)[1])
        yield hooks


async def subscribe(api, receiver: Receiver) -> None:
    response = await api.post("/v1/webhook_endpoints", json={
        "url": f"http://127.0.0.1:{receiver.port}/hooks", "events": ["invoice.paid"]})
    assert response.status_code == 201, response.text
    receiver.secrets.append(response.json()["secret"])


# -- the load ----------------------------------------------------------------------------------

async def call(api, method: str, url: str, **kwargs) -> tuple[httpx.Response, int]:
    """A request as a careful client makes it: a 5xx or a dropped connection is sent again, with the same
    Idempotency-Key (a 5xx does not keep the key, so the retry runs; a second effect is what the invariants
    would catch). On a loaded machine the shared Postgres can refuse a connection for a moment ("too many
    clients"); the test checks effects, not that no request ever failed. Returns (response, tries)."""
    for tries in range(1, 9):
        try:
            response = await api.request(method, url, **kwargs)
            if response.status_code < 500:
                return response, tries
        except httpx.TransportError as exc:
            if tries == 8:
                raise AssertionError(f"{method} {url}: {exc!r} eight times") from exc
        await asyncio.sleep(min(0.25 * 2 ** tries, 5))
    raise AssertionError(f"{method} {url}: {response.status_code} eight times: {response.text}")


async def card_journeys(api, count: int, tag: str) -> list[tuple[dict, str]]:
    """create → approve → pay with a card, CONCURRENCY at a time; returns (invoice, customer email) each."""
    slots = asyncio.Semaphore(CONCURRENCY)

    def key(step: str, i: int) -> dict:
        return {"Idempotency-Key": f"{tag}-{step}-{i}"}

    async def journey(i: int) -> tuple[dict, str]:
        async with slots:
            email = f"scale{i}+{tag}@example.com"
            customer, _ = await call(api, "POST", "/v1/customers", headers=key("customer", i),
                                     json={"name": "Ada Lovelace", "email": email})
            assert customer.status_code in (200, 201), customer.text
            draft, _ = await call(api, "POST", "/v1/invoices", headers=key("invoice", i), json={
                "customer_id": customer.json()["id"], "currency": "usd", "payment_terms": "net_30",
                "lines": [{"description": "Consulting hours", "quantity": "1.5", "unit_amount": 20000}]})
            assert draft.status_code in (200, 201), draft.text
            approved, _ = await call(api, "POST", f"/v1/invoices/{draft.json()['id']}/approve",
                                     headers=key("approve", i))
            assert approved.status_code == 200, approved.text
            paid, tries = await call(api, "POST", f"/v1/invoices/{draft.json()['id']}/pay",
                                     json={"payment_method": "pm_card_visa"}, headers=key("pay", i))
            # A retried pay may find the first one's charge holding or having paid the invoice.
            assert paid.status_code == 200 or tries > 1, paid.text
            return approved.json(), email
    return list(await asyncio.gather(*(journey(i) for i in range(count))))


async def autopay_invoices(api, count: int) -> tuple[list[dict], str]:
    """One AutoPay customer (a saved card, charged on the due date) with `count` issued net-7 invoices,
    each with its AutoPay charge planned by dunning."""
    tag = uuid.uuid4().hex[:8]
    email = f"scale-autopay+{tag}@example.com"
    customer, _ = await call(api, "POST", "/v1/customers", headers={"Idempotency-Key": f"{tag}-customer"}, json={
        "name": "Scale AutoPay", "email": email, "autopay": {"enabled": True, "timing": "on_due_date"}})
    assert customer.status_code in (200, 201), customer.text
    customer = customer.json()
    saved, _ = await call(api, "POST", f"/v1/customers/{customer['id']}/payment_methods",
                          headers={"Idempotency-Key": f"{tag}-card"}, json={"payment_method": "pm_card_visa"})
    assert saved.status_code in (200, 201), saved.text
    invoices = []
    for i in range(count):
        draft, _ = await call(api, "POST", "/v1/invoices", headers={"Idempotency-Key": f"{tag}-invoice-{i}"}, json={
            "customer_id": customer["id"], "currency": "usd", "payment_terms": "net_7",
            "lines": [{"description": "Plan", "quantity": 1, "unit_amount": 2500}]})
        assert draft.status_code in (200, 201), draft.text
        approved, _ = await call(api, "POST", f"/v1/invoices/{draft.json()['id']}/approve",
                                 headers={"Idempotency-Key": f"{tag}-approve-{i}"})
        assert approved.status_code == 200, approved.text
        invoices.append(approved.json())

    async def all_planned():
        for inv in invoices:
            timeline, _ = await call(api, "GET", f"/v1/invoices/{inv['id']}/collection")
            if timeline.status_code != 200 or not any(e["kind"] == "autopay_charge"
                                                      for e in timeline.json()["entries"]):
                return False
        return True
    await wait_for(all_planned, timeout=120)
    return invoices, email


# -- the invariants --------------------------------------------------------------------------------

def receipts(maildir: Path) -> Counter[tuple[str, str]]:
    """(recipient, invoice number) of every receipt in the maildir, counted; headers only (PDFs attached)."""
    found: Counter[tuple[str, str]] = Counter()
    for path in [*maildir.glob("new/*"), *maildir.glob("cur/*")]:
        with path.open("rb") as raw:
            headers = BytesHeaderParser(policy=default).parse(raw)
        number = re.search(r"INV-[0-9-]+", str(headers["Subject"]))
        if "Receipt" in str(headers["Subject"]) and number:
            for to in headers["To"].addresses:
                found[(to.addr_spec, number.group())] += 1
    return found


async def everything_arrived(platform: Platform, receiver: Receiver, paid: list[tuple[object, dict, str]]) -> None:
    """Bounded waits: every invoice paid, its receipt in the maildir, its `invoice.paid` webhook received."""
    async def all_paid():
        for api, inv, _ in paid:
            if (await call(api, "GET", f"/v1/invoices/{inv['id']}"))[0].json()["status"] != "paid":
                return False
        return True
    # Generous: on a loaded machine one notifications process renders the receipts' PDFs at 20 a minute.
    await wait_for(all_paid, timeout=420, interval=0.5)

    async def all_receipted():
        found = receipts(platform.config.maildir)
        return all(found[(email, inv["number"])] for _, inv, email in paid)
    await wait_for(all_receipted, timeout=420, interval=1)

    async def all_hooked():
        return all(receiver.paid(inv["id"]) for _, inv, _ in paid)
    await wait_for(all_hooked, timeout=300, interval=0.5)


async def assert_each_effect_once(platform: Platform, receiver: Receiver, paid: list[tuple[object, dict, str]]):
    gateway = stripe.StripeClient("sk_test_sandbox",
                                  base_addresses={"api": f"http://127.0.0.1:{platform.config.stripe_port}"})
    intents = await asyncio.to_thread(
        lambda: list(gateway.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()))
    charged = Counter(pi.metadata.to_dict().get("duely_invoice_id") for pi in intents if pi.status == "succeeded")
    mailed = receipts(platform.config.maildir)
    for api, inv, email in paid:
        assert charged[inv["id"]] == 1, (inv["id"], charged[inv["id"]])
        attempts = (await call(api, "GET", f"/v1/invoices/{inv['id']}/payment_attempts"))[0].json()["data"]
        assert [a["status"] for a in attempts] == ["succeeded"], (inv["id"], attempts)
        assert mailed[(email, inv["number"])] == 1, (inv["number"], email, mailed[(email, inv["number"])])
        assert len({d["id"] for d in receiver.paid(inv["id"])}) == 1, (inv["id"], receiver.paid(inv["id"]))


# -- the test ------------------------------------------------------------------------------------------

def test_replicas_need_postgres():
    config = PlatformConfig(replicas={"payments": 2})  # SQLite in var/: refused, not half-shared
    with pytest.raises(ValueError, match="only on Postgres"):
        config.check_replicas()
    assert config.replica_names("payments") == ["payments", "payments-2"]
    assert config.process_url("payments-2") == f"http://127.0.0.1:{config.replica_port('payments', 2)}"
    assert config.replica_port("payments", 2) != config.port("payments")


async def test_two_replicas_share_the_work_and_survive_losing_one(scaled, receiver):
    platform = scaled
    cards = await new_org(platform, "Scale Cards")
    autopay = await new_org(platform, "Scale AutoPay")
    async with cards, autopay:
        # A replica is one of the platform's own addresses: no tenant webhook may point at it.
        refused = await cards.post("/v1/webhook_endpoints", json={
            "url": platform.config.process_url("payments-2") + "/hooks", "events": ["invoice.paid"]})
        assert refused.status_code in (400, 422) and "url_not_allowed" in refused.text, refused.text
        await subscribe(cards, receiver)
        await subscribe(autopay, receiver)
        tag = uuid.uuid4().hex[:8]
        started = time.monotonic()  # phase times are printed for the report, never asserted

        # 1. Both processes of each service up: the load is shared.
        before = [(cards, inv, email) for inv, email in await card_journeys(cards, CARD_BEFORE_KILL, f"a{tag}")]
        await everything_arrived(platform, receiver, before)
        processed = {name: await events_processed(platform, name)
                     for s in REPLICAS for name in platform.config.replica_names(s)}
        print(f"phase 1 ({len(before)} card journeys, all effects in): {time.monotonic() - started:.0f} s; "
              f"events processed per process: {processed}")
        assert all(count > 0 for count in processed.values()), processed
        senders = Counter(r["sender"] for r in receiver.received)
        print(f"webhooks sent per process: {dict(senders)}")
        assert all(senders[name] > 0 for name in platform.config.replica_names("notifications")), senders

        # 2. AutoPay charges fall due and a load runs, and the second processes die hard meanwhile.
        planned, autopay_email = await autopay_invoices(autopay, AUTOPAY)
        started = time.monotonic()
        load = asyncio.create_task(card_journeys(cards, CARD_AROUND_KILL, f"b{tag}"))
        advanced, _ = await call(autopay, "POST", "/v1/test_clocks/advance", json={"days": 7},
                                 headers={"Idempotency-Key": f"{tag}-advance"})
        assert advanced.status_code == 200, advanced.text
        # Killed once it has taken on AutoPay charges (its share of the partitions), while the load runs.
        await wait_for(lambda: events_processed(platform, "payments-2", "dunning.autopay_charge_due"), timeout=120)
        for name in ("payments-2", "notifications-2"):
            await asyncio.to_thread(platform.kill, name)
        around = [(cards, inv, email) for inv, email in await load]
        print(f"webhooks sent per process: {dict(Counter(r['sender'] for r in receiver.received))}")

        # 3. After the group rebalanced, the survivors finished everything, once.
        everyone = before + around + [(autopay, inv, autopay_email) for inv in planned]
        await everything_arrived(platform, receiver, everyone)
        await asyncio.sleep(SETTLE_S)
        print(f"phase 2 ({len(everyone) - len(before)} journeys around the kill): {time.monotonic() - started:.0f} s")
        await assert_each_effect_once(platform, receiver, everyone)
