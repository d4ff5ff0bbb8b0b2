"""How many SMS parts a text is sent as, counted the way carriers (and Twilio) do. Pure.

A text that fits the GSM 03.38 alphabet travels as 7-bit characters: 160 in one SMS, or 153 per
part once it needs more (each part carries a 7-character concatenation header). The characters of
the alphabet's extension table (€ [ ] { } ^ ~ \\ | and form feed) cost two (an escape, then the
character). One character outside it (an emoji, a curly quote, Cyrillic...) turns the whole text into
UCS-2: 70 UTF-16 code units in one SMS, 67 per part, an emoji being two units. A part never ends in
the middle of an escape or a surrogate pair.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7, UCS2 = "GSM-7", "UCS-2"
# (units in a single SMS, units per part of a longer one)
LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}


@dataclass(frozen=True)
class Segments:
    encoding: str   # GSM-7 | UCS-2
    units: int      # septets (GSM-7) or UTF-16 code units (UCS-2)
    count: int      # SMS parts the text is sent as


def is_gsm7(text: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def _cost(char: str, encoding: str) -> int:
    if encoding == GSM7:
        return 2 if char in GSM7_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


def count_segments(text: str) -> Segments:
    encoding = GSM7 if is_gsm7(text) else UCS2
    single, per_part = LIMITS[encoding]
    costs = [_cost(char, encoding) for char in text]
    units = sum(costs)
    if units <= single:
        return Segments(encoding, units, 1)
    parts, used = 1, 0
    for cost in costs:  # greedy, never splitting a two-unit character
        if used + cost > per_part:
            parts, used = parts + 1, 0
        used += cost
    return Segments(encoding, units, parts)
