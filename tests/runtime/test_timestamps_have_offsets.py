"""Every instant Duely writes carries its offset: "2026-11-29T15:38:22Z", never "2026-11-29T15:38:22",
which JavaScript's Date reads as the reader's local time.

One test, on the embedded setup (SQLite, where the zone used to get lost on the way back from the
database) and on Postgres: the platform as `make run` starts it, one journey through every service
(an invoice declined then paid, a webhook endpoint and its deliveries, emails, dunning's record),
then every service's published OpenAPI, every JSON GET that OpenAPI lists, every event on the
topics and every webhook body are searched for date-times without an offset.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from duely_devstack.platform import SERVICES
from duely_runtime.auth import INTERNAL_HEADER
from tests.conftest import wait_for
from tests.e2e.conftest import started_platform

DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
WITH_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")


def naive_datetimes(value, where: str) -> list[str]:
    """'where: text' for every date-time string in a JSON value that has no offset."""
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in naive_datetimes(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [found for i, item in enumerate(value) for found in naive_datetimes(item, f"{where}[{i}]")]
    if isinstance(value, str) and DATETIME.match(value) and not WITH_OFFSET.search(value):
        return [f"{where}: {value}"]
    return []


def count_datetimes(value) -> int:
    if isinstance(value, dict):
        return sum(count_datetimes(item) for item in value.values())
    if isinstance(value, list):
        return sum(count_datetimes(item) for item in value)
    return int(isinstance(value, str) and bool(DATETIME.match(value)))


def openapi_problems(service: str, spec: dict) -> tuple[list[str], int]:
    """Every `format: date-time` schema must show an example, and every example an offset."""
    problems, fields = [], 0

    def walk(node, where: str) -> None:
        nonlocal fields
        if isinstance(node, dict):
            if node.get("format") == "date-time":
                fields += 1
                examples = node.get("examples") or ([node["example"]] if "example" in node else [])
                if not examples:
                    problems.append(f"{service} {where}: date-time without an example")
                problems.extend(f"{service} {where}: example {e!r} has no offset"
                                for e in examples if not WITH_OFFSET.search(str(e)))
            for key, item in node.items():
                walk(item, f"{where}/{key}")
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{where}/{i}")
    walk(spec, "#")
    return problems, fields


@pytest.fixture(params=["sqlite", "postgres"])
async def platform(request, database_url, tmp_path_factory):
    urls = {}
    if request.param == "postgres":
        urls = {service: await database_url(f"ts_{service}") for service in SERVICES}
    async with started_platform(tmp_path_factory.mktemp(f"timestamps-{request.param}"), urls,
                                {"DUELY_CONSUMER_RETRY_BACKOFF_S": "0.1"}) as running:
        yield running


async def test_every_timestamp_in_responses_events_and_openapi_has_an_offset(platform, serve):
    hooks: list[dict] = []

    async def hook(request: Request):
        hooks.append(json.loads(await request.body()))
        return JSONResponse({"ok": True})

    demo = await asyncio.to_thread(platform.seed_demo_org)
    async with serve(Starlette(routes=[Route("/hooks", hook, methods=["POST"])])) as receiver, \
            httpx.AsyncClient(base_url=platform.config.url("gateway"), timeout=30,
                              headers={"Authorization": f"Bearer {demo['api_key']}"}) as api:
        async def post(path: str, body: dict | None = None) -> dict:
            response = await api.post(path, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
            assert response.status_code in (200, 201, 402), (path, response.text)
            return response.json()

        # Something in every service: invoicing's resources, a declined then a paid attempt (payments),
        # the webhook endpoint, its deliveries and the emails (notifications), the collection record
        # (dunning), the hosted page's view (portal, by its invoice.viewed event).
        endpoint = await post("/v1/webhook_endpoints", {"url": f"{receiver}/hooks", "events": ["*"]})
        customer = await post("/v1/customers", {"name": "Ada Lovelace", "email": "ada@example.com"})
        subscription = await post("/v1/subscriptions", {"customer_id": customer["id"]})
        method = await post(f"/v1/customers/{customer['id']}/payment_methods", {"payment_method": "pm_card_visa"})
        tax_rate = await post("/v1/tax_rates", {"display_name": "VAT", "percentage": "20"})
        await post("/v1/exchange_rates", {"base": "usd", "quote": "eur", "rate": "0.9", "date": "2026-01-02"})
        draft = await post("/v1/invoices", {"customer_id": customer["id"], "currency": "usd", "lines": [
            {"description": "Consulting", "quantity": 1, "unit_amount": 10000, "tax_rate_ids": [tax_rate["id"]]}]})
        invoice = await post(f"/v1/invoices/{draft['id']}/approve")
        async with httpx.AsyncClient() as anonymous:
            assert (await anonymous.get(invoice["hosted_invoice_url"])).status_code == 200
        await post(f"/v1/invoices/{invoice['id']}/pay", {"payment_method": "pm_card_chargeDeclined"})
        paid = await post(f"/v1/invoices/{invoice['id']}/pay", {"payment_method": "pm_card_visa"})
        assert paid["status"] == "succeeded", paid
        # Two more invoices paid with one charge (a payment group).
        more = []
        for amount in (2500, 2600):
            extra = await post("/v1/invoices", {"customer_id": customer["id"], "currency": "usd", "lines": [
                {"description": "Support", "quantity": 1, "unit_amount": amount}]})
            more.append(await post(f"/v1/invoices/{extra['id']}/approve"))
        group = await post(f"/v1/customers/{customer['id']}/payments",
                           {"invoice_ids": [i["id"] for i in more], "payment_method": "pm_card_visa"})
        assert group["status"] == "succeeded", group
        # A dashboard user invited (user.invited), and the demo owner signed in (last_sign_in_at) and asking for a
        # sign-in link (user.sign_in_link_requested), at invoicing's dashboard endpoints.
        await post("/v1/users", {"email": "grace@example.com", "name": "Grace", "role": "finance"})
        secret = platform.env().get("DUELY_INTERNAL_SECRET", "embedded-dev-secret-not-for-production")
        async with httpx.AsyncClient(base_url=platform.config.url("invoicing"), timeout=30,
                                     headers={INTERNAL_HEADER: secret}) as internal:
            signed_in = await internal.post("/internal/dashboard/sign_in", json={
                "email": demo["owner"]["email"], "password": demo["owner"]["password"], "client_ip": "127.0.0.1"})
            assert signed_in.status_code == 200, signed_in.text
            linked = await internal.post("/internal/dashboard/sign_in_links", json={
                "email": demo["owner"]["email"], "client_ip": "127.0.0.1",
                "dashboard_url": f"{platform.config.url('gateway')}/dashboard"})
            assert linked.status_code == 202, linked.text

        async def settled():
            messages = (await api.get("/v1/messages")).json()["data"]
            deliveries = (await api.get(f"/v1/webhook_endpoints/{endpoint['id']}/deliveries")).json()["data"]
            state = (await api.get(f"/v1/invoices/{invoice['id']}")).json()["status"]
            return (state == "paid" and any(m.get("sent_at") for m in messages)
                    and {"invoice.paid", "invoice.viewed"} <= {d.get("event_type") for d in deliveries}
                    and any(d.get("completed_at") for d in deliveries))
        await wait_for(settled, timeout=60)
        messages = (await api.get("/v1/messages")).json()["data"]
        payment = (await api.get("/v1/payments")).json()["data"][0]
        schedule = (await api.get("/v1/dunning_schedules")).json()["data"][0]

        ids = {"schedule_id": schedule["id"], "name": "invoice_reminder_firm",
               "invoice_id": invoice["id"], "customer_id": customer["id"], "subscription_id": subscription["id"],
               "tax_rate_id": tax_rate["id"], "endpoint_id": endpoint["id"], "message_id": messages[0]["id"],
               "payment_id": payment["id"], "payment_method_id": method["id"], "group_id": group["id"],
               "delivery_id": (await api.get(f"/v1/webhook_endpoints/{endpoint['id']}/deliveries")).json()[
                   "data"][0]["id"]}
        problems: list[str] = []
        seen: dict[str, int] = {}
        date_time_fields = {}
        for service in SERVICES:
            spec = (await api.get(f"{platform.config.url(service)}/openapi.json")).json()
            found, date_time_fields[service] = openapi_problems(service, spec)
            problems += found
            for path, operations in spec["paths"].items():
                if "get" not in operations or path.endswith(("/pdf", ".xml")):
                    continue
                needed = {p["name"]: p["in"] for p in operations["get"].get("parameters", [])
                          if p["in"] == "path" or p.get("required")}
                assert set(needed) <= set(ids), f"{service} {path}: the test has no id for {sorted(needed)}"
                url = path.format(**ids)
                response = await api.get(url, params={name: ids[name] for name, where in needed.items()
                                                      if where == "query"})
                assert response.status_code == 200, (url, response.text)
                problems += naive_datetimes(response.json(), f"{service} GET {url}")
                seen[service] = seen.get(service, 0) + count_datetimes(response.json())

        events = await _every_event(platform.config.bootstrap)
        for topic, raw in events:
            problems += naive_datetimes(json.loads(raw), f"event {topic}")
        for body in hooks:
            problems += naive_datetimes(body, f"webhook {body['type']}")

    assert problems == [], "\n".join(problems)
    # Not vacuous: the searched bodies held the instants the issue is about.
    for service in ("invoicing", "payments", "dunning", "notifications"):
        assert seen.get(service, 0) > 0 and date_time_fields[service] > 0, (service, seen, date_time_fields)
    attempts = (await _get_json(platform, demo, f"/v1/invoices/{invoice['id']}/payment_attempts"))["data"]
    assert {"failed", "succeeded"} <= {a["status"] for a in attempts}
    assert all(a["created_at"].endswith("Z") and a["completed_at"].endswith("Z") for a in attempts)
    assert {"invoice.issued", "invoice.viewed", "payment.succeeded", "invoice.payment_failed",
            "invoice.paid", "user.invited", "user.sign_in_link_requested"} <= {topic for topic, _ in events}
    assert hooks and all(body["created_at"].endswith("Z") for body in hooks)


async def _get_json(platform, demo, path: str) -> dict:
    async with httpx.AsyncClient(base_url=platform.config.url("gateway"),
                                 headers={"Authorization": f"Bearer {demo['api_key']}"}) as api:
        response = await api.get(path)
        assert response.status_code == 200, response.text
        return response.json()


async def _every_event(bootstrap: str) -> list[tuple[str, bytes]]:
    """(topic, raw value) of every message on every topic of the platform's broker."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    try:
        topics = sorted(t for t in await consumer.topics() if not t.startswith("_"))
        consumer.subscribe(topics)
        found: list[tuple[str, bytes]] = []
        loop = asyncio.get_running_loop()
        deadline, last_new = loop.time() + 20, loop.time()
        while loop.time() < deadline and not (found and loop.time() - last_new > 1.5):
            for messages in (await consumer.getmany(timeout_ms=300)).values():
                found += [(m.topic, m.value) for m in messages]
                last_new = loop.time()
        return found
    finally:
        await consumer.stop()
