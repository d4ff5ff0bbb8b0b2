"""Fuzz every service's OpenAPI document with schemathesis: no input may earn a 5xx.

Each service runs in-process (its own Postgres database and consumer group, the
test broker, the shared invoicing for API keys). Schemathesis runs as a CLI
subprocess against it, seeded (and without an example database) so CI sees the same
cases every run. Ids of seeded objects are offered through schemathesis dictionaries, so
about half the generated requests reach real rows instead of a 404.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from duely_devstack.net import free_port
from tests.payments.conftest import start_sandbox

ST = Path(sys.executable).parent / "st"
MAX_EXAMPLES = 25
SEED = 20240601
PHASES = "examples,coverage,fuzzing"


def unique(service: str) -> str:
    """Its own consumer group and inbox names, apart from every other instance on the broker."""
    return f"{service}-fuzz-{uuid.uuid4().hex[:6]}"


def write_config(path: Path, known_ids: dict[str, list[str]], body: dict[str, list[str]] | None = None) -> Path:
    """A schemathesis.toml offering real ids for the named path parameters, and realistic
    values for the named body fields, half the time."""
    lines = []
    bindings = {f"path.{name}": name for name in known_ids}
    dictionaries = dict(known_ids)
    for field, values in (body or {}).items():
        name = "body_" + field.replace(".", "_").replace("[*]", "")
        dictionaries[name] = values
        bindings[f"body.{field}"] = name
    for name, values in dictionaries.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    lines.append("[parameters]")
    for key, name in bindings.items():
        lines.append(f'"{key}" = {{ dictionary = "{name}", probability = 0.5 }}')
    path.write_text("\n".join(lines) + "\n")
    return path


async def run_schemathesis(schema: str, api_key: str, config: Path, *extra: str) -> None:
    command = [str(ST), "--config-file", str(config), "--no-color", "run", schema,
               "--checks", "not_a_server_error", "--phases", PHASES,
               "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED), "--generation-database", "none",
               "--request-timeout", "30",
               "--header", f"Authorization: Bearer {api_key}", *extra]
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.STDOUT, cwd=config.parent)
    output, _ = await process.communicate()
    assert process.returncode == 0, f"schemathesis found failures in {schema}:\n{output.decode()}"


async def wait_ready(url: str, wait_for) -> None:
    async def ready():
        async with httpx.AsyncClient(base_url=url) as client:
            return (await client.get("/readyz")).status_code == 200
    await wait_for(ready, timeout=30)


async def seed_invoicing(invoicing_url: str, api_key: str) -> dict[str, list[str]]:
    """A customer, a tax rate, a draft with a line, an issued invoice, a subscription and a dashboard user."""
    async with httpx.AsyncClient(base_url=invoicing_url, headers={"Authorization": f"Bearer {api_key}"}) as client:
        async def post(path: str, body: dict | None = None, status: int = 201) -> dict:
            response = await client.post(path, json=body)
            assert response.status_code == status, response.text
            return response.json()

        customer = await post("/v1/customers", {"name": "Fuzz Buyer", "email": "fuzz@example.com"})
        tax_rate = await post("/v1/tax_rates", {"display_name": "Sales tax", "percentage": "8.25"})
        lines = [{"description": "Consulting", "quantity": "2", "unit_amount": 12500,
                  "tax_rates": [{"display_name": "Sales tax", "percentage": "8.25"}]}]
        draft = await post("/v1/invoices", {"customer_id": customer["id"], "currency": "usd",
                                            "payment_terms": "net_30", "lines": lines})
        to_issue = await post("/v1/invoices", {"customer_id": customer["id"], "currency": "usd",
                                               "payment_terms": "net_30", "lines": lines})
        issued = await post(f"/v1/invoices/{to_issue['id']}/approve", status=200)
        subscription = await post("/v1/subscriptions", {"customer_id": customer["id"]})
        user = await post("/v1/users", {"email": f"fuzz-{uuid.uuid4().hex[:8]}@example.com", "role": "viewer"})
    return {"user_id": [user["id"]], "customer_id": [customer["id"]], "tax_rate_id": [tax_rate["id"]],
            "invoice_id": [draft["id"], issued["id"]], "line_id": [line["id"] for line in draft["lines"]],
            "subscription_id": [subscription["id"]], "_hosted_url": [issued["hosted_invoice_url"]]}


def known(ids: dict[str, list[str]], *names: str) -> dict[str, list[str]]:
    return {name: ids[name] for name in names}


# About 17,000 coverage-phase cases (every enumerated currency, country and locale on 38 operations):
# 4-5 minutes alone, over 10 on a loaded machine.
@pytest.mark.timeout(1800)
async def test_invoicing_openapi_has_no_server_errors(invoicing, tmp_path):
    _, api_key = await invoicing.create_org(f"Fuzz Invoicing {uuid.uuid4().hex[:6]}")
    ids = await seed_invoicing(invoicing.url, api_key)
    currencies = ["usd", "EUR", "jpy", "kwd"]  # 2, 2, 0 and 3 decimals
    config = write_config(tmp_path / "schemathesis.toml",
                          known(ids, "customer_id", "tax_rate_id", "invoice_id", "line_id", "subscription_id",
                                "user_id"),
                          body={"customer_id": ids["customer_id"], "subscription_id": ids["subscription_id"],
                                "currency": currencies, "reporting_currency": currencies, "base": currencies,
                                "quote": currencies, "locale": ["en_US", "de_DE", "fr"],
                                "settings.locale": ["en_US", "ja_JP"],
                                "lines[*].tax_rate_ids[*]": ids["tax_rate_id"],
                                "tax_rate_ids[*]": ids["tax_rate_id"]})
    await run_schemathesis(f"{invoicing.url}/openapi.json", api_key, config)


@pytest.fixture(scope="module")
async def fuzz_payments(serve, settings_env, database_url, invoicing, wait_for, tmp_path_factory):
    """A payments instance on the sandbox gateway: fuzzed, and the portal's upstream."""
    from duely_payments.main import build
    from duely_payments.config import Settings
    with start_sandbox(free_port(31000, 31999), tmp_path_factory.mktemp("fuzz-sandbox")) as sandbox:
        settings = settings_env(Settings, await database_url("payments"), service_name=unique("payments"),
                                stripe_api_base=sandbox.url, invoicing_url=invoicing.url, recovery_interval_s=0.2)
        async with serve(build(settings)) as url:
            await wait_ready(url, wait_for)
            yield url


