"""The listing bench (`python -m duely_invoicing.listing_bench`) runs and reads every invoice once."""

from __future__ import annotations
from duely_invoicing.invoices import listing_bench as invoices_listing_bench



async def test_listing_bench_reads_every_invoice_page_by_page():
    result = await invoices_listing_bench.run(250, None)
    assert (result["invoices"], result["pages"]) == (250, 3)
    assert result["median_page_ms"] > 0
