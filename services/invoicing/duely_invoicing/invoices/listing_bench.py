"""`make bench`: the time to list 10,000 invoices page by page (GET /v1/invoices, 100 a page, by cursor).

    python -m duely_invoicing.listing_bench [--invoices 10000] [--database-url URL]

Seeds one organization's invoices straight into a fresh database (SQLite under
a temp dir by default, the embedded mode), then reads them through the real
HTTP app in-process. Prints figures; nothing asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone

import httpx
from sqlalchemy import insert

from duely_invoicing.config import Settings
from duely_invoicing.main import build
from duely_invoicing.models import Customer, Invoice, InvoiceLine
from duely_invoicing.organizations import service as organizations_service
from duely_runtime.kit.ids import new_id


async def seed(runtime, n: int) -> str:
    async with runtime.db.transaction() as session:
        organization, api_key = await organizations_service.create_organization(session, runtime.outbox, "Listing Bench")
        start = datetime.now(timezone.utc) - timedelta(days=n // 100 + 1)
        customers = [{"id": new_id("cus"), "organization_id": organization.id, "name": f"Customer {c}",
                      "email": f"c{c}@bench.example", "cc_emails": [], "version": 1, "created_at": start}
                     for c in range(20)]
        await session.execute(insert(Customer), customers)
        invoices, lines = [], []
        for i in range(n):
            created = start + timedelta(seconds=37 * i)
            invoice_id = new_id("in")
            invoices.append({"id": invoice_id, "organization_id": organization.id,
                             "customer_id": customers[i % 20]["id"], "status": "draft", "currency": "usd",
                             "payment_terms": "net_30", "subtotal": 2500, "tax": 500, "total": 3000,
                             "amount_paid": 0, "amount_due": 3000, "total_discount": 0, "discounts": [],
                             "tax_breakdown": [{"display_name": "VAT", "percentage": "20", "inclusive": False,
                                                "taxable_amount": 2500, "tax_amount": 500}],
                             "version": 1, "created_at": created, "updated_at": created})
            lines.append({"id": new_id("il"), "invoice_id": invoice_id, "position": 0, "description": "Widget",
                          "quantity": "2", "unit_amount": 1250, "amount": 2500, "discounts": [],
                          "discount_amount": 0, "tax_amount": 500,
                          "tax_rates": [{"id": None, "display_name": "VAT", "percentage": "20", "inclusive": False}]})
        for chunk in range(0, n, 1000):
            await session.execute(insert(Invoice), invoices[chunk:chunk + 1000])
            await session.execute(insert(InvoiceLine), lines[chunk:chunk + 1000])
    return api_key


async def run(n: int, database_url: str | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="duely-listing-bench-") as var:
        settings = Settings(database_url=database_url or "", var_dir=var, service_name="invoicing-bench")
        app = build(settings)
        runtime = app.state.runtime
        await runtime.migrate()
        try:
            api_key = await seed(runtime, n)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench",
                                         headers={"Authorization": f"Bearer {api_key}"}) as client:
                pages, seen, cursor = [], 0, None
                started = time.perf_counter()
                while True:
                    page_started = time.perf_counter()
                    response = await client.get("/v1/invoices", params={"limit": 100,
                                                                        **({"cursor": cursor} if cursor else {})})
                    response.raise_for_status()
                    body = response.json()
                    pages.append((time.perf_counter() - page_started) * 1000)
                    seen += len(body["data"])
                    if not body["has_more"]:
                        break
                    cursor = body["next_cursor"]
                total = time.perf_counter() - started
        finally:
            await runtime.db.dispose()
    assert seen == n, (seen, n)
    return {"invoices": n, "pages": len(pages), "total_s": total, "median_page_ms": statistics.median(pages),
            "last_page_ms": pages[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    r = asyncio.run(run(args.invoices, args.database_url))
    print(f"Invoice listing: {r['invoices']} invoices in {r['pages']} pages of 100 by cursor: "
          f"{r['total_s']:.2f} s total, median page {r['median_page_ms']:.1f} ms, last page {r['last_page_ms']:.1f} ms")


if __name__ == "__main__":
    main()
