"""Fresh Postgres databases for a bench run: one per service, `bench_<service>`, recreated each run."""

from __future__ import annotations

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
