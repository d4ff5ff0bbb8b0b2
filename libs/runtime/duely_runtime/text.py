"""Text that every page, PDF, XML document and database can hold.

C0 control characters (but tab, line feed and carriage return), DEL and the C1 block are
refused at the API: Postgres cannot store NUL, XML 1.0 cannot carry most C0 characters, and
none of them means anything on an invoice. `printable` strips them from text that is already
stored (written before the rule existed), so a document always renders.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_character_problem(value: str) -> str | None:
    match = _CONTROL.search(value)
    if match is None:
        return None
    return f"text must not contain control characters (found U+{ord(match.group()):04X})"


def printable(value: str) -> str:
    return _CONTROL.sub("", value)
