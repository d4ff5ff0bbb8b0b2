"""Small socket helpers shared by the launchers and the tests."""

from __future__ import annotations

import asyncio
import random
import socket
import time

# Its own generator: Hypothesis seeds the global `random` per test, so two test runs on one
# machine would otherwise try the same ports in the same order and collide.
_ports_random = random.SystemRandom()


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True if nothing listens on host:port (we can bind it ourselves right now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def ephemeral_ports() -> range:
    """The ports the kernel hands to outgoing connections (Linux; elsewhere IANA's 49152-65535).

    A port from this range that is free when we pick it can be taken by any connection before our
    server binds it, so servers started by the tests and launchers never listen in it.
    """
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as file:
            low, high = (int(value) for value in file.read().split())
    except (OSError, ValueError):
        low, high = 49152, 65535
    return range(low, high + 1)


def free_port(low: int, high: int, host: str = "127.0.0.1") -> int:
    """Pick a currently free port in [low, high], outside the ephemeral range; random order so
    parallel runs rarely collide."""
    ephemeral = ephemeral_ports()
    candidates = [port for port in range(low, high + 1) if port not in ephemeral]
    _ports_random.shuffle(candidates)
    for port in candidates:
        if port_is_free(port, host):
            return port
    raise RuntimeError(f"no free port in {low}-{high} outside the ephemeral range "
                       f"{ephemeral.start}-{ephemeral.stop - 1}")


async def wait_for_port(host: str, port: int, timeout: float = 10.0) -> None:
    """Wait until something accepts TCP connections on host:port, else raise TimeoutError.

    Services start their dependencies as subprocesses; connecting before the listener is
    up gives confusing client errors, so callers wait on this instead of sleeping.
    """
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection(host, port)
        except OSError:
            if asyncio.get_running_loop().time() >= deadline:
                raise TimeoutError(f"{host}:{port} not accepting connections after {timeout}s")
            await asyncio.sleep(0.05)
            continue
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass
        return


def wait_for_port_sync(host: str, port: int, timeout: float = 10.0) -> None:
    """Blocking twin of :func:`wait_for_port`, for code that has no event loop (fixtures, Makefiles)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{host}:{port} not accepting connections after {timeout}s")
            time.sleep(0.05)
