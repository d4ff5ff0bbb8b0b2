"""Money in a request is an integer of the currency's minor units; say so when a caller sends 10.50.

Pydantic's "Input should be a valid integer" does not tell a caller who sent "10.50" or 10.5 what
to send instead. `IntegerMinorUnits` goes in front of an amount field's strict int and refuses
anything but an integer with that hint (the error handler names the field in `param`).
"""

from __future__ import annotations

import json

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError


ERROR_TYPE = "minor_units"


def minor_units_hint(value: object) -> str:
    """The rule with examples per kind of currency, after the field's name. No example is computed
    from the value: the factor depends on the currency (JPY has no minor unit, KWD has three)."""
    if isinstance(value, str) and value.strip().isdigit():  # "1050": the right number, sent as a string
        return f"must be a JSON integer, not a string: {int(value)}, not {json.dumps(value)}"
    return ("must be an integer number of the currency's minor units: 1050 for USD or EUR 10.50, "
            "1050 for JPY 1,050 (no minor unit), 10500 for KWD 10.500")


def refuse_non_integer_amount(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError(ERROR_TYPE, minor_units_hint(value))
    return value


IntegerMinorUnits = BeforeValidator(refuse_non_integer_amount)
