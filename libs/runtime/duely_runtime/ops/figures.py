"""The figures an ops page shows, read from the service's own database, its broker and its process.

`status(runtime)` is what `GET /ops/status` answers and what the page renders; `sample(runtime)` is the
cheaper subset the sampler records once a minute.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Awaitable, Callable

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts.timestamps import iso_utc
from duely_runtime.kit.clock import utcnow
from duely_runtime.ops import lag as lag_module
from duely_runtime.ops.recent_errors import RECENT_ERRORS

log = logging.getLogger(__name__)

LAG_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class QueueFigure:
    """One of the service's own work queues (emails to send, timers to fire, charges in flight...).

    pending: waiting to be worked; failing: retrying after a failure or given up; late: due more than a
    minute ago and not done; oldest_age_s: age of the oldest pending item (None when empty)."""

    name: str
    pending: int
    failing: int = 0
    late: int = 0
    oldest_age_s: float | None = None
    note: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


QueuesHook = Callable[[AsyncSession], Awaitable[list[QueueFigure]]]


def plain(row) -> dict:
    return {k: (iso_utc(v) if isinstance(v, datetime) else v) for k, v in row.items()}


def age_s(then: datetime | None, now: datetime) -> float | None:
    return None if then is None else max((now - then).total_seconds(), 0.0)


async def readiness(runtime) -> dict:
    """The /readyz checks, each with the reason it fails (None when it passes)."""
    reasons: dict[str, str | None] = {}
    try:
        async with runtime.db.read() as session:
            await session.execute(text("SELECT 1"))
        reasons["database"] = None
    except Exception as exc:
        log.exception("readiness: database check failed")
        reasons["database"] = f"{type(exc).__name__}: {exc}"[:500]
    consumers = runtime.consumers
    if consumers.ready:
        reasons["consumers"] = None
    else:
        last = getattr(consumers, "last_start_error", None)
        reasons["consumers"] = ("not started yet" + (f": {last}" if last else " (joining the broker)"))
    if not runtime.relay_running:
        reasons["relay"] = "the outbox relay task is not running"
    else:
        reasons["relay"] = None
    checks = {name: reason is None for name, reason in reasons.items()}
    notes = {}
    relay_error = getattr(runtime.relay, "last_error", None)
    if relay_error:  # the relay runs but cannot publish: ready (the API works), yet events wait
        notes["relay"] = f"cannot publish, retrying: {relay_error}"
    return {"status": "ready" if all(checks.values()) else "not_ready", "checks": checks,
            "reasons": reasons, "notes": notes}


async def outbox_figures(session: AsyncSession, table, now: datetime) -> dict:
    waiting = (table.c.published_at.is_(None)) & (table.c.parked_at.is_(None))
    backlog, oldest = (await session.execute(select(func.count(), func.min(table.c.created_at))
                                             .where(waiting))).one()
    parked = (await session.execute(select(func.count()).where(table.c.parked_at.is_not(None)))).scalar_one()
    return {"backlog": backlog, "oldest_age_s": age_s(oldest, now), "parked": parked}


async def inbox_figures(session: AsyncSession, table, now: datetime) -> dict:
    def since(seconds: int):
        return select(func.count()).where(table.c.processed_at >= now - timedelta(seconds=seconds))
    minute = (await session.execute(since(60))).scalar_one()
    hour = (await session.execute(since(3600))).scalar_one()
    return {"processed_last_minute": minute, "processed_last_hour": hour}


async def open_dead_letter_count(session: AsyncSession, table) -> int:
    return (await session.execute(select(func.count()).where(table.c.replayed_at.is_(None)))).scalar_one()


async def dead_letters(runtime, include_replayed: bool = False, limit: int = 200) -> list[dict]:
    table = runtime.tables.dead_letters
    query = select(table).order_by(table.c.id.desc()).limit(limit)
    if not include_replayed:
        query = query.where(table.c.replayed_at.is_(None))
    async with runtime.db.read() as session:
        return [plain(r) for r in (await session.execute(query)).mappings().all()]


async def parked_rows(runtime) -> list[dict]:
    table = runtime.tables.outbox
    query = (select(table.c.seq, table.c.event_id, table.c.topic, table.c.key, table.c.created_at,
                    table.c.parked_at, table.c.last_error)
             .where(table.c.parked_at.is_not(None)).order_by(table.c.seq.desc()).limit(200))
    async with runtime.db.read() as session:
        return [plain(r) for r in (await session.execute(query)).mappings().all()]


async def work_queues(runtime, session: AsyncSession) -> list[QueueFigure]:
    hook: QueuesHook | None = getattr(runtime, "ops_queues", None)
    return list(await hook(session)) if hook else []


async def lag(runtime) -> dict:
    """Lag per partition of the topics the service consumes, or the reason it could not be read."""
    topics = sorted(runtime.consumers.routes)
    group = f"duely-{runtime.name}"
    try:
        figures = await asyncio.wait_for(
            lag_module.consumer_lag(runtime.settings.kafka_bootstrap_servers, group, topics), LAG_TIMEOUT_S)
    except Exception as exc:
        return {"group": group, "partitions": [], "total": None, "error": f"{type(exc).__name__}: {exc}"[:300],
                "how_computed": lag_module.HOW_COMPUTED}
    return {"group": group, "partitions": [f.as_dict() for f in figures], "total": sum(f.lag for f in figures),
            "error": None, "how_computed": lag_module.HOW_COMPUTED}


async def database_figures(runtime) -> dict:
    now = utcnow()
    tables = runtime.tables
    async with runtime.db.read() as session:
        outbox = await outbox_figures(session, tables.outbox, now)
        inbox = await inbox_figures(session, tables.inbox, now)
        open_letters = await open_dead_letter_count(session, tables.dead_letters)
        try:
            queues = await work_queues(runtime, session)
            queues_error = None
        except Exception as exc:
            log.exception("ops: the service's work-queue figures failed")
            queues, queues_error = [], f"{type(exc).__name__}: {exc}"[:300]
    return {"outbox": outbox, "inbox": inbox, "dead_letters_open": open_letters,
            "queues": [q.as_dict() for q in queues], "queues_error": queues_error}


async def sample(runtime) -> dict:
    """What the sampler records each minute (no lists)."""
    figures, lag_figures = await asyncio.gather(database_figures(runtime), lag(runtime))
    return {**figures, "lag": lag_figures}


async def status(runtime, history: list[dict]) -> dict:
    figures = await sample(runtime)
    return {
        "object": "ops_status",
        "service": runtime.name,
        "mode": runtime.settings.mode,
        "generated_at": iso_utc(utcnow()),
        "readiness": await readiness(runtime),
        **figures,
        "dead_letters": await dead_letters(runtime, limit=50),
        "parked_outbox_rows": await parked_rows(runtime),
        "recent_errors": RECENT_ERRORS.records(),
        "errors_logged": RECENT_ERRORS.total,
        "history": history,
        "sample_interval_s": runtime.settings.ops_sample_interval_s,
    }


async def queue_figure(session: AsyncSession, name: str, *, pending, failing=None, due=None, created=None,
                       note: str = "") -> QueueFigure:
    """Count one work queue from its table: `pending`/`failing` are SQL conditions; `due` the column saying when
    an item should be worked (late = pending and due over a minute ago); `created` dates the oldest pending."""
    now = utcnow()
    if created is not None:
        waiting, oldest = (await session.execute(select(func.count(), func.min(created)).where(pending))).one()
    else:
        waiting, oldest = (await session.execute(select(func.count()).where(pending))).scalar_one(), None
    failing_n = (await session.execute(select(func.count()).where(failing))).scalar_one() if failing is not None else 0
    late = 0
    if due is not None:
        late = (await session.execute(select(func.count()).where(pending, due < now - timedelta(seconds=60))
                                      )).scalar_one()
    return QueueFigure(name, waiting, failing_n, late, age_s(oldest, now), note)
