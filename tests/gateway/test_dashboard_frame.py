"""The dashboard's pure parts: the home charts as data (exact figures in the tables, major units for Chart.js,
one chart per currency), where a sign-in may send the browser, and the production secret check."""

from __future__ import annotations

import pytest

from duely_gateway.config import Settings
from duely_gateway.dashboard import charts
from duely_gateway.main import build
from duely_gateway.dashboard.sign_in_pages import _safe_next

RECEIVABLES = {
    "currencies": [
        {"currency": "usd", "open_amount": 123456, "open_count": 3, "overdue_amount": 23456, "overdue_count": 1,
         "aging": {"current": 100000, "1_30": 23456, "31_60": 0, "61_90": 0, "90_plus": 0}},
        {"currency": "jpy", "open_amount": 5000, "open_count": 1, "overdue_amount": 5000, "overdue_count": 1,
         "aging": {"current": 0, "1_30": 0, "31_60": 0, "61_90": 0, "90_plus": 5000}},
    ],
    "autopay": {"customers": 4, "customers_with_autopay": 3, "open_invoices": 4, "open_invoices_with_autopay": 1},
}


def test_aging_is_one_chart_per_currency_in_major_units_with_exact_tables():
    usd, jpy = charts.aging(RECEIVABLES)
    assert usd.id == "aging-usd" and usd.datasets[0]["data"] == [1000.0, 234.56, 0.0, 0.0, 0.0]
    assert usd.rows[1] == ["1–30 days", "$234.56"]
    assert "overdue $234.56 in 1 invoice." in usd.note
    assert jpy.datasets[0]["data"][-1] == 5000.0  # yen has no minor unit
    assert jpy.rows[-1] == ["90+ days", "¥5,000"]


def test_collected_keeps_weeks_in_order_and_counts_refunds():
    report = {"weeks": [
        {"week_start": "2026-11-23", "currency": "eur", "collected": 5000, "refunded": 1000, "payments": 2},
        {"week_start": "2026-11-16", "currency": "eur", "collected": 0, "refunded": 0, "payments": 0}]}
    (chart,) = charts.collected(report)
    assert chart.labels == ["Nov 16", "Nov 23"]
    assert chart.datasets[0]["data"] == [0.0, 50.0] and chart.datasets[1]["data"] == [0.0, 10.0]
    assert chart.rows[1] == ["Nov 23", "€50.00", "€10.00", "2"]


def test_autopay_and_dunning_shares():
    cover = charts.autopay(RECEIVABLES)
    assert cover.datasets[0]["data"] == [3, 1]
    assert cover.rows == [["Customers", "3", "4", "75%"], ["Open invoices", "1", "4", "25%"]]
    assert charts.autopay({"autopay": {}}).rows[0][-1] == "–"  # no customers: no share, not a division by zero
    outcomes = charts.dunning({"days": 90, "outcomes": {"recovered": 2, "uncollectible": 1},
                               "amounts": [{"currency": "usd", "recovered": 1500, "uncollectible": 700}]})
    assert outcomes.datasets[0]["data"] == [2, 0, 1, 0]
    assert ["Recovered (USD)", "$15.00"] in outcomes.rows


def test_after_sign_in_only_a_dashboard_path_is_followed():
    assert _safe_next("/dashboard/invoices?status=open") == "/dashboard/invoices?status=open"
    for hostile in ("https://evil.example/dashboard", "//evil.example", "/dashboard\\@evil", "/portal", "", None):
        assert _safe_next(hostile) == "/dashboard"


def test_the_gateway_refuses_production_with_the_embedded_secret():
    with pytest.raises(RuntimeError, match="DUELY_INTERNAL_SECRET"):
        build(Settings(mode="production"))
    build(Settings(mode="production", internal_secret="x" * 40))
