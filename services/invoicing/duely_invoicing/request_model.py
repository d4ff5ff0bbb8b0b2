"""The base of every invoicing request body: unknown fields refused, no control characters in text.

Its own module so every schemas module can use it without importing another.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator

from duely_runtime.text import control_character_problem, document_text_rules


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=document_text_rules)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value):
        # A 400 naming the field here, not a 500 at the INSERT (NUL) or in the PDF's XML (U+001C).
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, str) and (problem := control_character_problem(item)):
                raise ValueError(problem)
        return value
