"""The embedded default runs on SQLite: migrations (every head), keyset cursors, drafts and pricing work there too."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from decimal import Decimal

import httpx

from duely_runtime.auth import INTERNAL_HEADER
from duely_invoicing.domain import money
from duely_invoicing.main import build

from tests.invoicing.pricing_helpers import assert_reconciles, create_tax_rate, line
from duely_invoicing.config import Settings


async def test_pricing_drafts_and_listing_on_sqlite(serve, settings_env, tmp_path):
    settings = settings_env(Settings, f"sqlite+aiosqlite:///{tmp_path}/invoicing.db",
                            service_name=f"invoicing-sqlite-{uuid.uuid4().hex[:6]}")
    async with serve(build(settings)) as url:
        async with httpx.AsyncClient(base_url=url) as admin:
            created = (await admin.post("/internal/organizations", json={"name": "Lite"},
                                        headers={INTERNAL_HEADER: settings.internal_secret})).json()
        async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {created['api_key']}"}) as client:
            customer = (await client.post("/v1/customers", json={"name": "Ann", "email": "ann@example.com"})).json()
            vat = await create_tax_rate(client, "VAT", "20", country="FR")
            ids = []
            for i in range(7):
                response = await client.post("/v1/invoices", json={
                    "customer_id": customer["id"], "currency": "eur", "discounts": [{"percentage": "5"}],
                    "reporting_currency": "usd",
                    "lines": [line(f"Item {i}", "1.5", 1000 + i, tax_rate_ids=[vat["id"]],
                                   discounts=[{"amount": 10}])]})
                assert response.status_code == 201, response.text
                assert_reconciles(response.json())
                ids.append(response.json()["id"])
            edited = (await client.post(f"/v1/invoices/{ids[0]}/lines", json=line("Extra", 2, 333))).json()
            assert len(edited["lines"]) == 2 and edited["version"] == 2
            assert_reconciles(edited)

            seen, cursor = [], None
            while True:
                page = (await client.get("/v1/invoices", params={"limit": 3, **({"cursor": cursor} if cursor else {})})
                        ).json()
                seen += [i["id"] for i in page["data"]]
                if not page["has_more"]:
                    break
                cursor = page["next_cursor"]
            assert seen == list(reversed(ids))

            today = datetime.now(timezone.utc).date().isoformat()
            await client.post("/v1/exchange_rates", json={"base": "eur", "quote": "usd", "rate": "1.1",
                                                          "date": today})
            approved = (await client.post(f"/v1/invoices/{ids[1]}/approve")).json()
            assert approved["status"] == "issued"
            assert approved["reporting"]["total"] == money.round_half_up(Decimal(approved["total"]) * Decimal("1.1"))
            assert (await client.delete(f"/v1/invoices/{ids[2]}")).json()["deleted"] is True
