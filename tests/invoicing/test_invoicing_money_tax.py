"""Money and tax rules, with worked examples checked by hand in USD, JPY and KWD."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from duely_invoicing.domain import money
from duely_invoicing.domain.tax import LineInput, TaxRate, compute_totals, mixes_inclusive_and_exclusive


def line(quantity: str, unit_amount: int, *rates: TaxRate) -> LineInput:
    return LineInput(D(quantity), unit_amount, tuple(rates))


# --- money ------------------------------------------------------------------------

def test_minor_units_come_from_the_currency():
    assert money.minor_unit_exponent("usd") == 2
    assert money.minor_unit_exponent("jpy") == 0
    assert money.minor_unit_exponent("kwd") == 3


@pytest.mark.parametrize("code,expected", [("USD", "usd"), ("jpy", "jpy"), (" Kwd ", "kwd"), ("zzz", None),
                                           ("", None), ("usdollar", None)])
def test_currencies_are_iso_4217_and_lower_case(code, expected):
    assert money.normalize_currency(code) == expected


@pytest.mark.parametrize("value,expected", [("0.5", 1), ("1.5", 2), ("2.4999", 2), ("2.5", 3), ("0.49", 0),
                                            ("-0.5", -1), ("7", 7)])
def test_round_half_up_goes_away_from_zero_on_halves(value, expected):
    assert money.round_half_up(D(value)) == expected


def test_line_amount_rounds_once():
    assert money.line_amount(D("1.005"), 100) == 101   # 100.5 → 101
    assert money.line_amount(D("0.5"), 1) == 1
    assert money.line_amount(D("1.5"), 10000) == 15000
    assert money.line_amount(D("0.333"), 1000) == 333


def test_format_for_humans():
    assert money.format_amount(1999, "usd") == "$19.99"
    assert money.format_amount(500, "jpy") == "¥500"
    assert money.to_major(1250, "kwd") == D("1.250")


# --- worked examples ----------------------------------------------------------------

def test_usd_exclusive_sales_tax():
    # 3 × $19.99 = $59.97; 1.5 h × $100.00 = $150.00; subtotal $209.97
    # 8.25% of 20997 = 1732.2525 → 1732; total 20997 + 1732 = 22729
    ca = TaxRate("CA sales tax", D("8.25"))
    totals = compute_totals([line("3", 1999, ca), line("1.5", 10000, ca)])
    assert totals.line_amounts == [5997, 15000]
    assert (totals.subtotal, totals.tax, totals.total) == (20997, 1732, 22729)
    [entry] = totals.tax_breakdown
    assert (entry.taxable_amount, entry.tax_amount) == (20997, 1732)


def test_usd_tax_rounds_per_rate_not_per_line():
    # Three 10¢ lines at 5%: per line 0.5¢ each would round to 3¢; per rate 1.5¢ → 2¢.
    rate = TaxRate("VAT", D("5"))
    totals = compute_totals([line("1", 10, rate)] * 3)
    assert (totals.subtotal, totals.tax, totals.total) == (30, 2, 32)


def test_usd_state_and_city_rates_on_one_line():
    # $100.00 with 6.25% state (625) and 2% city (200) → $108.25
    state, city = TaxRate("State", D("6.25")), TaxRate("City", D("2"))
    totals = compute_totals([line("1", 10000, state, city), line("2", 500, state)])
    assert totals.subtotal == 11000
    by_name = {e.display_name: e for e in totals.tax_breakdown}
    assert (by_name["State"].taxable_amount, by_name["State"].tax_amount) == (11000, 688)  # 687.5 → 688
    assert (by_name["City"].taxable_amount, by_name["City"].tax_amount) == (10000, 200)
    assert (totals.tax, totals.total) == (888, 11888)


def test_jpy_inclusive_consumption_tax():
    # 3 × ¥1,234 = ¥3,702 including 10%: tax = 3702 − 3702/1.1 = 336.545… → ¥337; total stays ¥3,702
    jct = TaxRate("消費税", D("10"), inclusive=True)
    totals = compute_totals([line("3", 1234, jct)])
    assert (totals.subtotal, totals.tax, totals.total) == (3702, 337, 3702)
    assert totals.inclusive_tax == 337 and totals.exclusive_tax == 0
    assert totals.tax_breakdown[0].taxable_amount == 3702


def test_jpy_exclusive_and_fractional_quantity():
    # 2.5 × ¥333 = 832.5 → ¥833; 10% of 833 = 83.3 → ¥83; total ¥916
    totals = compute_totals([line("2.5", 333, TaxRate("JCT", D("10")))])
    assert (totals.subtotal, totals.tax, totals.total) == (833, 83, 916)


def test_kwd_three_decimal_places():
    # 2 × 1.250 KWD = 2.500; 0.333 × 1.000 = 0.333; VAT 5% of 2.833 = 0.14165 → 0.142; total 2.975
    vat = TaxRate("VAT", D("5"))
    totals = compute_totals([line("2", 1250, vat), line("0.333", 1000, vat)])
    assert totals.line_amounts == [2500, 333]
    assert (totals.subtotal, totals.tax, totals.total) == (2833, 142, 2975)


def test_stacked_inclusive_rates_share_one_net():
    # 130.00 including 20% + 10%: net 100.00, taxes 20.00 and 10.00 (not 21.67 + 11.82)
    totals = compute_totals([line("1", 13000, TaxRate("A", D("20"), True), TaxRate("B", D("10"), True))])
    assert [e.tax_amount for e in totals.tax_breakdown] == [2000, 1000]
    assert (totals.subtotal, totals.tax, totals.total) == (13000, 3000, 13000)


def test_same_rate_spelled_differently_is_one_group():
    totals = compute_totals([line("1", 1000, TaxRate("VAT", D("20"))), line("1", 1000, TaxRate("VAT", D("20.00")))])
    assert len(totals.tax_breakdown) == 1
    assert totals.tax_breakdown[0].tax_amount == 400


def test_lines_without_tax():
    totals = compute_totals([line("1", 1000)])
    assert (totals.subtotal, totals.tax, totals.total, totals.tax_breakdown) == (1000, 0, 1000, [])


def test_mixing_inclusive_and_exclusive_on_a_line_is_detected():
    assert mixes_inclusive_and_exclusive([TaxRate("a", D(1), True), TaxRate("b", D(1), False)])
    assert not mixes_inclusive_and_exclusive([TaxRate("a", D(1), True), TaxRate("b", D(2), True)])


# --- property: totals always reconcile -----------------------------------------------

quantities = st.decimals(min_value=D("0.000001"), max_value=D("10000"), places=6, allow_nan=False,
                         allow_infinity=False)
percentages = st.decimals(min_value=D(0), max_value=D(100), places=4, allow_nan=False, allow_infinity=False)
rate_pool = st.lists(st.builds(TaxRate, st.sampled_from(["VAT", "State", "City"]), percentages, st.booleans()),
                     min_size=1, max_size=5)


@st.composite
def invoices(draw):
    pool = draw(rate_pool)
    lines = []
    for _ in range(draw(st.integers(1, 12))):
        inclusive = draw(st.booleans())
        candidates = [r for r in pool if r.inclusive == inclusive]
        rates = draw(st.lists(st.sampled_from(candidates), max_size=3, unique=True)) if candidates else []
        lines.append(LineInput(draw(quantities), draw(st.integers(0, 10**9)), tuple(rates)))
    return lines


@settings(max_examples=300, deadline=None, database=None)
@given(invoices())
def test_totals_reconcile(lines):
    totals = compute_totals(lines)
    assert totals.subtotal == sum(totals.line_amounts)
    assert totals.tax == sum(e.tax_amount for e in totals.tax_breakdown)
    assert totals.tax == totals.inclusive_tax + totals.exclusive_tax
    assert totals.total == totals.subtotal + totals.exclusive_tax
    assert totals.total >= totals.subtotal >= 0
    for i, (item, amount) in enumerate(zip(lines, totals.line_amounts)):
        assert abs(D(amount) - item.quantity * item.unit_amount) <= D("0.5")
    for entry in totals.tax_breakdown:
        key = (entry.display_name, entry.percentage.normalize(), entry.inclusive)
        carrying = [a for item, a in zip(lines, totals.line_amounts) if key in {r.key for r in item.tax_rates}]
        assert entry.taxable_amount == sum(carrying)
        assert 0 <= entry.tax_amount <= entry.taxable_amount
        if not entry.inclusive:
            exact = D(entry.taxable_amount) * entry.percentage / 100
            assert abs(entry.tax_amount - exact) <= D("0.5")
    # Inclusive taxes never exceed what the inclusive lines charge.
    inclusive_gross = sum(a for item, a in zip(lines, totals.line_amounts)
                          if any(r.inclusive for r in item.tax_rates))
    assert totals.inclusive_tax <= inclusive_gross + len(totals.tax_breakdown)


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(st.tuples(quantities, st.integers(0, 10**9)), min_size=1, max_size=8), percentages)
def test_single_inclusive_rate_matches_the_backing_out_formula(items, pct):
    rate = TaxRate("VAT", pct, inclusive=True)
    totals = compute_totals([LineInput(q, u, (rate,)) for q, u in items])
    taxable = D(totals.subtotal)
    expected = money.round_half_up(taxable - taxable / (1 + pct / 100))
    # Same formula, computed once over the sum: at most a rounding step apart from Decimal's context.
    assert abs(totals.tax - expected) <= 1
    assert totals.total == totals.subtotal
