"""The outbound-URL guard: which addresses a tenant's URL may reach, checked at save time and again at
connect time (pinned to the checked address), with an overall deadline, a byte cap and guarded redirects.

Servers are real (asyncio on 127.0.0.1, plain and TLS); the only stand-in is the DNS resolver of the
rebinding test, the outside edge a rebinding attacker controls.
"""

from __future__ import annotations

import ssl
import subprocess
import time

import pytest

from duely_runtime.outbound import (
    OutboundClient, OutboundFailed, OutboundGuard, OutboundRefused, parse_networks, platform_endpoints,
)
from duely_runtime.config import ServiceSettings
from tests.loopback_http import drip, http_server, respond

LOOPBACK = parse_networks("127.0.0.0/8")

REFUSED_BY_DEFAULT = [
    "http://127.0.0.1/", "http://localhost:9000/", "http://0x7f000001/", "http://2130706433/",
    "http://0177.0.0.1/", "http://127.1/", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/", "http://169.254.169.254/latest/meta-data/", "http://[::ffff:169.254.169.254]/",
    "http://10.0.0.1/", "http://172.16.5.4/", "http://192.168.1.1/", "http://100.64.0.1/", "http://0.0.0.0/",
    "http://[::]/", "http://224.0.0.1/", "http://[ff02::1]/", "http://[fe80::1]/", "http://[fc00::1]/",
    "http://[2002:7f00:1::]/", "http://[64:ff9b::a9fe:a9fe]/", "http://240.0.0.1/", "http://255.255.255.255/",
    "https://198.51.100.7/",
]


@pytest.mark.parametrize("url", REFUSED_BY_DEFAULT)
async def test_internal_addresses_are_refused_in_every_spelling(url):
    with pytest.raises(OutboundRefused) as refused:
        await OutboundGuard().check_url(url)
    assert "outbound calls may not reach" in str(refused.value) or url == "http://0177.0.0.1/"  # httpx: invalid


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "gopher://127.0.0.1/", "http:///x",
                                 "not a url"])
async def test_only_http_urls_with_a_host(url):
    with pytest.raises(OutboundRefused):
        await OutboundGuard().check_url(url)


async def test_public_addresses_and_unresolvable_names_pass_the_save_time_check():
    guard = OutboundGuard()
    await guard.check_url("https://93.184.216.34/hooks")
    await guard.check_url("http://[2606:2800:220:1:248:1893:25c8:1946]:8443/")
    await guard.check_url("https://does-not-resolve.invalid/hooks")  # checked again before every connection


async def test_the_allow_list_opens_its_networks_but_never_the_platform():
    guard = OutboundGuard(LOOPBACK, platform=[("127.0.0.1", 8001), ("10.9.0.5", 5432)])
    await guard.check_url("http://127.0.0.1:9000/hooks")           # the README's local receiver
    await guard.check_url("http://localhost:9000/hooks")
    for url in ("http://127.0.0.1:8001/internal/auth/verify",      # a platform service...
                "http://0x7f000001:8001/", "http://2130706433:8001/", "http://127.0.0.2:8001/",  # ...any spelling,
                "http://localhost:8001/",                           # any loopback address of this machine
                "http://[::1]:9000/", "http://169.254.169.254/", "http://10.0.0.1/"):  # outside the list
        with pytest.raises(OutboundRefused):
            await guard.check_url(url)
    everything = OutboundGuard(parse_networks("0.0.0.0/0,::/0"), platform=[("10.9.0.5", 5432)])
    await everything.check_url("http://10.9.0.5:80/")
    for url in ("http://10.9.0.5:5432/", "http://0.0.0.0:9000/", "http://224.0.0.1/"):
        with pytest.raises(OutboundRefused):
            await everything.check_url(url)


def test_platform_addresses_come_from_settings_and_environment():
    settings = ServiceSettings(invoicing_url="http://invoicing:8001", kafka_bootstrap_servers="kafka:9092,k2:9093",
                               database_url="postgresql+asyncpg://duely@db/duely", public_base_url="https://pay.example")
    found = set(platform_endpoints(settings, {
        "DUELY_PORTAL_URL": "http://portal:8005", "DUELY_PAYMENTS_STRIPE_API_BASE": "http://sandbox:8420",
        "SMTP_HOST": "mail.internal", "SMTP_PORT": "2525", "DUELY_GATEWAY_HTTP_PORT": "18000", "HOME": "/root"}))
    assert {("invoicing", 8001), ("kafka", 9092), ("k2", 9093), ("db", 5432), ("pay.example", 443),
            ("portal", 8005), ("sandbox", 8420), ("mail.internal", 2525), ("127.0.0.1", 18000),
            ("127.0.0.1", 8002)} <= found


# -- real calls ---------------------------------------------------------------------------------

