"""The request target sent upstream: the path as routed or a refusal, the query encoded as browsers encode it."""

from __future__ import annotations

import pytest

from duely_gateway.target import upstream_target


@pytest.mark.parametrize("path", [b"/v1/payments/{x}", b'/v1/payments/"x"', b"/v1/x`y", b"/v1/a<b>"])
def test_a_path_a_client_would_re_encode_is_not_sent(path):
    assert upstream_target(path, b"") is None


@pytest.mark.parametrize("path", [b"/v1/payments/caf%C3%A9", b"/v1/a|b", b"/v1/a;b=c", b"/v1/[a]", b"/v1/a%20b"])
def test_other_paths_go_byte_for_byte(path):
    assert upstream_target(path, b"") == path


@pytest.mark.parametrize(("query", "sent"), [
    (b"x=a%20b&expand[]=payment", b"x=a%20b&expand[]=payment"),  # already encoded: untouched
    (b'q="x"', b"q=%22x%22"), (b"q=<a>", b"q=%3Ca%3E"), (b"q=a b", b"q=a%20b"),
    ("q=café".encode(), b"q=caf%C3%A9"), (b"q=%zz", b"q=%zz"), (b"q=`{}|^", b"q=`{}|^"),
])
def test_the_query_is_encoded_as_browsers_and_httpx_encode_it(query, sent):
    assert upstream_target(b"/v1/x", query) == b"/v1/x?" + sent
