"""Patterns that document, in the OpenAPI schema, the text forms our validators accept.

They only describe (json_schema_extra); the validators stay the authority and keep
their own error messages. Documented forms are a subset of what is accepted, so a
client (or a fuzzer) generating from the schema sends values that pass.
"""

from __future__ import annotations

DECIMAL = r"^[+-]?(\d+(\.\d*)?|\.\d+)$"
CURRENCY = {"pattern": r"^[A-Za-z]{3}$"}
LOCALE = {"pattern": r"^[a-z]{2,3}([_-][A-Za-z]{2,4})?$"}
TERMS = {"pattern": r"^(due_on_receipt|net_[0-9]{1,3})$"}
COLOUR = {"pattern": r"^#[0-9A-Fa-f]{6}$"}
COUNTRY = {"pattern": r"^[A-Za-z]{2}$"}


def decimal_string(schema: dict) -> None:
    """A Decimal field is `number | string`: give the string branch its shape."""
    for branch in schema.get("anyOf", []):
        if branch.get("type") == "string":
            branch["pattern"] = DECIMAL