async def test_a_call_returns_status_and_capped_body():
    guard = OutboundGuard(LOOPBACK)
    async with http_server(respond("200 OK", b"x" * 5000, "content-type: image/png\r\n")) as (_, port), \
            OutboundClient(guard) as client:
        response = await client.request("GET", f"http://127.0.0.1:{port}/logo.png", deadline_s=5, max_bytes=5000)
        assert (response.status_code, response.content_type, len(response.body)) == (200, "image/png", 5000)
        with pytest.raises(OutboundFailed, match="larger than 4999 bytes"):
            await client.request("GET", f"http://127.0.0.1:{port}/logo.png", deadline_s=5, max_bytes=4999)


async def test_the_deadline_covers_the_whole_call_not_each_read():
    async with OutboundClient(OutboundGuard(LOOPBACK)) as client:
        for slow_part in (drip(1.0), drip(1.0, head_too=True)):
            async with http_server(slow_part) as (_, port):
                started = time.monotonic()
                with pytest.raises(OutboundFailed, match="no complete response within 2 s"):
                    await client.request("GET", f"http://127.0.0.1:{port}/", deadline_s=2, max_bytes=1000)
                # The whole answer would take 120 s (one byte a second): well under that proves the deadline
                # covered the call; a bound near 2 s would only measure how busy the machine is.
                assert time.monotonic() - started < 30


async def test_redirects_are_not_followed_unless_allowed_and_never_to_a_refused_address():
    guard = OutboundGuard(LOOPBACK, platform=[("127.0.0.1", 8001)])
    async with OutboundClient(guard) as client:
        for target in ("http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:8001/internal/x",
                       "http://[::1]/", "file:///etc/passwd"):
            async with http_server(respond("302 Found", headers=f"location: {target}\r\n")) as (_, port):
                url = f"http://127.0.0.1:{port}/start"
                assert (await client.request("GET", url, deadline_s=5, max_bytes=0)).status_code == 302
                with pytest.raises(OutboundRefused):
                    await client.request("GET", url, deadline_s=5, max_bytes=100, max_redirects=3)
        async with http_server(respond("200 OK", b"final")) as (_, final_port):
            hop = respond("301 Moved Permanently", headers=f"location: http://localhost:{final_port}/end\r\n")
            async with http_server(hop) as (_, port):
                response = await client.request("GET", f"http://127.0.0.1:{port}/", deadline_s=5, max_bytes=100,
                                                 max_redirects=3)
    assert (response.status_code, response.body, response.url) == (200, b"final", f"http://localhost:{final_port}/end")


async def test_connect_time_check_defeats_dns_rebinding_and_keeps_the_host_header():
    answers = {"rebind.test": [["127.0.0.1"], ["169.254.169.254"]], "pinned.test": [["127.0.0.1"]]}
    lookups: list[str] = []

    async def attacker_dns(host: str, _port: int) -> list[str]:
        lookups.append(host)
        queue = answers[host]
        return queue.pop(0) if len(queue) > 1 else queue[0]

    guard = OutboundGuard(LOOPBACK, resolver=attacker_dns)
    async with http_server(respond("204 No Content")) as (server, port), OutboundClient(guard) as client:
        await guard.check_url(f"http://rebind.test:{port}/hooks")  # saved while it pointed at an allowed address
        with pytest.raises(OutboundRefused, match="rebind.test resolves to a link-local address"):
            await client.request("POST", f"http://rebind.test:{port}/hooks", content=b"{}", deadline_s=5,
                                 max_bytes=0)
        response = await client.request("POST", f"http://pinned.test:{port}/hooks", content=b"{}", deadline_s=5,
                                        max_bytes=0)
    assert response.status_code == 204 and response.summary == "HTTP 204 No Content"
    assert lookups.count("pinned.test") == 1  # one lookup per connection: the checked address is the one used
    assert f"host: pinned.test:{port}".encode() in server.requests[-1].lower()


@pytest.fixture(scope="module")
def localhost_cert(tmp_path_factory):
    """A self-signed certificate for DNS:localhost only (made with the openssl CLI)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


async def test_https_keeps_sni_and_the_certificate_check_on_the_url_host(localhost_cert):
    cert, key = localhost_cert
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    server_names: list[str | None] = []
    server_tls.sni_callback = lambda _sock, name, _ctx: server_names.append(name)
    client_tls = ssl.create_default_context(cafile=str(cert))

    async with http_server(respond("200 OK", b"secure"), server_tls) as (_, port), \
            OutboundClient(OutboundGuard(LOOPBACK), ssl_context=client_tls) as client:
        response = await client.request("GET", f"https://localhost:{port}/", deadline_s=5, max_bytes=100)
        assert (response.status_code, response.body) == (200, b"secure")
        assert server_names[-1] == "localhost"
        # Same server, same pinned address, but the URL names 127.0.0.1: the certificate doesn't cover it.
        with pytest.raises(OutboundFailed, match="could not connect"):
            await client.request("GET", f"https://127.0.0.1:{port}/", deadline_s=5, max_bytes=100)
