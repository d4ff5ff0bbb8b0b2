"""The base of every invoicing request body: unknown fields refused, NUL-free text.

Its own module so every schemas module can use it without importing another.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value):
        # Postgres text can't hold NUL: a 400 naming the field here, not a 500 at the INSERT.
        items = value if isinstance(value, list) else [value]
        if any(isinstance(item, str) and "\x00" in item for item in items):
            raise ValueError("text must not contain NUL characters")
        return value
