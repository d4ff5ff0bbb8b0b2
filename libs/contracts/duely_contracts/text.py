"""Which characters text may hold on every surface: no C0 control characters but tab, line feed and
carriage return, no DEL, no C1. Postgres cannot store NUL, XML 1.0 cannot carry most C0 characters,
and none of them means anything on an invoice. The API refuses them (duely_runtime.text); `printable`
strips them from what was stored before that rule, so a document always renders."""

from __future__ import annotations

import re

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # all but tab, LF and CR
SINGLE_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(value: str) -> str:
    return CONTROL.sub("", value)
