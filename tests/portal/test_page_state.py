"""The hosted page's state after paying (pure), and what the rendered page carries of the merchant's brand."""

from __future__ import annotations

import pytest

from duely_portal import pages
from duely_portal.domain.page_state import MAX_REFRESHES, PageState, accepted_methods, page_state, parse_wait
from duely_portal.service import HostedInvoice

from tests.invoicing.documents_helpers import snapshot as branded_snapshot


@pytest.mark.parametrize("status, amount_due, payment, code, expected", [
    ("issued", 100, None, None, PageState("payable")),
    ("past_due", 100, None, None, PageState("payable")),
    ("issued", 100, "failed", "card_declined", PageState("payable", failure_code="card_declined")),
    ("issued", 100, "failed", None, PageState("payable", failure_code="payment_failed")),
    # The charge succeeded, the read model does not know yet: processing, reloading, never "received".
    ("issued", 100, "succeeded", None, PageState("processing", refresh_after=2, next_wait=1)),
    ("past_due", 100, "processing", None, PageState("processing", refresh_after=2, next_wait=1)),
    ("paid", 0, "succeeded", None, PageState("paid", just_paid=True)),
    ("paid", 0, None, None, PageState("paid")),
    ("paid", 0, "failed", "card_declined", PageState("paid")),  # a stale failure link says nothing
    ("void", 100, "succeeded", None, PageState("void")),  # voided meanwhile (payments refunds): no "received"
    ("uncollectible", 100, None, None, PageState("uncollectible")),
    ("issued", 0, None, None, PageState("closed")),
])
def test_page_state(status, amount_due, payment, code, expected):
    assert page_state(status, amount_due, payment, code, waited=0) == expected


def test_the_page_stops_reloading_after_the_bound():
    assert page_state("issued", 100, "succeeded", None, waited=MAX_REFRESHES - 1).next_wait == MAX_REFRESHES
    stopped = page_state("issued", 100, "succeeded", None, waited=MAX_REFRESHES)
    assert stopped == PageState("processing") and stopped.refresh_after is None


@pytest.mark.parametrize("value, expected", [
    (None, 0), ("0", 0), ("7", 7), ("999", 999), ("1000", MAX_REFRESHES), ("-1", MAX_REFRESHES),
    ("x", MAX_REFRESHES), ("", MAX_REFRESHES),
])
def test_parse_wait(value, expected):
    assert parse_wait(value) == expected


def test_accepted_methods_default_to_card_for_older_snapshots():
    assert accepted_methods(None) == ("card",)
    assert accepted_methods([]) == ("card",)
    assert accepted_methods(["wire_transfer"]) == ("wire_transfer",)


def test_the_page_carries_the_sellers_logo_accent_and_footer():
    s = branded_snapshot(locale="de_DE")
    s = s.model_copy(update={"issuer": s.issuer.model_copy(update={"logo_url": "https://cdn.example/logo.png"})})
    html = pages.render_invoice(HostedInvoice(s, 2, []), "tok", payment=None, code=None)
    assert '<html lang="de-DE">' in html
    assert ":root { --accent: #0a7d4f; }" in html
    assert '<img src="https://cdn.example/logo.png" alt="" referrerpolicy="no-referrer" id="logo">' in html
    assert '<p id="seller-footer">Muster GmbH · Amtsgericht Berlin HRB 12345</p>' in html
    assert "PDF herunterladen" in html and "USt-IdNr.: DE123456789" in html


def test_an_accent_that_is_not_a_colour_never_reaches_the_css():
    s = branded_snapshot()
    s = s.model_copy(update={"issuer": s.issuer.model_copy(update={"accent_color": "red;}</style><script>"})})
    html = pages.render_invoice(HostedInvoice(s, 2, []), "tok", payment=None, code=None)
    assert "<script>" not in html.split("<body>")[0] and "red;}" not in html


def test_a_zero_tax_treatment_shows_its_legal_mention_in_the_customers_language():
    from duely_contracts.models import TaxTreatmentApplied
    notices = {"en": "Reverse charge: VAT to be accounted for by the recipient (Article 196, Directive 2006/112/EC)",
               "fr": "Autoliquidation : TVA due par le preneur (article 196 de la directive 2006/112/CE)"}
    s = branded_snapshot(locale="fr_FR").model_copy(update={"tax_treatment": TaxTreatmentApplied(
        type="reverse_charge", category="AE", exemption_reason_code="VATEX-EU-AE", notices=notices)})
    html = pages.render_invoice(HostedInvoice(s, 2, []), "tok", payment=None, code=None)
    assert 'id="tax-notice"' in html and "Autoliquidation" in html
