"""The VAT treatment of an invoice: standard, or one of the zero-tax cases an EU seller meets.

Pure rules, no I/O. A treatment other than `standard` makes the whole invoice's tax zero: lines keep
their amounts, no tax rate applies, and the tax breakdown has one entry at 0 % in the EN 16931 VAT
category of the treatment, with its exemption reason (code from the CEF VATEX list, and text). The
invoice must also carry the mention the VAT Directive (2006/112/EC, Article 226(11) and (11a)) requires;
`notices()` gives it in every language the documents speak.

| treatment               | EN 16931 category | VATEX code        | needs                                  |
|-------------------------|-------------------|-------------------|----------------------------------------|
| reverse_charge          | AE                | VATEX-EU-AE       | seller and buyer VAT ids, two EU states |
| intra_community_supply  | K                 | VATEX-EU-IC       | seller and buyer VAT ids, two EU states |
| export                  | G                 | VATEX-EU-G        | the seller's VAT id                     |
| exempt                  | E                 | optional, E codes | a reason (the provision that exempts)  |
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STANDARD = "standard"
REVERSE_CHARGE = "reverse_charge"
INTRA_COMMUNITY_SUPPLY = "intra_community_supply"
EXPORT = "export"
EXEMPT = "exempt"
TREATMENTS = (STANDARD, REVERSE_CHARGE, INTRA_COMMUNITY_SUPPLY, EXPORT, EXEMPT)
LANGUAGES = ("en", "de", "fr")

# EU VAT identification numbers: the member state's prefix (Greece EL, Northern Ireland XI for goods)
# and 2-12 letters or digits. The format, not the registration: VIES is the place to check the latter.
EU_PREFIXES = ("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT",
               "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI")
_EU_VAT_ID = re.compile(rf"(?:{'|'.join(EU_PREFIXES)})[0-9A-Z+*]{{2,12}}")

# VATEX codes that mean "exempt" (category E) in the CEF VATEX code list the EN 16931 rules check.
EXEMPT_VATEX_CODES = frozenset(
    ["VATEX-EU-79-C", "VATEX-EU-132", "VATEX-EU-135-1", "VATEX-EU-143", "VATEX-EU-144", "VATEX-EU-146-1E",
     "VATEX-EU-148", "VATEX-EU-151", "VATEX-EU-153", "VATEX-EU-159", "VATEX-EU-309"]
    + [f"VATEX-EU-132-1{c}" for c in "ABCDEFGHIJKLMNOPQ"]
    + [f"VATEX-EU-143-1{c}" for c in ("A", "B", "C", "D", "E", "F", "FA", "G", "H", "I", "J", "K", "L")]
    + [f"VATEX-EU-148-{c}" for c in "ABCDEFG"]
    + [f"VATEX-EU-151-1{c}" for c in ("A", "AA", "B", "C", "D", "E")])


@dataclass(frozen=True)
class Kind:
    category: str  # EN 16931 VAT category code (UNTDID 5305)
    vatex: str | None
    needs_buyer_vat_id: bool
    needs_seller_vat_id: bool
    cross_border: bool  # seller and buyer registered in two different member states
    labels: dict[str, str]  # the short name of the tax line, per language
    notices: dict[str, str]  # the legally required mention, per language


KINDS: dict[str, Kind] = {
    REVERSE_CHARGE: Kind(
        "AE", "VATEX-EU-AE", True, True, True,
        {"en": "Reverse charge", "de": "Steuerschuldnerschaft des Leistungsempfängers", "fr": "Autoliquidation"},
        {"en": "Reverse charge: VAT to be accounted for by the recipient (Article 196, Directive 2006/112/EC)",
         "de": "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge): Die Umsatzsteuer schuldet der "
               "Leistungsempfänger (Artikel 196 der Richtlinie 2006/112/EG)",
         "fr": "Autoliquidation : TVA due par le preneur (article 196 de la directive 2006/112/CE)"}),
    INTRA_COMMUNITY_SUPPLY: Kind(
        "K", "VATEX-EU-IC", True, True, True,
        {"en": "Intra-Community supply", "de": "Innergemeinschaftliche Lieferung",
         "fr": "Livraison intracommunautaire"},
        {"en": "Intra-Community supply exempt under Article 138 of Directive 2006/112/EC",
         "de": "Steuerfreie innergemeinschaftliche Lieferung (Artikel 138 der Richtlinie 2006/112/EG)",
         "fr": "Exonération de TVA, livraison intracommunautaire (article 138 de la directive 2006/112/CE)"}),
    EXPORT: Kind(
        "G", "VATEX-EU-G", False, True, False,
        {"en": "Export outside the EU", "de": "Ausfuhrlieferung", "fr": "Exportation hors UE"},
        {"en": "Export outside the EU, exempt under Article 146 of Directive 2006/112/EC",
         "de": "Steuerfreie Ausfuhrlieferung in ein Land außerhalb der EU (Artikel 146 der Richtlinie 2006/112/EG)",
         "fr": "Exportation hors UE, exonérée de TVA (article 146 de la directive 2006/112/CE)"}),
    EXEMPT: Kind(
        "E", None, False, True, False,
        {"en": "VAT exempt", "de": "Steuerfrei", "fr": "Exonéré de TVA"},
        # {reason} is the merchant's own text: the provision that exempts the supply.
        {"en": "Exempt from VAT: {reason}", "de": "Steuerfrei: {reason}", "fr": "Exonération de TVA : {reason}"}),
}


@dataclass(frozen=True)
class Applied:
    """A resolved treatment, as the invoice records it."""

    type: str
    exemption_reason: str | None = None  # the merchant's text (exempt only)
    exemption_reason_code: str | None = None  # VATEX code

    @property
    def zero_rated(self) -> bool:
        return self.type != STANDARD

    @property
    def category(self) -> str | None:
        return KINDS[self.type].category if self.zero_rated else None

    def label(self, language: str) -> str | None:
        return KINDS[self.type].labels[_language(language)] if self.zero_rated else None

    def notice(self, language: str) -> str | None:
        if not self.zero_rated:
            return None
        return KINDS[self.type].notices[_language(language)].format(reason=self.exemption_reason or "")

    def notices(self) -> dict[str, str]:
        return {lang: self.notice(lang) for lang in LANGUAGES} if self.zero_rated else {}


def applied(treatment: str | None, exemption_reason: str | None = None,
            exemption_reason_code: str | None = None) -> Applied:
    """The treatment an invoice records: its VATEX code fixed for AE/K/G, the merchant's for E."""
    treatment = treatment or STANDARD
    if treatment == STANDARD:
        return Applied(STANDARD)
    if treatment == EXEMPT:
        return Applied(EXEMPT, exemption_reason, exemption_reason_code)
    return Applied(treatment, None, KINDS[treatment].vatex)


