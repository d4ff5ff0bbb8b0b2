"""Payments under test: the real sandbox gateway (subprocess), Postgres, the broker, invoicing."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from datetime import date
from typing import AsyncIterator, Iterator

import httpx
import pytest
import stripe
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from duely_contracts import Envelope
from duely_contracts.events import InvoiceIssued
from duely_contracts.models import CustomerRef, InvoiceLine, InvoiceSnapshot
from duely_devstack.net import free_port, wait_for_port_sync
from duely_payments.main import build
from duely_payments.models import Invoice, Payment, PaymentAttempt
from duely_payments.config import Settings

PORT_RANGE = (31000, 31999)  # reserved for the payments tests


SANDBOX_SETTLEMENT_DELAY_S = 1.0  # how long the test sandbox's bank debits stay processing


@dataclass
class SandboxGateway:
    url: str

    def client(self) -> stripe.StripeClient:
        return stripe.StripeClient("sk_test_sandbox", base_addresses={"api": self.url})

    def intents_for(self, invoice_id: str) -> list:
        intents = self.client().v1.payment_intents.list(params={"limit": 100})
        return [pi for pi in intents.auto_paging_iter() if pi.metadata.to_dict().get("duely_invoice_id") == invoice_id]

    def register_webhook(self, url: str, secret: str | None = None, events: tuple[str, ...] = ("*",)) -> str:
        """Have the sandbox POST its signed events to url (e.g. payments' /webhooks/stripe); → the signing
        secret. With `secret` (whsec_...) the endpoint uses it, so a test can configure payments first
        (pick payments' port with free_port, register, then `serve(app, port)`); registering the same URL
        again replaces its secret. Without, the sandbox makes one, as Stripe does."""
        if secret is None:
            return self.client().v1.webhook_endpoints.create(
                params={"url": url, "enabled_events": list(events)}).secret
        events_form = {f"enabled_events[{i}]": event for i, event in enumerate(events)}
        response = httpx.post(f"{self.url}/_config/webhook_endpoint", data={"url": url, "secret": secret, **events_form})
        response.raise_for_status()
        return response.json()["secret"]

    def remove_webhook(self, url: str) -> None:
        client = self.client()
        for endpoint in client.v1.webhook_endpoints.list(params={"limit": 100}).data:
            if endpoint.url == url:
                client.v1.webhook_endpoints.delete(endpoint.id)

    def set_settlement_delay(self, seconds: float) -> None:
        """How long later bank debits (and their refunds) stay processing. The sandbox is shared by the
        session: put it back (SANDBOX_SETTLEMENT_DELAY_S) when done."""
        httpx.post(f"{self.url}/_config/settlement_delay", data={"seconds": str(seconds)}).raise_for_status()

    def settle_now(self, payment_intent: str | None = None) -> int:
        """Settle pending debits now (one PaymentIntent, or all); → how many."""
        data = {"payment_intent": payment_intent} if payment_intent else {}
        response = httpx.post(f"{self.url}/_config/settle_now", data=data)
        response.raise_for_status()
        return response.json()["settling"]


@contextlib.contextmanager
def start_sandbox(port: int, state_dir, *, settlement_delay_s: float = SANDBOX_SETTLEMENT_DELAY_S,
                  webhook_url: str | None = None, webhook_secret: str | None = None) -> Iterator[SandboxGateway]:
    """The sandbox gateway as a subprocess on 127.0.0.1:port, stopped on exit. With webhook_url (and
    webhook_secret, whsec_...) it POSTs every event there, signed, from the start."""
    args = ["--settlement-delay-s", str(settlement_delay_s), "--webhook-retry-base-s", "0.2"]
    if webhook_url:
        args += ["--webhook-url", webhook_url] + (["--webhook-secret", webhook_secret] if webhook_secret else [])
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "-m", "duely_devstack.sandbox_gateway", "--port", str(port),
                             "--state-dir", str(state_dir), "--reset", *args], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port_sync("127.0.0.1", port, timeout=20)
        yield SandboxGateway(f"http://127.0.0.1:{port}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def sandbox_gateway(tmp_path_factory) -> Iterator[SandboxGateway]:
    with start_sandbox(free_port(*PORT_RANGE), tmp_path_factory.mktemp("sandbox-gateway")) as gateway:
        yield gateway


@dataclass
class RunningPayments:
    url: str
    app: object
    engine: AsyncEngine

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session on payments' database, committed at the end (tests read and seed rows)."""
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            async with session.begin():
                yield session

    async def invoice(self, invoice_id: str) -> Invoice | None:
        async with self.session() as session:
            return await session.get(Invoice, invoice_id)

    async def attempts(self, invoice_id: str) -> list[PaymentAttempt]:
        async with self.session() as session:
            query = select(PaymentAttempt).where(PaymentAttempt.invoice_id == invoice_id)
            return list((await session.execute(query.order_by(PaymentAttempt.attempt_number))).scalars())

    async def payments(self, invoice_id: str) -> list[Payment]:
        async with self.session() as session:
            return list((await session.execute(select(Payment).where(Payment.invoice_id == invoice_id))).scalars())


def payments_settings(settings_env, database_url: str, sandbox: SandboxGateway, invoicing_url: str,
                      **overrides) -> Settings:
    return settings_env(Settings, database_url, stripe_api_base=sandbox.url, invoicing_url=invoicing_url,
                        recovery_interval_s=0.2, **overrides)


@pytest.fixture(scope="session")
async def payments(serve, settings_env, database_url, sandbox_gateway, invoicing) -> AsyncIterator[RunningPayments]:
    db_url = await database_url("payments")
    # The sandbox POSTs its signed events (bank debits settling) to this payments' /webhooks/stripe.
    port = free_port(*PORT_RANGE)
    secret = sandbox_gateway.register_webhook(f"http://127.0.0.1:{port}/webhooks/stripe")
    app = build(payments_settings(settings_env, db_url, sandbox_gateway, invoicing.url,
                                  stripe_webhook_secret=secret))
    engine = create_async_engine(db_url)
    async with serve(app, port=port) as url:
        yield RunningPayments(url, app, engine)
    await engine.dispose()


@dataclass
class Org:
    id: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


@pytest.fixture
async def org(invoicing) -> Org:
    return Org(*await invoicing.create_org("Acme Payments Test"))


@pytest.fixture
async def other_org(invoicing) -> Org:
    return Org(*await invoicing.create_org("Other Org"))


@pytest.fixture
def issue_invoice(invoicing, payments, wait_for):
    """await issue_invoice(org) → an invoice issued through invoicing's API, once payments has heard of it."""
    async def issue(org: Org, *, unit_amount: int = 12500, wait: bool = True) -> dict:
        async with httpx.AsyncClient(base_url=invoicing.url, headers=org.headers) as client:
            customer = await client.post("/v1/customers", json={
                "name": "Jane Buyer", "email": "jane@example.com", "cc_emails": ["ap@example.com"]})
            assert customer.status_code == 201, customer.text
            draft = await client.post("/v1/invoices", json={
                "customer_id": customer.json()["id"], "currency": "usd", "payment_terms": "net_30",
                "lines": [{"description": "Consulting", "quantity": "2", "unit_amount": unit_amount,
                           "tax_rates": [{"display_name": "Sales tax", "percentage": "8.25"}]}]})
            assert draft.status_code == 201, draft.text
            issued = await client.post(f"/v1/invoices/{draft.json()['id']}/approve")
            assert issued.status_code == 200, issued.text
        invoice = issued.json()
        if wait:
            await wait_for(lambda: payments.invoice(invoice["id"]))
        return invoice
    return issue


def snapshot(organization_id: str, *, invoice_id: str | None = None, status: str = "issued", version: int = 1,
             total: int = 10825, amount_due: int | None = None) -> InvoiceSnapshot:
    """A realistic snapshot for events we publish ourselves (invoices invoicing does not know)."""
    return InvoiceSnapshot(
        id=invoice_id or f"in_pub{uuid.uuid4().hex[:20]}", organization_id=organization_id,
        organization_name="Acme Payments Test", number="ACME-0001", status=status, currency="usd",
        customer=CustomerRef(id="cus_pub1", name="Jane Buyer", email="jane@example.com"),
        payment_terms="net_30", due_date=date(2030, 1, 31), subtotal=10000, tax=825, total=total,
        amount_paid=total - (total if amount_due is None else amount_due),
        amount_due=total if amount_due is None else amount_due,
        lines=[InvoiceLine(id="li_1", description="Consulting", quantity="1", unit_amount=10000, amount=10000)],
        tax_breakdown=[], hosted_invoice_url="http://127.0.0.1:8000/i/tok", version=version)


def envelope(event_type: str, data, snap: InvoiceSnapshot) -> Envelope:
    return Envelope(type=event_type, organization_id=snap.organization_id, aggregate_id=snap.id,
                    aggregate_version=snap.version, correlation_id=str(uuid.uuid4()),
                    data=data.model_dump(mode="json"))


def issued_envelope(snap: InvoiceSnapshot) -> Envelope:
    return envelope("invoice.issued", InvoiceIssued(invoice=snap), snap)
