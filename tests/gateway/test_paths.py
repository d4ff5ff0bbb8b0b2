"""The gateway's path rule as a pure function: what it forwards, what it refuses and how."""

from __future__ import annotations

import pytest

from duely_gateway.paths import check


@pytest.mark.parametrize("raw_path", [
    b"/v1/customers", b"/v1/customers/", b"/v1/invoices/in_1/pay/", b"/i/org_1.in_1.mac", b"/i/org_1.in_1.mac/pay",
    b"/portal/sessions/x..y", b"/v1/customers/cus_1...", b"/v1/customers/.hidden", b"/v1/a%20b", b"/v1/caf%C3%A9",
    b"/v1/%41", b"/v1/a~b", b"/v1/a;b", b"/", b"/v1/internal", b"/v1/ops", b"/internals", b"/opsx",
])
def test_paths_every_reader_agrees_on_are_forwarded(raw_path):
    assert check(raw_path) is None


@pytest.mark.parametrize("raw_path", [
    # dot segments, literal and encoded in every case
    b"/v1/..", b"/v1/../internal/auth/verify", b"/v1/./customers", b"/v1/customers/.", b"/..", b"/.",
    b"/v1/%2e%2e/ops", b"/v1/%2E%2E/ops", b"/v1/%2e%2E/ops", b"/v1/.%2e/ops", b"/v1/%2e./ops", b"/v1/%2e/x",
    # encoded separators, backslashes, double encoding
    b"/v1/a%2fb", b"/v1/a%2Fb", b"/v1/a%5cb", b"/v1/a%5Cb", b"/v1\\..\\ops", b"/v1/a\\b", b"/v1/%252e%252e/ops",
    b"/v1/%25", b"/v1/a.%2e",
    # empty segments
    b"//v1/customers", b"/v1//customers", b"/v1/customers//",
    # control characters, raw or encoded, C0 and C1
    b"/v1/%0a", b"/v1/%0D%0A", b"/v1/%00", b"/v1/%09", b"/v1/%7f", b"/v1/%c2%85", b"/v1/%C2%9F", b"/v1/a\x7fb",
    # not a path, or not ASCII, or a broken escape
    b"v1/customers", b"*", b"", b"/v1/caf\xc3\xa9", b"/v1/%", b"/v1/%4", b"/v1/%zz", b"/v1/%ff", b"/v1/%c3",
])
def test_ambiguous_paths_are_a_400(raw_path):
    refusal = check(raw_path)
    assert refusal is not None and refusal.status == 400 and refusal.code == "path_invalid"
    assert refusal.message.startswith("The request path ")


@pytest.mark.parametrize("raw_path", [
    b"/internal", b"/internal/auth/verify", b"/ops", b"/ops/dead_letters", b"/ops/dead_letters/1/replay",
    b"/OPS/dead_letters", b"/Internal/x", b"/%69nternal/auth/verify", b"/%6F%70%73/dead_letters",
])
def test_private_prefixes_are_never_forwarded_whatever_the_route_table_says(raw_path):
    refusal = check(raw_path)
    assert refusal is not None and (refusal.status, refusal.code) == (404, "route_not_found")


def test_the_refusal_is_the_one_error_shape():
    response = check(b"/v1/../ops").response()
    assert response.status_code == 400
    assert response.body == (b'{"error":{"type":"invalid_request_error","code":"path_invalid",'
                             b'"message":"The request path must not contain \'.\' or \'..\' segments.","param":null}}')
