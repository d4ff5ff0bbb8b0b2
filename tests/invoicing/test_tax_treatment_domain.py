"""VAT treatments as pure rules: what each needs, its wording, and how an invoice's treatment resolves."""

from __future__ import annotations

import dataclasses

import pytest

from duely_contracts import tax_treatment as vat
from duely_invoicing.domain.settings_resolution import (
    CUSTOMER, DEFAULT, INVOICE, CustomerSettings, OrganizationSettings, Overrides, resolve,
)

SELLER, BUYER = "DE123456789", "FR40303265045"


@pytest.mark.parametrize(("value", "ok"), [
    ("DE123456789", True), ("de 123 456 789", True), ("EL094259216", True), ("XI123456789", True),
    ("FR40303265045", True), ("ATU12345678", True), ("GB123456789", False), ("US12-3456789", False),
    ("123456789", False), ("DE1", False), ("", False), (None, False)])
def test_eu_vat_ids_by_format(value, ok):
    assert vat.is_eu_vat_id(value) is ok


def test_vat_country_maps_greece_and_northern_ireland():
    assert vat.vat_country("EL094259216") == "GR" and vat.vat_country("XI123456789") == "GB"
    assert vat.vat_country("DE123456789") == "DE" and vat.vat_country("US1") is None


@pytest.mark.parametrize("treatment", ["reverse_charge", "intra_community_supply"])
def test_cross_border_treatments_need_both_vat_ids_in_two_member_states(treatment):
    applied = vat.applied(treatment)
    assert vat.problems(applied, SELLER, BUYER) == []
    assert [p.field for p in vat.problems(applied, None, BUYER)] == [vat.SELLER_TAX_ID]
    assert [p.field for p in vat.problems(applied, SELLER, None)] == [vat.BUYER_TAX_ID]
    assert [(p.field, p.missing) for p in vat.problems(applied, SELLER, "US12-3456789")] == [(vat.BUYER_TAX_ID, False)]
    assert [p.field for p in vat.problems(applied, None, None)] == [vat.SELLER_TAX_ID, vat.BUYER_TAX_ID]
    same_country = vat.problems(applied, SELLER, "DE811907980")
    assert [(p.field, p.missing) for p in same_country] == [(vat.BUYER_TAX_ID, False)]
    assert "another member state" in same_country[0].message


def test_export_needs_the_sellers_vat_id_only_and_exempt_a_reason():
    assert vat.problems(vat.applied("export"), SELLER, None) == []
    assert [p.field for p in vat.problems(vat.applied("export"), None, None)] == [vat.SELLER_TAX_ID]
    assert [p.field for p in vat.problems(vat.applied("exempt"), SELLER, None)] == [vat.EXEMPTION_REASON]
    assert [p.field for p in vat.problems(vat.applied("exempt", "  "), SELLER, None)] == [vat.EXEMPTION_REASON]
    assert vat.problems(vat.applied("exempt", "§ 4 Nr. 14 UStG"), SELLER, None) == []
    assert vat.problems(vat.applied("standard"), None, None) == []


def test_each_treatment_has_its_category_vatex_code_and_wording_in_three_languages():
    cases = {"reverse_charge": ("AE", "VATEX-EU-AE", "Article 196"),
             "intra_community_supply": ("K", "VATEX-EU-IC", "Article 138"),
             "export": ("G", "VATEX-EU-G", "Article 146")}
    for treatment, (category, code, article) in cases.items():
        applied = vat.applied(treatment, "ignored", "VATEX-EU-132")  # AE/K/G take their own code, no reason
        assert (applied.category, applied.exemption_reason_code, applied.exemption_reason) == (category, code, None)
        notices = applied.notices()
        assert set(notices) == {"en", "de", "fr"} and article in notices["en"]
        assert article.replace("Article", "Artikel") in notices["de"]
        assert article.replace("Article", "article") in notices["fr"]
    assert vat.applied("reverse_charge").notice("en_GB") == (
        "Reverse charge: VAT to be accounted for by the recipient (Article 196, Directive 2006/112/EC)")
    assert vat.applied("reverse_charge").notice("nl_NL") == vat.applied("reverse_charge").notice("en")
    exempt = vat.applied("exempt", "§ 4 Nr. 14 UStG", "VATEX-EU-132-1C")
    assert (exempt.category, exempt.exemption_reason_code) == ("E", "VATEX-EU-132-1C")
    assert exempt.notice("de-DE") == "Steuerfrei: § 4 Nr. 14 UStG"
    standard = vat.applied(None)
    assert (standard.type, standard.zero_rated, standard.category, standard.notices()) == ("standard", False,
                                                                                          None, {})


def test_exempt_vatex_codes_are_the_lists_category_e_codes():
    assert "VATEX-EU-132-1C" in vat.EXEMPT_VATEX_CODES and "VATEX-EU-143-1FA" in vat.EXEMPT_VATEX_CODES
    for other in ("VATEX-EU-AE", "VATEX-EU-IC", "VATEX-EU-G", "VATEX-EU-O", "VATEX-EU-D"):
        assert other not in vat.EXEMPT_VATEX_CODES


# --- resolution: invoice → customer (tax_exempt means exempt) → standard -------------------------------

ORG = OrganizationSettings(organization_name="Acme GmbH")
CUST = CustomerSettings(email="buyer@example.com")


def test_standard_by_default():
    resolved = resolve(ORG, CUST)
    assert (resolved["tax_treatment"], resolved.source("tax_treatment")) == ("standard", DEFAULT)
    assert resolved["tax_exemption_reason"] is None


def test_the_customers_treatment_and_tax_exempt():
    reverse = resolve(ORG, dataclasses.replace(CUST, tax_treatment="reverse_charge"))
    assert (reverse["tax_treatment"], reverse.source("tax_treatment")) == ("reverse_charge", CUSTOMER)
    exempt = resolve(ORG, dataclasses.replace(CUST, tax_exempt=True, tax_exemption_reason="§ 4 Nr. 14 UStG"))
    assert (exempt["tax_treatment"], exempt.source("tax_treatment")) == ("exempt", CUSTOMER)
    assert (exempt["tax_exemption_reason"], exempt.source("tax_exemption_reason")) == ("§ 4 Nr. 14 UStG", CUSTOMER)
    # An explicit treatment wins over tax_exempt.
    explicit = resolve(ORG, dataclasses.replace(CUST, tax_exempt=True, tax_treatment="export"))
    assert explicit["tax_treatment"] == "export"
    assert resolve(ORG, dataclasses.replace(CUST, tax_exempt=False))["tax_treatment"] == "standard"


def test_the_invoice_overrides_the_customer_but_a_subscription_does_not():
    customer = dataclasses.replace(CUST, tax_treatment="reverse_charge", tax_exemption_reason="cust reason")
    resolved = resolve(ORG, customer, Overrides(tax_treatment="export"),
                       Overrides(tax_treatment="exempt", tax_exemption_reason="inv reason"))
    assert (resolved["tax_treatment"], resolved.source("tax_treatment")) == ("exempt", INVOICE)
    assert (resolved["tax_exemption_reason"], resolved.source("tax_exemption_reason")) == ("inv reason", INVOICE)
    only_subscription = resolve(ORG, customer, Overrides(tax_treatment="export"))
    assert only_subscription["tax_treatment"] == "reverse_charge"
