"""Outbound HTTP to URLs a tenant chose (webhook endpoints, invoice logos): one guard for every such call.

    guard = OutboundGuard.from_settings(settings)
    await guard.check_url(url)                       # when the URL is saved: OutboundRefused → a 400
    async with OutboundClient(guard) as client:      # when it is called
        response = await client.request("POST", url, content=body, deadline_s=10, max_bytes=0)

The rule:
- http and https only. The host is resolved and every address it resolves to must pass; odd
  spellings of an address (0x7f000001, 2130706433, 0177.0.0.1, [::ffff:127.0.0.1]) are what the
  resolver makes of them, and IPv4-mapped, 6to4 and NAT64 IPv6 addresses are judged by the IPv4
  address inside.
- Refused: loopback, private, link-local, shared (CGNAT), multicast, reserved, unspecified and
  documentation ranges. `DUELY_OUTBOUND_ALLOW_NETWORKS` (comma-separated CIDRs, default empty)
  lifts that for the networks it names (`make run` allows 127.0.0.0/8 for a local receiver).
- Refused in every mode, allow list or not: the platform's own addresses (its services, the public
  base URL, the broker, the SMTP relay, the Stripe API base, the database), matched by address and
  port; any address of this machine stands for the machine, so 127.0.0.2 or the host's own public
  address can't reach a service bound to 127.0.0.1 or 0.0.0.0 either.
- The check runs again on every connection, and the connection goes to the address that was just
  checked (no second lookup, so DNS rebinding can't switch it), while the Host header, TLS SNI and
  the certificate check still use the URL's host name.
- Redirects are not followed unless the caller allows some; each hop passes the same checks.
- One overall deadline for the whole call (lookup, connect, send, response, body) instead of
  per-read timeouts a dripping server can stretch forever, and a byte cap on the body read.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import ssl
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import Awaitable, Callable, Iterable, Mapping
from urllib.parse import urlsplit

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]

# Where `make run` puts the platform (gateway and services 8000-8005, sandbox Stripe, broker, SMTP
# catcher): refused on this machine even when a process was started without the environment naming them.
EMBEDDED_PORTS = (8000, 8001, 8002, 8003, 8004, 8005, 8420, 9092, 1025)
DEFAULT_PORTS = {"http": 80, "https": 443, "postgresql": 5432, "postgres": 5432, "smtp": 25}
NAT64 = ipaddress.ip_network("64:ff9b::/96")
PLATFORM_LOOKUP_TTL_S = 60.0


class OutboundRefused(Exception):
    """The URL, or an address it resolves to, is one Duely must not call. The message is safe to show."""


class OutboundFailed(Exception):
    """An allowed call that did not complete. The message is short, ours, and safe to store and show
    (never text from the remote server)."""


def parse_networks(value: str | Iterable[str]) -> tuple[Network, ...]:
    """'127.0.0.0/8, 10.1.0.0/16' → networks; raises ValueError on a malformed entry."""
    items = value.split(",") if isinstance(value, str) else value
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip())


def embedded_ipv4(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64, IPv4-compatible), else `ip`."""
    if ip.version == 4:
        return ip
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip in NAT64 or (int(ip) >> 32 == 0 and int(ip) > 1):  # 64:ff9b::a.b.c.d, ::a.b.c.d
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def address_category(ip: IPAddress) -> str | None:
    """What kind of non-public address `ip` is ('loopback', 'private', ...), or None for a public one."""
    ip = embedded_ipv4(ip)
    for category, test in (("unspecified", ip.is_unspecified), ("loopback", ip.is_loopback),
                           ("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
                           ("site-local", ip.version == 6 and ip.is_site_local),
                           ("private", ip.is_private), ("reserved", ip.is_reserved)):
        if test:
            return category
    return None if ip.is_global else "non-public"


def is_this_machine(ip: IPAddress) -> bool:
    """Loopback, unspecified, or an address of one of this machine's interfaces (it can be bound)."""
    ip = embedded_ipv4(ip)
    if ip.is_loopback or ip.is_unspecified:
        return True
    family = socket.AF_INET if ip.version == 4 else socket.AF_INET6
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((str(ip), 0))
        except OSError:
            return False
    return True


def _host_port(url: str) -> tuple[str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.split("+")[0])
    except ValueError:
        return None
    return (parts.hostname, port) if parts.hostname and port else None


def _bootstrap(servers: str) -> list[tuple[str, int]]:
    found = []
    for server in servers.split(","):
        host, _, port = server.strip().rpartition(":")
        if host and port.isdigit():
            found.append((host.strip("[]"), int(port)))
    return found


def platform_endpoints(settings: object, environ: Mapping[str, str] = os.environ) -> tuple[tuple[str, int], ...]:
    """(host, port) of everything the platform itself runs, from the service's settings and the environment."""
    found: list[tuple[str, int]] = [("127.0.0.1", port) for port in EMBEDDED_PORTS]
    values = settings.model_dump() if hasattr(settings, "model_dump") else {}
    ours = [(name, value) for name, value in environ.items() if name.startswith("DUELY_")]
    for name, value in list(values.items()) + ours:
        if not isinstance(value, str) or not value:
            continue
        name = name.lower()
        if name.endswith(("_url", "_api_base")) and (hp := _host_port(value)):
            found.append(hp)
        elif name.endswith("bootstrap_servers"):
            found.extend(_bootstrap(value))
        elif name.endswith("http_port") and value.isdigit():
            found.append(("127.0.0.1", int(value)))
    pairs = ((values.get("smtp_host"), values.get("smtp_port")), (environ.get("SMTP_HOST"), environ.get("SMTP_PORT")),
             (values.get("http_host"), values.get("http_port")))  # the relay, and this service itself
    found += [(str(host), int(port)) for host, port in pairs if host and str(port or "").isdigit()]
    return tuple(dict.fromkeys(found))


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


class OutboundGuard:
    """Decides which addresses an outbound call may reach. Pure policy plus DNS; no HTTP."""

    def __init__(self, allow_networks: Iterable[Network] = (), platform: Iterable[tuple[str, int]] = (),
                 resolver: Resolver = system_resolver) -> None:
        self.allow_networks = tuple(allow_networks)
        self.platform = tuple(platform)
        self._resolve = resolver
        self._platform_addresses: dict[str, tuple[float, list[IPAddress]]] = {}

    @classmethod
    def from_settings(cls, settings, environ: Mapping[str, str] = os.environ) -> "OutboundGuard":
        return cls(parse_networks(getattr(settings, "outbound_allow_networks", "") or ""),
                   platform_endpoints(settings, environ))

    # -- URLs ---------------------------------------------------------------------------

    @staticmethod
    def parse(url: str) -> httpx.URL:
        """The URL as the client will use it; OutboundRefused when it is not an http(s) URL with a host."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, ValueError, TypeError):
            raise OutboundRefused("is not a valid URL") from None
        if parsed.scheme not in ("http", "https"):
            raise OutboundRefused("must start with http:// or https://")
        if not parsed.host:
            raise OutboundRefused("must include a host")
        return parsed

    async def check_url(self, url: str, *, lookup_deadline_s: float = 5.0) -> None:
        """At save time: refuse a URL whose host is, or resolves to, a refused address. A host name
        that does not resolve (yet) passes: every call checks again before it connects."""
        parsed = self.parse(url)
        try:
            async with asyncio.timeout(lookup_deadline_s):
                await self.allowed_addresses(parsed.host, parsed.port or DEFAULT_PORTS[parsed.scheme])
        except (OutboundFailed, TimeoutError):
            pass

    # -- addresses ------------------------------------------------------------------------

    async def allowed_addresses(self, host: str, port: int) -> list[IPAddress]:
        """Resolve `host`; every address must pass, or OutboundRefused. The caller connects to these."""
        try:
            resolved = await self._resolve(host, port)
        except (OSError, UnicodeError):
            raise OutboundFailed("the host name does not resolve") from None
        addresses = list(dict.fromkeys(ipaddress.ip_address(a.split("%", 1)[0]) for a in resolved))
        if not addresses:
            raise OutboundFailed("the host name does not resolve")
        literal = _is_literal(host)
        for address in addresses:
            if problem := await self.address_problem(address, port):
                where = f"{host} is" if literal else f"{host} resolves to"
                raise OutboundRefused(f"{where} {problem}, which outbound calls may not reach")
        return addresses

    async def address_problem(self, ip: IPAddress, port: int) -> str | None:
        """Why (ip, port) is refused, or None when it may be called."""
        if await self._is_platform(ip, port):
            return "one of this platform's own services"
        category = address_category(ip)
        if category is None:
            return None
        if category not in ("unspecified", "multicast") and any(
                embedded_ipv4(ip) in network or ip in network for network in self.allow_networks):
            return None
        return f"a {category} address"

    async def _is_platform(self, ip: IPAddress, port: int) -> bool:
        local = None
        for host, platform_port in self.platform:
            if platform_port != port:
                continue
            addresses = await self._platform_lookup(host)
            if addresses is None:  # can't tell where that platform host is: refuse rather than guess
                return True
            for address in addresses:
                if embedded_ipv4(address) == embedded_ipv4(ip):
                    return True
                if local is None:
                    local = is_this_machine(ip)
                if local and is_this_machine(address):
                    return True
        return False

    async def _platform_lookup(self, host: str) -> list[IPAddress] | None:
        """The platform host's addresses; None when it can't be resolved now (not cached: asked again)."""
        cached = self._platform_addresses.get(host)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in await system_resolver(host, 0)]
        except (OSError, UnicodeError):
            return None
        self._platform_addresses[host] = (time.monotonic() + PLATFORM_LOOKUP_TTL_S, addresses)
        return addresses


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class _GuardedNetwork(httpcore.AsyncNetworkBackend):
    """httpcore's network layer, connecting only to addresses the guard has just checked."""

    def __init__(self, guard: OutboundGuard) -> None:
        self._guard = guard
        self._network = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options=None) -> httpcore.AsyncNetworkStream:
        error: Exception | None = None
        for address in await self._guard.allowed_addresses(host, port):
            try:
                return await self._network.connect_tcp(str(address), port, timeout=timeout,
                                                       local_address=local_address, socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error  # type: ignore[misc]  # allowed_addresses never returns an empty list

    async def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options=None):
        raise OutboundRefused("unix sockets are not reachable from outbound calls")

    async def sleep(self, seconds: float) -> None:
        await self._network.sleep(seconds)


