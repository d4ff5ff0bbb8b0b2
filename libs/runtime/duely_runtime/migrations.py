"""Alembic, applied at start: each service keeps its migrations in `<package>/migrations`.

A service's `env.py` is two lines: import its metadata, call `run_env(metadata)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.ext.asyncio import create_async_engine

from duely_runtime.db import is_sqlite, normalize_url


def alembic_config(script_location: Path, database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", normalize_url(database_url).replace("%", "%%"))
    return cfg


def upgrade_to_head(script_location: Path, database_url: str) -> None:
    """Blocking; call it from a thread when an event loop is running (alembic runs its own).

    "heads": parallel lines of work may each branch a revision off the same parent;
    all branches apply. Two processes may migrate one database at once (a service starting while the CLI
    runs): SQLite takes a file lock here, Postgres an advisory lock in `run_env`.
    """
    with _sqlite_file_lock(database_url):
        command.upgrade(alembic_config(script_location, database_url), "heads")


@contextlib.contextmanager
def _sqlite_file_lock(database_url: str):
    url = normalize_url(database_url)
    if not is_sqlite(url):
        yield
        return
    lock_path = Path(url.split("///", 1)[1] + ".migrate.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


async def upgrade_to_head_async(script_location: Path, database_url: str) -> None:
    await asyncio.to_thread(upgrade_to_head, script_location, database_url)


def run_env(metadata: MetaData) -> None:
    """Body of every service's alembic env.py (online mode, async engine)."""
    url = context.config.get_main_option("sqlalchemy.url")

    def migrate(connection) -> None:
        if connection.dialect.name == "postgresql":
            # Held until this connection's transaction ends; a second migrator waits, then
            # finds the database already at head.
            connection.execute(text("SELECT pg_advisory_xact_lock(724201)"))
        context.configure(connection=connection, target_metadata=metadata,
                          render_as_batch=is_sqlite(url), compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        if connection.in_transaction():  # the lock's query began the transaction: end it here
            connection.commit()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
        await engine.dispose()

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(run())
