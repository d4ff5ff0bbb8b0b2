"""One async engine per service: SQLite under var/ by default, Postgres via asyncpg.

Two kinds of transaction:

- `transaction()` may write. On SQLite, writers queue in order on one connection behind an
  asyncio lock (SQLite has one writer at a time; letting a pool of connections race for it
  through the busy handler gave 16 writers a p99 of 433 ms against 35 ms in a queue).
- `read()` only reads, and on SQLite takes no lock at all (WAL readers never block the
  writer). It is read-only for real: a write inside it fails loudly on both databases.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from pathlib import Path
from typing import AsyncIterator

from sqlalchemy import event, text
from sqlalchemy.orm import Session
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def normalize_url(url: str) -> str:
    """Accept the usual spellings of a Postgres URL and route them to asyncpg."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix):]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///"):]
    return url


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


class NestedWriteError(RuntimeError):
    """A write transaction opened inside another one in the same task: on SQLite it would wait for itself."""


class Database:
    def __init__(self, url: str, *, pool_size: int = 5, max_overflow: int = 10) -> None:
        self.url = normalize_url(url)
        self._writer = asyncio.Lock()  # FIFO: writers run in the order they asked
        self._writer_task: asyncio.Task | None = None
        if is_sqlite(self.url):
            path = self.url.split("///", 1)[1]
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            # One connection for all writes. BEGIN IMMEDIATE still guards against another
            # process on the same file (a CLI command, a second replica).
            self.engine: AsyncEngine = create_async_engine(self.url, connect_args={"timeout": 30},
                                                           pool_size=1, max_overflow=0)
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
            self.read_engine: AsyncEngine = create_async_engine(self.url, connect_args={"timeout": 30},
                                                                pool_size=8, max_overflow=8)
            event.listen(self.read_engine.sync_engine, "connect", _sqlite_read_pragmas)
            event.listen(self.read_engine.sync_engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
            self._serialize_writes = True
        else:
            self.engine = create_async_engine(self.url, pool_size=pool_size, max_overflow=max_overflow,
                                              pool_pre_ping=True)
            # The same pool; asyncpg opens these transactions as BEGIN READ ONLY.
            self.read_engine = self.engine.execution_options(postgresql_readonly=True)
            self._serialize_writes = False
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False,
                                               class_=QueuedWriterSession if self._serialize_writes else AsyncSession)
        self.read_sessionmaker = async_sessionmaker(self.read_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on error.

        On SQLite the session takes its place in the writers' queue when it first touches the
        database, not when it opens: a request's session that is opened before the caller is
        verified (which reads keys in a transaction of its own) holds nobody up meanwhile."""
        if not self._serialize_writes:
            async with self.sessionmaker() as session:
                async with session.begin():
                    yield session
            return
        async with self.sessionmaker(writer=self) as session:
            try:
                async with session.begin():
                    yield session
                    if session.new or session.dirty or session.deleted:
                        await session.queue_for_writer()  # the commit's flush writes
            finally:
                session.leave_writer_queue()

    async def _enter_writer_queue(self) -> None:
        task = asyncio.current_task()
        if task is not None and task is self._writer_task:
            raise NestedWriteError("a write transaction is already open in this task")
        await self._writer.acquire()
        self._writer_task = task

    def _leave_writer_queue(self) -> None:
        self._writer_task = None
        self._writer.release()

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only session in one transaction (one consistent snapshot); never waits for writers."""
        async with self.read_sessionmaker() as session:
            async with session.begin():
                yield session

    @contextlib.asynccontextmanager
    async def sole_holder(self, name: str, retry_s: float) -> AsyncIterator[None]:
        """Wait until this process is the only one holding `name` on this database, and hold it meanwhile.

        Postgres: a session advisory lock on a connection of its own (the server lets it go if
        the process dies). SQLite: one process per file, nothing to wait for."""
        if self._serialize_writes:
            yield
            return
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        async with self.engine.connect() as connection:
            while not await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}):
                await connection.rollback()  # no transaction left open while waiting
                await asyncio.sleep(retry_s)
            await connection.commit()
            try:
                yield
            finally:
                # Closed, not returned to the pool: a pooled connection would keep holding the lock.
                with contextlib.suppress(Exception):
                    await connection.invalidate()

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._serialize_writes:  # SQLite's readers have their own pool; Postgres' share the writers'
            await self.read_engine.dispose()


