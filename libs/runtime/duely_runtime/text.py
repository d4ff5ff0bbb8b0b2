"""Text a request may carry: no C0 or C1 control characters except tab and newline.

Postgres cannot store NUL in text (a 500 at the INSERT), XML refuses most C0 characters
(the PDF's Factur-X), and none of them belongs in a name, an id or a description: a
field holding one is refused at the edge, a 400 naming it.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

# C0 (U+0000–U+001F) but tab and newline, DEL (U+007F), and C1 (U+0080–U+009F).
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def refuse_control_characters(value: str) -> str:
    found = CONTROL_CHARACTER.search(value)
    if found:
        raise ValueError(f"must not contain control characters (found U+{ord(found.group()):04X})")
    return value


CleanText = Annotated[str, AfterValidator(refuse_control_characters)]
