"""Money in a request is an integer of the currency's minor units; say so when a caller sends 10.50.

Pydantic's "Input should be a valid integer" does not tell a caller who sent "10.50" or 10.5 what
to send instead. `IntegerMinorUnits` goes in front of an amount field's strict int and refuses
anything but an integer with that hint (the error handler names the field in `param`).
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError


ERROR_TYPE = "minor_units"


def minor_units_hint(value: object) -> str:
    """'must be an integer number of the currency's minor units (e.g. cents): 1050 for 10.50', after the field."""
    example = "1050 for 10.50"
    try:
        given = Decimal(str(value)) if isinstance(value, (str, float)) else None
        whole_cents = given is not None and given.is_finite() and given == given.quantize(Decimal("0.01"))
    except InvalidOperation:  # not a number, or too large to quantize
        whole_cents = False
    if whole_cents:
        cents = int(given * 100)
        # "1050" (a string) meant 1050 minor units; "10.50" or 10.5 meant major units.
        example = f"{int(given)}, not {json.dumps(value)}" if isinstance(value, str) and given == int(given) \
            else f"{cents} for {value}"
    return f"must be an integer number of the currency's minor units (e.g. cents): {example}"


def refuse_non_integer_amount(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError(ERROR_TYPE, minor_units_hint(value))
    return value


IntegerMinorUnits = BeforeValidator(refuse_non_integer_amount)
