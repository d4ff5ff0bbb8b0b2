"""The money rules of pricing: allocation, discounts, taxes on discounted amounts, reporting totals.

Worked examples are checked by hand (the arithmetic is in the comments) in USD,
JPY and KWD; hypothesis checks that totals reconcile for any input.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from duely_invoicing.domain import fx, money
from duely_invoicing.domain.allocation import allocate
from duely_invoicing.domain.discounts import Discount, DiscountTooLarge, discount_amounts
from duely_invoicing.domain.pricing import LineSpec, price_invoice
from duely_invoicing.domain.tax import TaxRate


def pct(value: str) -> Discount:
    return Discount(percentage=D(value))


def off(amount: int) -> Discount:
    return Discount(amount=amount)


def check_reconciles(p) -> None:
    assert p.subtotal == sum(line.amount for line in p.lines)
    assert p.total_discount == sum(line.discount_amount for line in p.lines)
    assert p.total == p.subtotal - p.total_discount + p.exclusive_tax
    assert p.total == sum(line.total for line in p.lines)
    assert p.tax == sum(line.tax_amount for line in p.lines) == sum(e.tax_amount for e in p.tax_breakdown)
    assert p.tax == p.inclusive_tax + p.exclusive_tax
    for line in p.lines:
        assert 0 <= line.discount_amount <= line.amount
        assert line.tax_amount >= 0 and line.total >= 0


# --- currencies ----------------------------------------------------------------------------

@pytest.mark.parametrize("code,exponent", [("usd", 2), ("JPY", 0), ("kwd", 3), ("bhd", 3), ("clf", 4), ("krw", 0),
                                           ("huf", 2), ("idr", 2), ("iqd", 3), ("xof", 0), ("eur", 2)])
def test_minor_units_are_iso_4217s(code, exponent):
    # HUF, IDR (2) and IQD (3) are where CLDR's display digits (0) differ from ISO 4217's minor unit.
    assert money.normalize_currency(code) == code.lower()
    assert money.minor_unit_exponent(code) == exponent


@pytest.mark.parametrize("code", ["xau", "xxx", "xts", "dem", "hrk", "eu", "", "usd1"])
def test_only_current_currencies_with_a_minor_unit_are_accepted(code):
    assert money.normalize_currency(code) is None


# --- allocation --------------------------------------------------------------------------

def test_largest_remainder_by_hand():
    # 100 over 1:1:1 → 33.33 each: floors 33+33+33 = 99, the one left goes to the first (ties: earliest)
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    # 10 over 3:3:4 → 3, 3, 4 exactly
    assert allocate(10, [3, 3, 4]) == [3, 3, 4]
    # 5 over 1:2 → 1.67, 3.33: floors 1+3 = 4, one left to the .67 → [2, 3]
    assert allocate(5, [1, 2]) == [2, 3]
    assert allocate(0, [0, 0]) == [0, 0]
    assert allocate(7, [0, 5]) == [0, 7]


def test_allocation_refuses_what_cannot_be_split():
    with pytest.raises(ValueError):
        allocate(1, [0, 0])
    with pytest.raises(ValueError):
        allocate(-1, [1])
    with pytest.raises(ValueError):
        allocate(1, [1, -1])


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.integers(0, 10**12), min_size=1, max_size=30), st.data())
def test_allocation_is_exact_and_never_above_a_weight(weights, data):
    assume(sum(weights) > 0)
    total = data.draw(st.integers(0, sum(weights)))
    shares = allocate(total, weights)
    assert sum(shares) == total
    for share, weight in zip(shares, weights):
        assert 0 <= share <= weight
        assert abs(share - D(total) * weight / sum(weights)) < 1


# --- discounts ---------------------------------------------------------------------------

def test_discounts_do_not_compound_and_round_each_once():
    # 10% of 333 = 33.3 → 33; 5% of 333 = 16.65 → 17; 100 fixed
    assert discount_amounts(333, [pct("10"), pct("5"), off(100)]) == [33, 17, 100]


def test_a_discount_above_its_base_names_itself():
    with pytest.raises(DiscountTooLarge) as caught:
        discount_amounts(1000, [pct("60"), pct("50")])  # 600 + 500 = 1100 > 1000
    assert (caught.value.index, caught.value.base, caught.value.requested) == (1, 1000, 1100)
    assert discount_amounts(1000, [pct("60"), off(400)]) == [600, 400]  # exactly the base is fine


def test_a_discount_is_one_kind_or_the_other():
    for bad in (dict(), dict(percentage=D(1), amount=1), dict(percentage=D(101)), dict(amount=-1)):
        with pytest.raises(ValueError):
            Discount(**bad)


# --- worked examples, checked by hand ----------------------------------------------------

def test_usd_line_and_invoice_discounts_with_state_and_city_tax():
    ca, city = TaxRate("CA", D("8.25")), TaxRate("City", D("1"))
    p = price_invoice([
        LineSpec(D("3"), 1999, (ca,), (pct("10"),)),      # 3 × $19.99 = 5997; 10% = 599.7 → 600 → 5397
        LineSpec(D("1.5"), 10000, (ca, city), (off(500),)),  # 1.5 × $100 = 15000; −$5.00 → 14500
    ], [off(2000)])                                         # −$20.00 over 5397 : 14500 (Σ 19897)
    # 2000 × 5397/19897 = 542.494, 2000 × 14500/19897 = 1457.506: floors 542 + 1457 = 1999,
    # the one cent left goes to the larger remainder (.506) → 542 and 1458
    assert [line.invoice_discount for line in p.lines] == [542, 1458]
    # taxable: 5397 − 542 = 4855 and 14500 − 1458 = 13042
    # CA 8.25% of 17897 = 1476.5025 → 1477; City 1% of 13042 = 130.42 → 130
    assert [(e.display_name, e.taxable_amount, e.tax_amount) for e in p.tax_breakdown] == [
        ("CA", 17897, 1477), ("City", 13042, 130)]
    # per line, CA: 400.5375 and 1075.965 → floors 400 + 1075 = 1475, both remainders take one → 401, 1076
    assert [line.tax_amount for line in p.lines] == [401, 1076 + 130]
    # subtotal 20997 − discounts (600 + 500 + 2000 = 3100) + tax 1607 = 19504
    assert (p.subtotal, p.total_discount, p.tax, p.total) == (20997, 3100, 1607, 19504)
    # the lines shown: 4855 + 401 = 5256 and 13042 + 1206 = 14248, Σ 19504
    assert [line.total for line in p.lines] == [5256, 14248]
    check_reconciles(p)


def test_jpy_inclusive_consumption_taxes_after_discounts():
    standard, reduced = TaxRate("消費税 10%", D("10"), True), TaxRate("軽減税率 8%", D("8"), True)
    p = price_invoice([
        LineSpec(D("3"), 1234, (standard,), (pct("5"),)),  # ¥3,702 incl.; 5% = 185.1 → 185 → 3517
        LineSpec(D("2"), 1080, (reduced,)),                # ¥2,160 incl.
    ], [pct("10")])                                        # 10% of 3517 + 2160 = 5677 → 567.7 → 568
    # 568 × 3517/5677 = 351.886, 568 × 2160/5677 = 216.114 → floors 351 + 216 = 567 → the yen to line 1
    assert p.invoice_discount_amounts == (568,)
    assert [line.invoice_discount for line in p.lines] == [352, 216]
    # taxable (gross): 3517 − 352 = 3165 and 2160 − 216 = 1944
    # 10% inside 3165: 3165 / 1.1 = 2877.27 net → tax 287.727 → 288; 8% inside 1944: net 1800 → 144
    assert [(e.taxable_amount, e.tax_amount) for e in p.tax_breakdown] == [(3165, 288), (1944, 144)]
    # subtotal 5862 − discounts (185 + 568 = 753) = 5109; inclusive tax is already inside
    assert (p.subtotal, p.total_discount, p.tax, p.inclusive_tax, p.total) == (5862, 753, 432, 432, 5109)
    assert [line.total for line in p.lines] == [3165, 1944]
    check_reconciles(p)


def test_kwd_three_decimals_with_fixed_and_percentage_discounts():
    vat = TaxRate("VAT", D("5"))
    p = price_invoice([
        LineSpec(D("2"), 1250, (vat,), (off(100),)),  # 2 × 1.250 KWD = 2.500; −0.100 → 2.400
        LineSpec(D("0.333"), 1000, (vat,)),            # 0.333 × 1.000 = 0.333
    ], [pct("12.5")])                                  # 12.5% of 2.733 = 0.341625 → 0.342
    # 342 × 2400/2733 = 300.329, 342 × 333/2733 = 41.671 → floors 300 + 41 = 341 → the fils to line 2
    assert [line.invoice_discount for line in p.lines] == [300, 42]
    # taxable 2.100 + 0.291 = 2.391; VAT 5% = 0.11955 → 0.120; per line 0.105 exactly and 0.01455 → 0.015
    assert [(e.taxable_amount, e.tax_amount) for e in p.tax_breakdown] == [(2391, 120)]
    assert [line.tax_amount for line in p.lines] == [105, 15]
    # 2.833 − 0.442 + 0.120 = 2.511
    assert (p.subtotal, p.total_discount, p.tax, p.total) == (2833, 442, 120, 2511)
    assert [line.total for line in p.lines] == [2205, 306]
    check_reconciles(p)


def test_invoice_discount_above_what_is_left_after_line_discounts():
    with pytest.raises(DiscountTooLarge) as caught:
        price_invoice([LineSpec(D(1), 1000, (), (pct("50"),))], [off(501)])  # 500 left, 501 asked
    assert (caught.value.line, caught.value.index, caught.value.base) == (None, 0, 500)
    with pytest.raises(DiscountTooLarge) as caught:
        price_invoice([LineSpec(D(1), 10), LineSpec(D(1), 10, (), (off(11),))])
    assert (caught.value.line, caught.value.index) == (1, 0)


def test_a_fully_discounted_invoice_is_zero_everywhere():
    p = price_invoice([LineSpec(D(1), 999, (TaxRate("VAT", D("20")),))], [pct("100")])
    assert (p.total_discount, p.tax, p.total) == (999, 0, 0)
    check_reconciles(p)


# --- reconciliation for any input, in USD, JPY and KWD ------------------------------------

percentages = st.decimals(min_value=D(0), max_value=D(100), places=4, allow_nan=False, allow_infinity=False)
discount_pcts = st.decimals(min_value=D("0.0001"), max_value=D(100), places=4, allow_nan=False,
                            allow_infinity=False)
quantities = st.decimals(min_value=D("0.000001"), max_value=D("1000"), places=6, allow_nan=False,
                         allow_infinity=False)


def discounts_up_to(limit: int):
    return st.lists(st.one_of(st.builds(lambda p: Discount(percentage=p), discount_pcts),
                              st.builds(lambda a: Discount(amount=a), st.integers(1, max(1, limit)))),
                    max_size=3)


@st.composite
def invoices(draw, exponent: int):
    unit_max = 10 ** (exponent + 5)  # up to 100,000 major units
    pool = draw(st.lists(st.builds(TaxRate, st.sampled_from(["VAT", "State", "City"]), percentages, st.booleans()),
                         min_size=1, max_size=4))
    lines = []
    for _ in range(draw(st.integers(1, 10))):
        inclusive = draw(st.booleans())
        candidates = [r for r in pool if r.inclusive == inclusive]
        rates = draw(st.lists(st.sampled_from(candidates), max_size=3, unique=True)) if candidates else []
        lines.append(LineSpec(draw(quantities), draw(st.integers(0, unit_max)), tuple(rates),
                              tuple(draw(discounts_up_to(unit_max)))))
    return lines, draw(discounts_up_to(unit_max * 10))


@pytest.mark.parametrize("currency", ["usd", "jpy", "kwd"])
@settings(max_examples=200, deadline=None, database=None)
@given(data=st.data())
def test_totals_always_reconcile(currency, data):
    lines, discounts = data.draw(invoices(money.minor_unit_exponent(currency)))
    try:
        p = price_invoice(lines, discounts)
    except DiscountTooLarge as exc:
        assert exc.requested > exc.base  # refused only when a discount really is above its base
        return
    check_reconciles(p)
    own_left = [line.amount - sum(line.discount_amounts) for line in p.lines]
    assert sum(p.invoice_discount_amounts) == sum(line.invoice_discount for line in p.lines)
    assert sum(p.invoice_discount_amounts) <= sum(own_left)
    for entry in p.tax_breakdown:
        exact_base = D(entry.taxable_amount) * entry.percentage / 100
        assert 0 <= entry.tax_amount <= entry.taxable_amount
        if not entry.inclusive:
            assert abs(entry.tax_amount - exact_base) <= D("0.5")  # one rounding per rate, on the discounted sum


# --- reporting currency ------------------------------------------------------------------

def test_conversion_respects_each_currencys_minor_units():
    # ¥12,345 × 0.0067 = $82.7115 → 8271 cents
    assert fx.convert(12345, "jpy", "usd", D("0.0067")) == 8271
    # $82.71 × 149.25 = ¥12,344.4675 → ¥12,344
    assert fx.convert(8271, "usd", "jpy", D("149.25")) == 12344
    # 2.511 KWD × 3.25 = 8.16075 USD = 816.075 cents → 816
    assert fx.convert(2511, "kwd", "usd", D("3.25")) == 816
    # $100.00 × 0.3075 = 30.75 KWD = 30750 fils
    assert fx.convert(10000, "usd", "kwd", D("0.3075")) == 30750


def test_rate_choice_prefers_the_most_recent_and_the_direct_one_on_a_tie():
    direct = fx.ExchangeRate("usd", "eur", D("0.9"), date(2026, 1, 1))
    reverse = fx.ExchangeRate("eur", "usd", D("1.25"), date(2026, 2, 1))
    chosen = fx.choose(direct, reverse)
    assert (chosen.base, chosen.quote, chosen.rate, chosen.source) == ("usd", "eur", D("0.8"), "manual (inverse)")
    same_day = fx.ExchangeRate("eur", "usd", D("1.25"), date(2026, 1, 1))
    assert fx.choose(direct, same_day) is direct
    assert fx.choose(None, None) is None
    assert fx.inverse(fx.ExchangeRate("usd", "jpy", D("150"), date(2026, 1, 1))).rate == D("0.00666666666667")


async def test_find_rate_asks_the_provider_for_both_directions():
    class Table:
        async def latest(self, base, quote, on):
            return {("jpy", "usd"): fx.ExchangeRate("jpy", "usd", D("0.0067"), date(2026, 1, 5))}.get((base, quote))

    found = await fx.find_rate(Table(), "jpy", "usd", date(2026, 1, 10))
    assert found.rate == D("0.0067")
    inverted = await fx.find_rate(Table(), "usd", "jpy", date(2026, 1, 10))
    assert inverted.base == "usd" and inverted.rate == D("149.253731343")
    assert (await fx.find_rate(Table(), "usd", "usd", date(2026, 1, 10))).source == "identity"
    assert await fx.find_rate(Table(), "usd", "eur", date(2026, 1, 10)) is None
    total = fx.reporting_total(12345, "jpy", found)
    assert (total.currency, total.total, total.rate_date) == ("usd", 8271, date(2026, 1, 5))


@settings(max_examples=200, deadline=None, database=None)
@given(st.integers(0, 10**15), st.sampled_from(["usd", "jpy", "kwd", "eur"]), st.sampled_from(["usd", "jpy", "kwd"]),
       st.decimals(min_value=D("0.000001"), max_value=D("100000"), places=6, allow_nan=False, allow_infinity=False))
def test_conversion_is_within_half_a_minor_unit(amount, source, target, rate):
    exact = D(amount).scaleb(-money.minor_unit_exponent(source)) * rate
    converted = fx.convert(amount, source, target, rate)
    assert converted >= 0
    assert abs(D(converted).scaleb(-money.minor_unit_exponent(target)) - exact) <= \
        D("0.5").scaleb(-money.minor_unit_exponent(target)) + D("1e-30")
