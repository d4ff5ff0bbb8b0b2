"""One bench platform: fresh state (SQLite files or `bench_<service>` Postgres databases), its own free
ports in 18000–19999 (so neither a `make run` nor another bench is disturbed), the events endpoint,
and a demo organization with a key."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator

from duely_devstack.bench_events import PlatformEvents
from duely_devstack.bench_postgres import ConnectionPeak, drop_databases, fresh_databases
from duely_devstack.net import free_port, port_is_free
from duely_devstack.platform import SERVICES, Platform, PlatformConfig

# The gateway and services take base_port + 0..5; replicas (the scale-out work) may take more above.
PORT_BLOCK = 40


def free_block(size: int = PORT_BLOCK, low: int = 18000, high: int = 18960) -> int:
    for _ in range(200):
        base = free_port(low, high)
        if all(port_is_free(base + i) for i in range(size)):
            return base
    raise RuntimeError(f"no {size} free ports in a row in {low}-{high + size}")


def distinct_free_ports(count: int, low: int = 19000, high: int = 19999) -> list[int]:
    """Broker, SMTP, sandbox, SMS catcher, webhook endpoint: each its own free port."""
    ports: list[int] = []
    while len(ports) < count:
        port = free_port(low, high)
        if port not in ports:
            ports.append(port)
    return ports


def replicas_supported() -> bool:
    """Whether this platform.py has the `replicas` setting (the scale-out work adds it)."""
    return "replicas" in {f.name for f in dataclasses.fields(PlatformConfig)}


def describe(backend: str, replicas: dict[str, int]) -> str:
    extra = [f"{service}×{count}" for service, count in sorted(replicas.items()) if count != 1]
    return backend + (" " + " ".join(extra) if extra else "")


@dataclass
class Session:
    name: str
    platform: Platform
    events: PlatformEvents
    api_key: str
    var: Path
    events_port: int
    connections: ConnectionPeak | None = None  # on Postgres

    def running_replicas(self, service: str) -> int:
        """The processes of `service` that are running: replica 1 is named `service`, the others `service-k`."""
        return sum(1 for name, proc in self.platform.procs.items()
                   if (name == service or name.startswith(service + "-")) and proc.poll() is None)


@contextlib.asynccontextmanager
async def bench_platform(backend: str, replicas: dict[str, int], keep: bool) -> AsyncIterator[Session]:
    unknown = set(replicas) - set(SERVICES)
    if unknown:
        raise ValueError(f"no such service for --replicas: {', '.join(sorted(unknown))}")
    settings: dict = {}
    if replicas_supported():
        settings["replicas"] = dict(replicas)
    elif any(count != 1 for count in replicas.values()):
        raise RuntimeError("this platform.py has no PlatformConfig.replicas yet: only replicas=1 can run")
    var = Path(tempfile.mkdtemp(prefix=f"duely-bench-{backend}-"))
    urls = await fresh_databases() if backend == "postgres" else {}
    others = iter(distinct_free_ports(5))
    platform = Platform(PlatformConfig(var_dir=var, base_port=free_block(), broker_port=next(others),
                                       smtp_port=next(others), stripe_port=next(others), sms_port=next(others),
                                       database_urls=urls, **settings))
    events_port = next(others)
    events = PlatformEvents(platform.config.maildir)
    connections = ConnectionPeak() if urls else None
    name = describe(backend, replicas)
    print(f"\n== {name}: starting the platform in {var} ...", flush=True)
    try:
        await events.start(events_port)
        if connections:
            await connections.start()
        await asyncio.to_thread(platform.start)
        demo = await asyncio.to_thread(platform.seed_demo_org, "Bench Co")
        yield Session(name, platform, events, demo["api_key"], var, events_port, connections)
    finally:
        await asyncio.to_thread(platform.stop)  # also after a failed start: no process is left behind
        await events.stop()
        if connections:
            await connections.stop()
        if not keep:
            shutil.rmtree(var, ignore_errors=True)
            if urls:
                await drop_databases()
