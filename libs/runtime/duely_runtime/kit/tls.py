"""One verified TLS context per process, for the short-lived HTTP clients made per call.

Building a context loads the CA bundle: milliseconds that an `httpx.AsyncClient()` per call
would otherwise pay every time (it showed in the profile of sending receipts).
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def default_tls() -> ssl.SSLContext:
    return httpx.create_ssl_context()
