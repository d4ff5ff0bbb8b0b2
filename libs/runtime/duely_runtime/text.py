"""Text fields that Postgres can store and documents can print: no control characters.

    description: Text | None          # tab and newline allowed
    url: SingleLineText               # no control character at all

C0 (U+0000–U+001F), DEL and C1 (U+007F–U+009F) are refused with a 400 naming the
field: Postgres can't hold NUL, XML can't hold most of the others, and none of
them belongs in a name, an address or a note. The JSON schema states the same rule.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

_SINGLE_LINE = r"\x00-\x1f\x7f-\x9f"
_MULTILINE = r"\x00-\x08\x0b-\x1f\x7f-\x9f"  # the same, less tab (\x09) and newline (\x0a)


def control_character_problem(value: str, *, multiline: bool) -> str | None:
    """Why `value` is refused, or None when it is clean."""
    match = re.search(f"[{_MULTILINE if multiline else _SINGLE_LINE}]", value)
    if match is None:
        return None
    allowed = " (tab and newline are allowed)" if multiline else ""
    return f"must not contain control characters such as U+{ord(match.group()):04X}{allowed}"


def _clean(multiline: bool):
    def check(value: str) -> str:
        if problem := control_character_problem(value, multiline=multiline):
            raise ValueError(problem)
        return value
    pattern = f"^[^{_MULTILINE if multiline else _SINGLE_LINE}]*$"
    return AfterValidator(check), Field(json_schema_extra={"pattern": pattern})


SingleLineText = Annotated[str, *_clean(multiline=False)]
Text = Annotated[str, *_clean(multiline=True)]