class QueuedWriterSession(AsyncSession):
    """An AsyncSession that waits for its turn in the database's writers' queue before its first statement."""

    def __init__(self, *args, writer: Database, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._writer_db = writer
        self._queued = False

    async def queue_for_writer(self) -> None:
        if not self._queued:
            await self._writer_db._enter_writer_queue()
            self._queued = True

    def leave_writer_queue(self) -> None:
        if self._queued:
            self._queued = False
            self._writer_db._leave_writer_queue()

    async def execute(self, *args, **kwargs):
        await self.queue_for_writer()
        return await super().execute(*args, **kwargs)

    async def scalar(self, *args, **kwargs):
        await self.queue_for_writer()
        return await super().scalar(*args, **kwargs)

    async def scalars(self, *args, **kwargs):
        await self.queue_for_writer()
        return await super().scalars(*args, **kwargs)

    async def get(self, *args, **kwargs):
        await self.queue_for_writer()
        return await super().get(*args, **kwargs)

    async def get_one(self, *args, **kwargs):
        await self.queue_for_writer()
        return await super().get_one(*args, **kwargs)

    async def stream(self, *args, **kwargs):
        await self.queue_for_writer()
        return await super().stream(*args, **kwargs)

    async def stream_scalars(self, *args, **kwargs):
        await self.queue_for_writer()
        return await super().stream_scalars(*args, **kwargs)

    async def flush(self, *args, **kwargs):
        await self.queue_for_writer()
        return await super().flush(*args, **kwargs)

    async def merge(self, *args, **kwargs):
        await self.queue_for_writer()
        return await super().merge(*args, **kwargs)

    async def refresh(self, *args, **kwargs):
        await self.queue_for_writer()
        return await super().refresh(*args, **kwargs)

    async def delete(self, *args, **kwargs):
        await self.queue_for_writer()
        return await super().delete(*args, **kwargs)

    async def connection(self, *args, **kwargs):
        await self.queue_for_writer()
        return await super().connection(*args, **kwargs)

    async def run_sync(self, *args, **kwargs):
        await self.queue_for_writer()
        return await super().run_sync(*args, **kwargs)

    def begin_nested(self):
        return _QueuedSavepoint(self)


class _QueuedSavepoint:
    """`async with session.begin_nested()` that first waits for the session's turn to write."""

    def __init__(self, session: QueuedWriterSession) -> None:
        self.session = session
        self.savepoint = None

    async def __aenter__(self):
        await self.session.queue_for_writer()
        self.savepoint = AsyncSession.begin_nested(self.session)
        return await self.savepoint.__aenter__()

    async def __aexit__(self, *exc):
        return await self.savepoint.__aexit__(*exc)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # Let SQLAlchemy emit BEGIN itself (see the "begin" listeners) and use WAL so
    # readers never block the writer.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_read_pragmas(dbapi_conn, record) -> None:
    _sqlite_pragmas(dbapi_conn, record)
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA query_only=ON")  # a write here is a bug: fail, don't race the writer
    cursor.close()


@event.listens_for(Session, "after_commit")
def _run_after_commit_hooks(session: Session) -> None:
    """Run callbacks registered in session.info["after_commit"] (e.g. waking the outbox relay)."""
    for hook in session.info.pop("after_commit", []):
        hook()


@event.listens_for(Session, "after_rollback")
def _drop_after_commit_hooks(session: Session) -> None:
    session.info.pop("after_commit", None)
