"""What the OpenAPI schema says about our text forms: exactly what the validators accept, or less.

They only describe (json_schema_extra); the validators stay the authority and keep their own
error messages. Documented forms are a subset of what is accepted, so a client (or a fuzzer)
generating from the schema sends values that pass, and what the server refuses the schema
refuses too: ISO codes are enumerated, decimals carry their precision.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

from babel import Locale, UnknownLocaleError
from babel.localedata import locale_identifiers

from duely_contracts.currency import minor_units

# net_0 … net_365
TERMS = {"pattern": r"^(due_on_receipt|net_([0-9]|[1-9][0-9]|[12][0-9]{2}|3[0-5][0-9]|36[0-5]))$"}
COLOUR = {"pattern": r"^#[0-9A-Fa-f]{6}$"}


def _both_cases(codes) -> list[str]:
    return sorted({c.upper() for c in codes} | {c.lower() for c in codes})


def currency(schema: dict) -> None:
    schema["enum"] = _both_cases(minor_units())


@lru_cache(maxsize=1)
def countries() -> frozenset[str]:
    return frozenset(code for code in Locale("en").territories if len(code) == 2 and code.isalpha())


def country(schema: dict) -> None:
    schema["enum"] = _both_cases(countries())


@lru_cache(maxsize=1)
def locales() -> list[str]:
    known = []
    for identifier in locale_identifiers():
        try:
            code = str(Locale.parse(identifier))
        except (UnknownLocaleError, ValueError):
            continue
        if code != "root" and len(code) <= 20:
            known.append(code)
    return sorted(set(known))


def locale(schema: dict) -> None:
    schema["enum"] = locales()


def decimal(pattern: str, places: int) -> Callable[[dict], None]:
    """A Decimal field is `number | string`: the string branch gets the validator's shape (digits,
    precision, and bounds where a pattern can say them), the number branch its precision."""
    def extra(schema: dict) -> None:
        for branch in schema.get("anyOf", []):
            if branch.get("type") == "string":
                branch["pattern"] = pattern
            elif branch.get("type") == "number":
                branch["multipleOf"] = 10.0 ** -places
    return extra


def _nonzero(body: str) -> str:
    return rf"^(?!0*(\.0*)?$){body}$"


# quantity: above 0, at most 10^9, ≤ 6 decimals
QUANTITY = decimal(_nonzero(r"\d{1,9}(\.\d{1,6})?"), 6)
# percentages: 0–100 (discounts: above 0), ≤ 4 decimals
PERCENTAGE = decimal(r"^(\d{1,2}(\.\d{1,4})?|100(\.0{1,4})?)$", 4)
POSITIVE_PERCENTAGE = decimal(_nonzero(r"(\d{1,2}(\.\d{1,4})?|100(\.0{1,4})?)"), 4)
# exchange rates: above 0, at most 10^9, ≤ 12 decimals
RATE = decimal(_nonzero(r"\d{1,9}(\.\d{1,12})?"), 12)


# Documented subsets of what the listing filters parse (ISO dates, or unix seconds).
_DATE = r"(19|20)\d\d-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])"
INSTANT = {"pattern": rf"^({_DATE}|\d{{1,10}})$"}
DATE = {"pattern": rf"^{_DATE}$"}
PREFIX = {"pattern": r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,19}$"}


def not_null(schema: dict) -> None:
    """A PATCH field that may be left out but not set to null."""
    branches = [b for b in schema.get("anyOf", []) if b.get("type") != "null"]
    if len(branches) == 1:
        schema.pop("anyOf")
        schema.update(branches[0])
_FIXED = r"([^{}]|\{(PREFIX|YYYY|YY|MM)\})*"
NUMBER_FORMAT = {"pattern": rf"^{_FIXED}\{{N{{1,12}}\}}{_FIXED}$"}