async def test_payments_openapi_has_no_server_errors(fuzz_payments, invoicing, wait_for, tmp_path):
    url = fuzz_payments
    _, api_key = await invoicing.create_org(f"Fuzz Payments {uuid.uuid4().hex[:6]}")
    paid_ids, ids = await seed_invoicing(invoicing.url, api_key), await seed_invoicing(invoicing.url, api_key)
    to_pay, unpaid = paid_ids["invoice_id"][1], ids["invoice_id"][1]
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {api_key}"}) as client:
        async def payments_knows(invoice_id: str):
            return (await client.get(f"/v1/invoices/{invoice_id}/payment_attempts")).status_code == 200
        await wait_for(lambda: payments_knows(to_pay))
        await wait_for(lambda: payments_knows(unpaid))
        paid = await client.post(f"/v1/invoices/{to_pay}/pay", json={"payment_method": "pm_card_visa"})
        assert paid.status_code == 200, paid.text
    # A draft, a paid and an unpaid issued invoice: the pay call meets 409s, card errors and charges.
    config = write_config(tmp_path / "schemathesis.toml",
                          {"invoice_id": [ids["invoice_id"][0], to_pay, unpaid],
                           "payment_id": [paid.json()["payment_id"]]},
                          body={"payment_method": ["pm_card_visa", "pm_card_chargeDeclined", "pm_card_mastercard"]})
    await run_schemathesis(f"{url}/openapi.json", api_key, config)


async def test_dunning_openapi_has_no_server_errors(serve, settings_env, database_url, invoicing, wait_for,
                                                    tmp_path):
    from duely_dunning.main import build
    from duely_dunning.config import Settings
    settings = settings_env(Settings, await database_url("dunning"), service_name=unique("dunning"),
                            invoicing_url=invoicing.url, timer_tick_s=0.2)
    async with serve(build(settings)) as url:
        await wait_ready(url, wait_for)
        _, api_key = await invoicing.create_org(f"Fuzz Dunning {uuid.uuid4().hex[:6]}")
        ids = await seed_invoicing(invoicing.url, api_key)
        issued = ids["invoice_id"][1]
        async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {api_key}"}) as client:
            async def dunning_knows_invoice():
                return (await client.get(f"/v1/dunning/invoices/{issued}")).status_code == 200
            await wait_for(dunning_knows_invoice)
        config = write_config(tmp_path / "schemathesis.toml", {"invoice_id": ids["invoice_id"]})
        await run_schemathesis(f"{url}/openapi.json", api_key, config)


