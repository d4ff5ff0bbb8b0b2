"""Invoice numbers from a format and a counter: `{PREFIX}-{YYYY}-{NNNNN}` + 1 → `INV-2026-00001`.

Tokens: {PREFIX} the organization's invoice prefix, {YYYY} year, {YY}
two-digit year, {MM} month, {N…} the counter zero-padded to the number of Ns
(it grows past the width rather than wrap). Exactly one counter token.

The counter comes from a per-organization sequence row taken in the approving
transaction (gapless); this module only names the series and formats.

Series: one counter per organization and *format*, where the format is taken
with its prefix filled in (so `INV-{YYYY}-{NNNNN}` is the series of the
default settings, the same key issue 2 used). Changing the format or the
prefix starts a new series at 1; changing it back continues the old one.
With `number_reset="yearly"` the issue year is part of the key, so every year
starts at 1 — that needs a year token in the format, or numbers would repeat.
"""

from __future__ import annotations

import re
from datetime import date

DEFAULT_PREFIX = "INV"
DEFAULT_NUMBER_FORMAT = "{PREFIX}-{YYYY}-{NNNNN}"
DEFAULT_FORMAT = "INV-{YYYY}-{NNNNN}"  # the default format with the default prefix filled in
RESETS = ("never", "yearly")
MAX_NUMBER_LENGTH = 50  # the column holds 64; leave room for the counter to outgrow its width
MAX_SERIES_LENGTH = 120

_TOKEN = re.compile(r"\{(PREFIX|YYYY|YY|MM|N+)\}")
_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,19}")


def is_valid_prefix(prefix: str) -> bool:
    """1-20 characters: letters, digits and . _ / - (no braces, no spaces)."""
    return bool(_PREFIX.fullmatch(prefix or ""))


def is_valid_format(fmt: str) -> bool:
    """Exactly one counter token, and nothing but known tokens in braces."""
    counters = [t for t in _TOKEN.findall(fmt) if t.startswith("N")]
    leftover = _TOKEN.sub("", fmt)
    return len(counters) == 1 and "{" not in leftover and "}" not in leftover


def has_year(fmt: str) -> bool:
    return any(t in ("YYYY", "YY") for t in _TOKEN.findall(fmt))


def format_problem(fmt: str, prefix: str, reset: str) -> str | None:
    """Why this numbering setup can't be used, or None when it can."""
    if not is_valid_format(fmt):
        return ("number_format needs exactly one counter token {N…} and only the tokens "
                "{PREFIX}, {YYYY}, {YY}, {MM}, {N…}")
    if reset == "yearly" and not has_year(fmt):
        return "a yearly reset needs {YYYY} or {YY} in number_format, or numbers would repeat"
    sample = format_number(fmt, 1, date(2000, 12, 1), prefix=prefix)
    if len(sample) > MAX_NUMBER_LENGTH:
        return f"numbers from this format would be longer than {MAX_NUMBER_LENGTH} characters"
    return None


def series_key(fmt: str, prefix: str, reset: str, issued_on: date) -> str:
    """The NumberSequence series this approval draws from."""
    key = fmt.replace("{PREFIX}", prefix)
    return f"{key}@{issued_on.year}" if reset == "yearly" else key


def format_number(fmt: str, counter: int, issued_on: date, *, prefix: str = DEFAULT_PREFIX) -> str:
    if counter < 1:
        raise ValueError("invoice counters start at 1")

    def token(match: re.Match) -> str:
        name = match.group(1)
        if name == "PREFIX":
            return prefix
        if name == "YYYY":
            return f"{issued_on.year:04d}"
        if name == "YY":
            return f"{issued_on.year % 100:02d}"
        if name == "MM":
            return f"{issued_on.month:02d}"
        return str(counter).zfill(len(name))
    return _TOKEN.sub(token, fmt)
