"""Text that every page, PDF, XML document and database can hold.

C0 control characters (but tab, line feed and carriage return), DEL and the C1 block are
refused at the API: Postgres cannot store NUL (a 500 at the INSERT), XML 1.0 cannot carry most
C0 characters (the PDF's Factur-X), and none of them belongs in a name, an id or a
description. `printable` strips them from text that is already stored (written before the rule
existed), so a document always renders.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from duely_contracts.text import CONTROL, SINGLE_LINE_CONTROL, printable  # noqa: F401  (printable: re-exported)


def control_character_problem(value: str, *, multiline: bool = True) -> str | None:
    """Why `value` is refused, or None when it is clean (multi-line text may hold tab, LF, CR)."""
    match = (CONTROL if multiline else SINGLE_LINE_CONTROL).search(value)
    if match is None:
        return None
    return f"text must not contain control characters (found U+{ord(match.group()):04X})"


def refuse_control_characters(value: str) -> str:
    if problem := control_character_problem(value):
        raise ValueError(problem)
    return value


def refuse_line_breaks_and_control_characters(value: str) -> str:
    if problem := control_character_problem(value, multiline=False):
        raise ValueError(problem)
    return value


CleanText = Annotated[str, AfterValidator(refuse_control_characters)]
# As pydantic types for request models outside RequestModel classes: the schema says the rule too.
Text = Annotated[str, AfterValidator(refuse_control_characters),
                 Field(json_schema_extra={"pattern": r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"})]
SingleLineText = Annotated[str, AfterValidator(refuse_line_breaks_and_control_characters),
                           Field(json_schema_extra={"pattern": r"^[^\x00-\x1f\x7f-\x9f]*$"})]


# The same rule for the OpenAPI schema: what the server refuses, the schema says.
NO_CONTROL_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
# Required text (min_length ≥ 1) is stripped first: it needs one character that is not a space.
SOME_TEXT_PATTERN = (r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\s\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
                     r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$")


def document_text_rules(schema: dict, _model=None) -> None:
    """json_schema_extra for request models: every free-text string property gets the pattern."""
    for prop in schema.get("properties", {}).values():
        for node in (prop, *prop.get("anyOf", []), prop.get("items") or {}):
            if node.get("type") == "string" and not {"pattern", "enum", "format", "const"} & node.keys():
                node["pattern"] = SOME_TEXT_PATTERN if node.get("minLength", 0) >= 1 else NO_CONTROL_PATTERN
