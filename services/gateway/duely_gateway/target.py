"""The request target the gateway sends upstream: the caller's path byte for byte, its query as a browser sends it.

A path is sent exactly as it was routed or not at all: one holding a character that
HTTP clients percent-encode in a path (`" # < > ` { }`, WHATWG's path percent-encode set
less what PathGuard already refuses) would reach the upstream as another path than the
one the gateway matched, so the caller gets a 400 instead. The query is encoded the way
browsers and httpx encode it (space, `"`, `#`, `<`, `>` and non-ASCII as %XX, existing
escapes kept), so upstreams see the same query whichever client called.
"""

from __future__ import annotations

import re

# WHATWG's path percent-encode set, minus space and controls (PathGuard refuses them first).
PATH_REWRITTEN = frozenset(b'"#<>?`{}')
# WHATWG's query percent-encode set: C0 controls, space, ", #, <, >, and every non-ASCII byte.
_QUERY_ESCAPED = re.compile(rb'[\x00-\x20"#<>\x7f-\xff]')


def _escape(match: re.Match[bytes]) -> bytes:
    return b"%%%02X" % match.group(0)[0]


def upstream_target(raw_path: bytes, query: bytes) -> bytes | None:
    """`raw_path?query` to send upstream, or None when the path cannot be sent as it was routed."""
    if not PATH_REWRITTEN.isdisjoint(raw_path):
        return None
    if not query:
        return raw_path
    return raw_path + b"?" + _QUERY_ESCAPED.sub(_escape, query)
