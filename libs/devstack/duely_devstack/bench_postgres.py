"""Fresh Postgres databases for a bench run: one per service, `bench_<service>`, recreated each run."""

from __future__ import annotations

import asyncio

import asyncpg

from duely_devstack.platform import SERVICES

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


async def postgres_up(admin_dsn: str = ADMIN_DSN) -> bool:
    try:
        conn = await asyncpg.connect(admin_dsn, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await conn.close()
    return True


def database_name(service: str) -> str:
    return f"bench_{service}"


async def fresh_databases(admin_dsn: str = ADMIN_DSN) -> dict[str, str]:
    """Drop and create `bench_<service>` for every service; service → the services' asyncpg URL."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        for service in SERVICES:
            await conn.execute(f'DROP DATABASE IF EXISTS "{database_name(service)}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{database_name(service)}"')
    finally:
        await conn.close()
    base = admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return {service: f"{base}/{database_name(service)}" for service in SERVICES}


async def drop_databases(admin_dsn: str = ADMIN_DSN) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        for service in SERVICES:
            await conn.execute(f'DROP DATABASE IF EXISTS "{database_name(service)}" WITH (FORCE)')
    finally:
        await conn.close()


class ConnectionPeak:
    """Samples pg_stat_activity once a second: the most connections the bench's databases held, and the
    server's total, against max_connections. The machine's Postgres may be shared, and running out of
    connections shows up in the figures as HTTP 500s ("too many clients already")."""

    def __init__(self, admin_dsn: str = ADMIN_DSN) -> None:
        self.admin_dsn = admin_dsn
        self.bench = self.total = self.max_connections = 0
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        conn = await asyncpg.connect(self.admin_dsn)
        self.max_connections = int(await conn.fetchval("SHOW max_connections"))
        self._task = asyncio.create_task(self._sample(conn))

    async def _sample(self, conn: asyncpg.Connection) -> None:
        try:
            while True:
                bench, total = await conn.fetchrow(
                    "SELECT count(*) FILTER (WHERE datname LIKE 'bench\\_%'), count(*) FROM pg_stat_activity"
                    " WHERE backend_type = 'client backend'")
                self.bench, self.total = max(self.bench, bench), max(self.total, total)
                await asyncio.sleep(1)
        finally:
            await conn.close()

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def text(self) -> str:
        return (f"peak {self.bench} to the bench's databases, {self.total} on the server in all "
                f"(max_connections {self.max_connections})")