async def test_notifications_openapi_has_no_server_errors(serve, settings_env, database_url, invoicing, wait_for,
                                                          tmp_path):
    from duely_notifications.config import Settings
    from duely_notifications.main import build
    # No SMTP server listens on this port: mail stays queued, fuzzed reminders reach nobody.
    settings = settings_env(Settings, await database_url("notifications"), service_name=unique("notifications"),
                            invoicing_url=invoicing.url, smtp_host="127.0.0.1", smtp_port=free_port(26000, 26999),
                            email_backoff_s=[3600], webhook_backoff_s=[3600], webhook_timeout_s=1.0,
                            outbound_allow_networks="127.0.0.0/8")  # as `make run`: the seeded endpoint below
    async with serve(build(settings)) as url:
        await wait_ready(url, wait_for)
        _, api_key = await invoicing.create_org(f"Fuzz Notifications {uuid.uuid4().hex[:6]}")
        async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {api_key}"}) as client:
            endpoint = await client.post("/v1/webhook_endpoints", json={
                "url": "http://127.0.0.1:9/hooks", "events": ["invoice.issued"]})
            assert endpoint.status_code == 201, endpoint.text
            ids = await seed_invoicing(invoicing.url, api_key)

            async def reminder_sent():
                messages = (await client.get("/v1/messages")).json()
                return messages["data"]
            messages = await wait_for(reminder_sent)  # the issued invoice's email
        config = write_config(tmp_path / "schemathesis.toml", {
            "invoice_id": ids["invoice_id"], "endpoint_id": [endpoint.json()["id"]],
            "message_id": [m["id"] for m in messages]})
        await run_schemathesis(f"{url}/openapi.json", api_key, config)


PORTAL_SCHEMA = {
    # The hosted page is HTML and kept out of the portal's /openapi.json; this document
    # describes it so the same fuzzing reaches it (tokens, query and form fields).
    "openapi": "3.1.0", "info": {"title": "Duely portal (hosted page)", "version": "1"},
    "paths": {
        "/i/{token}": {"get": {
            "operationId": "hosted_invoice",
            "parameters": [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}},
                           {"name": "payment", "in": "query", "schema": {"type": "string"}},
                           {"name": "code", "in": "query", "schema": {"type": "string"}},
                           {"name": "wait", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": {"description": "The page"}, "404": {"description": "Unknown link"}}}},
        "/i/{token}/pdf": {"get": {
            "operationId": "hosted_invoice_pdf",
            "parameters": [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "The PDF (the receipt once paid)",
                                  "content": {"application/pdf": {}}},
                          "404": {"description": "Unknown link"}}}},
        "/i/{token}/pay": {"post": {
            "operationId": "pay_hosted_invoice",
            "parameters": [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}],
            "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {
                "type": "object", "properties": {"payment_method": {"type": "string"},
                                                 "attempt_key": {"type": "string"}}}}}},
            "responses": {"303": {"description": "Back to the page"}, "404": {"description": "Unknown link"}}}},
    },
}


async def test_portal_has_no_server_errors(serve, settings_env, database_url, invoicing, fuzz_payments, wait_for,
                                          tmp_path):
    from duely_portal.main import build
    from duely_portal.config import Settings
    settings = settings_env(Settings, await database_url("portal"), service_name=unique("portal"),
                            invoicing_url=invoicing.url, payments_url=fuzz_payments)
    app = build(settings)
    async with serve(app) as url:
        await wait_ready(url, wait_for)
        _, api_key = await invoicing.create_org(f"Fuzz Portal {uuid.uuid4().hex[:6]}")
        ids = await seed_invoicing(invoicing.url, api_key)
        # Its JSON API (customer portal sessions), for a real customer and unknown ones.
        assert set(app.openapi()["paths"]) == {"/v1/customers/{customer_id}/portal_sessions",
                                               "/v1/customers/{customer_id}/portal_sessions/{session_id}/revoke"}
        config = write_config(tmp_path / "api.toml", known(ids, "customer_id"))
        await run_schemathesis(f"{url}/openapi.json", api_key, config)
        # Its pages, described below so the same fuzzing reaches them.
        token = ids["_hosted_url"][0].rsplit("/i/", 1)[1]
        schema = tmp_path / "portal-openapi.json"
        schema.write_text(json.dumps(PORTAL_SCHEMA))
        config = write_config(tmp_path / "schemathesis.toml", {"token": [token]})
        await run_schemathesis(str(schema), api_key, config, "--url", url)
