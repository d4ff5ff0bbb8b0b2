"""Correlation and causation ids of the work in progress, carried in contextvars.

An HTTP request starts a correlation (or continues the caller's
`X-Correlation-Id`); a consumer continues the correlation of the event it
handles, and the event becomes the cause of whatever it emits.
"""

from __future__ import annotations

import contextlib
import uuid
from contextvars import ContextVar
from typing import Iterator

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
causation_id: ContextVar[str | None] = ContextVar("causation_id", default=None)


def current_correlation_id() -> str:
    value = correlation_id.get()
    if value is None:
        value = str(uuid.uuid4())
        correlation_id.set(value)
    return value


@contextlib.contextmanager
def bound(correlation: str | None, causation: str | None) -> Iterator[None]:
    t1 = correlation_id.set(correlation or str(uuid.uuid4()))
    t2 = causation_id.set(causation)
    try:
        yield
    finally:
        correlation_id.reset(t1)
        causation_id.reset(t2)
