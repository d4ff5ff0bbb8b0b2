"""Invoice numbers from a format and a counter: `INV-{YYYY}-{NNNNN}` + 1 → `INV-2026-00001`.

Tokens: {YYYY} year, {YY} two-digit year, {MM} month, {N…} the counter
zero-padded to the number of Ns (it grows past the width rather than wrap).
The counter itself comes from a per-organization sequence row taken in the
approving transaction, so numbers are gapless; this module only formats.
"""

from __future__ import annotations

import re
from datetime import date

DEFAULT_FORMAT = "INV-{YYYY}-{NNNNN}"
_TOKEN = re.compile(r"\{(YYYY|YY|MM|N+)\}")


def is_valid_format(fmt: str) -> bool:
    """Exactly one counter token, and nothing but known tokens in braces."""
    counters = [t for t in _TOKEN.findall(fmt) if t.startswith("N")]
    leftover = _TOKEN.sub("", fmt)
    return len(counters) == 1 and "{" not in leftover and "}" not in leftover


def format_number(fmt: str, counter: int, issued_on: date) -> str:
    if counter < 1:
        raise ValueError("invoice counters start at 1")

    def token(match: re.Match) -> str:
        name = match.group(1)
        if name == "YYYY":
            return f"{issued_on.year:04d}"
        if name == "YY":
            return f"{issued_on.year % 100:02d}"
        if name == "MM":
            return f"{issued_on.month:02d}"
        return str(counter).zfill(len(name))
    return _TOKEN.sub(token, fmt)