@dataclass(frozen=True)
class OutboundResponse:
    url: str
    status_code: int
    content_type: str | None
    body: bytes

    @property
    def summary(self) -> str:
        """'HTTP 500 Internal Server Error': the status and its standard phrase (not the server's own text)."""
        try:
            phrase = HTTPStatus(self.status_code).phrase
        except ValueError:
            phrase = ""
        return f"HTTP {self.status_code} {phrase}".rstrip()


class OutboundClient:
    """An HTTP client whose every connection goes through an OutboundGuard."""

    def __init__(self, guard: OutboundGuard, *, ssl_context: ssl.SSLContext | None = None,
                 max_connections: int = 100) -> None:
        self.guard = guard
        transport = httpx.AsyncHTTPTransport(trust_env=False)
        # httpx has no public hook for the network layer: swap in a pool that connects through the guard.
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False), max_connections=max_connections,
            max_keepalive_connections=20, keepalive_expiry=5.0, network_backend=_GuardedNetwork(guard))
        # trust_env=False: no proxy from the environment (it would be the address we connect to).
        self._client = httpx.AsyncClient(transport=transport, trust_env=False, follow_redirects=False, timeout=None)

    async def __aenter__(self) -> "OutboundClient":
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request(self, method: str, url: str, *, deadline_s: float, max_bytes: int,
                      headers: Mapping[str, str] | None = None, content: bytes | None = None,
                      max_redirects: int = 0) -> OutboundResponse:
        """One call, all of it (lookup, connect, send, response, body) within `deadline_s`; at most
        `max_bytes` of body are read (0: none). Up to `max_redirects` redirects are followed, each
        through the guard; past that, the redirect itself is the answer. Raises OutboundRefused or
        OutboundFailed."""
        headers = {"accept-encoding": "identity", **(headers or {})}  # raw bytes only: no decompression bomb
        try:
            async with asyncio.timeout(deadline_s):
                redirects_left = max_redirects
                while True:
                    self.guard.parse(url)
                    response = await self._client.send(
                        self._client.build_request(method, url, headers=headers, content=content), stream=True)
                    try:
                        location = response.headers.get("location")
                        if response.is_redirect and location and redirects_left > 0:
                            redirects_left -= 1
                            url = str(response.url.join(location))
                            continue
                        body = await _read_capped(response, max_bytes)
                    finally:
                        await response.aclose()
                    return OutboundResponse(str(response.url), response.status_code,
                                            response.headers.get("content-type"), body)
        except TimeoutError:
            raise OutboundFailed(f"no complete response within {deadline_s:g} s") from None
        except (httpx.ConnectError, httpx.ConnectTimeout):
            raise OutboundFailed("could not connect (refused, unreachable or TLS failure)") from None
        except (httpx.RemoteProtocolError, httpx.DecodingError):
            raise OutboundFailed("the server sent an invalid or incomplete HTTP response") from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL):
            raise OutboundRefused("is not a valid http(s) URL") from None
        except httpx.TransportError:
            raise OutboundFailed("the connection failed") from None


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    if max_bytes <= 0:
        return b""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise OutboundFailed(f"the response is larger than {max_bytes} bytes")
    body = bytearray()
    async for chunk in response.aiter_raw():
        body += chunk
        if len(body) > max_bytes:
            raise OutboundFailed(f"the response is larger than {max_bytes} bytes")
    return bytes(body)