def from_customer(tax_treatment: str | None, tax_exempt: bool | None) -> str | None:
    """A customer's own treatment: the explicit one, else `tax_exempt: true` means exempt; None = not set."""
    if tax_treatment is not None:
        return tax_treatment
    return EXEMPT if tax_exempt else None


def is_eu_vat_id(value: str | None) -> bool:
    return bool(value) and _EU_VAT_ID.fullmatch(normalize_vat_id(value)) is not None


def normalize_vat_id(value: str) -> str:
    """'de 123 456 789' → 'DE123456789' (spaces, dots and dashes are only for the eye)."""
    return re.sub(r"[\s.\-]", "", value).upper()


def vat_country(value: str | None) -> str | None:
    """ISO 3166 country of an EU VAT id ('EL…' → 'GR', 'XI…' → 'GB'), else None."""
    if not is_eu_vat_id(value):
        return None
    prefix = normalize_vat_id(value)[:2]
    return {"EL": "GR", "XI": "GB"}.get(prefix, prefix)


SELLER_TAX_ID, BUYER_TAX_ID, EXEMPTION_REASON = "seller_tax_id", "buyer_tax_id", "tax_exemption_reason"


@dataclass(frozen=True)
class Problem:
    field: str  # SELLER_TAX_ID, BUYER_TAX_ID or EXEMPTION_REASON
    message: str
    missing: bool = True  # False: given, but not what the treatment needs


def problems(treatment: Applied, seller_tax_id: str | None, buyer_tax_id: str | None) -> list[Problem]:
    """What stops an invoice from carrying this treatment; empty when it may."""
    if not treatment.zero_rated:
        return []
    kind = KINDS[treatment.type]
    name = treatment.type.replace("_", " ")
    found = []
    if kind.needs_seller_vat_id and not is_eu_vat_id(seller_tax_id):
        found.append(Problem(SELLER_TAX_ID, f"{name} needs the seller's EU VAT id (e.g. DE123456789) as tax_id "
                                            f"in the organization's invoice settings.", missing=not seller_tax_id))
    if buyer := buyer_problem(treatment.type, buyer_tax_id):
        found.append(buyer)
    if kind.cross_border and not found and vat_country(seller_tax_id) == vat_country(buyer_tax_id):
        found.append(Problem(BUYER_TAX_ID, f"{name} is for a buyer registered in another member state; seller "
                                           f"and customer both have {vat_country(buyer_tax_id)} VAT ids.",
                             missing=False))
    if treatment.type == EXEMPT and not (treatment.exemption_reason or "").strip():
        found.append(Problem(EXEMPTION_REASON, "an exempt invoice must state why it is exempt (the provision, "
                                               "e.g. 'Article 132(1)(c) of Directive 2006/112/EC' or "
                                               "'§ 4 Nr. 14 UStG') in tax_exemption_reason."))
    return found


def buyer_problem(treatment: str | None, buyer_tax_id: str | None) -> Problem | None:
    """The buyer's side alone (a customer's own treatment is checked when the customer is saved)."""
    kind = KINDS.get(treatment or STANDARD)
    if kind is None or not kind.needs_buyer_vat_id or is_eu_vat_id(buyer_tax_id):
        return None
    return Problem(BUYER_TAX_ID, f"{treatment.replace('_', ' ')} needs the customer's EU VAT id "
                                 f"(e.g. FR40303265045) as the customer's tax_id.", missing=not buyer_tax_id)


def _language(locale: str | None) -> str:
    language = (locale or "en").replace("-", "_").split("_")[0].lower()
    return language if language in LANGUAGES else "en"
