"""The sandbox gateway's storage: one SQLite file in ``--state-dir``, one row per Stripe object.

Every object is a JSON row found by its primary key or through an index (customer, payment
intent, charge, sub-type), so the cost of a request does not grow with the number of objects
stored (localstripe pickled its whole store twice a second and scanned it on lists). Timers
(pending settlements) and webhook deliveries are rows too: they survive a restart.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  customer TEXT, payment_intent TEXT, charge TEXT, sub TEXT,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS objects_kind ON objects (kind, seq);
CREATE INDEX IF NOT EXISTS objects_customer ON objects (kind, customer, seq) WHERE customer IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_payment_intent ON objects (kind, payment_intent, seq)
  WHERE payment_intent IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_charge ON objects (kind, charge, seq) WHERE charge IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_sub ON objects (kind, sub, seq) WHERE sub IS NOT NULL;
CREATE TABLE IF NOT EXISTS timers (
  kind TEXT NOT NULL, object_id TEXT NOT NULL, due_at REAL NOT NULL,
  PRIMARY KEY (kind, object_id)
);
CREATE INDEX IF NOT EXISTS timers_due ON timers (due_at);
CREATE TABLE IF NOT EXISTS deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL, endpoint_id TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, next_at REAL NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending', last_error TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_at);
"""

INDEXED = ("customer", "payment_intent", "charge", "sub")


def new_id(prefix: str) -> str:
    """Stripe-looking ids that sort by creation time: a new row lands at the end of the id index
    (a random id would touch a random index page on every insert)."""
    return f"{prefix}_{time.time_ns() // 1000:014x}{secrets.token_hex(5)}"


def now() -> int:
    return int(time.time())


class Store:
    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self._depth = 0

    @contextmanager
    def tx(self) -> Iterator[None]:
        """One transaction (nested calls join the outer one): objects, timers and deliveries commit together."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self.db.execute("ROLLBACK")
            raise
        self._depth = 0
        self.db.execute("COMMIT")

    # -- objects ------------------------------------------------------------------------

    def get(self, object_id: str, kind: str | None = None) -> dict[str, Any] | None:
        row = self.db.execute("SELECT kind, body FROM objects WHERE id = ?", (object_id,)).fetchone()
        if row is None or (kind is not None and row[0] != kind):
            return None
        return json.loads(row[1])

    def put(self, obj: dict[str, Any], **index: str | None) -> dict[str, Any]:
        """Insert or replace an object; ``index`` sets its lookup columns (customer=..., sub=...)."""
        values = [index.get(name) for name in INDEXED]
        body = json.dumps(obj, separators=(",", ":"))
        updated = self.db.execute(
            "UPDATE objects SET body = ?, customer = ?, payment_intent = ?, charge = ?, sub = ? WHERE id = ?",
            (body, *values, obj["id"])).rowcount
        if not updated:
            self.db.execute("INSERT INTO objects (id, kind, customer, payment_intent, charge, sub, body) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?)", (obj["id"], obj["object"], *values, body))
        return obj

    def delete(self, object_id: str) -> None:
        self.db.execute("DELETE FROM objects WHERE id = ?", (object_id,))

    def page(self, kind: str, *, limit: int = 10, starting_after: str | None = None,
             ending_before: str | None = None, **filters: str) -> tuple[list[dict[str, Any]], bool]:
        """Newest first, Stripe's cursor pagination, through an index."""
        where, args = ["kind = ?"], [kind]
        for name, value in filters.items():
            if name not in INDEXED:
                raise ValueError(name)
            where.append(f"{name} = ?")
            args.append(value)
        order = "DESC"
        for cursor, op in ((starting_after, "<"), (ending_before, ">")):
            if cursor:
                row = self.db.execute("SELECT seq FROM objects WHERE id = ?", (cursor,)).fetchone()
                where.append(f"seq {op} ?")
                args.append(row[0] if row else (0 if op == "<" else 2**62))
                if op == ">":
                    order = "ASC"
        rows = self.db.execute(f"SELECT body FROM objects WHERE {' AND '.join(where)} ORDER BY seq {order} LIMIT ?",
                               (*args, limit + 1)).fetchall()
        found = [json.loads(body) for (body,) in rows[:limit]]
        if order == "ASC":
            found.reverse()
        return found, len(rows) > limit

    def all_of(self, kind: str) -> list[dict[str, Any]]:
        """Only for kinds that stay few (webhook endpoints)."""
        return [json.loads(b) for (b,) in self.db.execute("SELECT body FROM objects WHERE kind = ? ORDER BY seq",
                                                          (kind,))]

    # -- timers (pending settlements) -------------------------------------------------------

    def set_timer(self, kind: str, object_id: str, due_at: float) -> None:
        self.db.execute("INSERT OR REPLACE INTO timers VALUES (?, ?, ?)", (kind, object_id, due_at))

    def due_timers(self, at: float, limit: int = 100) -> list[tuple[str, str]]:
        return self.db.execute("SELECT kind, object_id FROM timers WHERE due_at <= ? ORDER BY due_at LIMIT ?",
                               (at, limit)).fetchall()

    def drop_timer(self, kind: str, object_id: str) -> None:
        self.db.execute("DELETE FROM timers WHERE kind = ? AND object_id = ?", (kind, object_id))

    def make_timers_due(self, at: float, object_id: str | None = None) -> int:
        if object_id:
            return self.db.execute("UPDATE timers SET due_at = ? WHERE object_id = ?", (at, object_id)).rowcount
        return self.db.execute("UPDATE timers SET due_at = ?", (at,)).rowcount

    # -- webhook deliveries ---------------------------------------------------------------

    def add_delivery(self, event_id: str, endpoint_id: str, at: float) -> None:
        self.db.execute("INSERT INTO deliveries (event_id, endpoint_id, next_at) VALUES (?, ?, ?)",
                        (event_id, endpoint_id, at))

    def due_deliveries(self, at: float, limit: int = 50) -> list[tuple[int, str, str, int]]:
        return self.db.execute(
            "SELECT id, event_id, endpoint_id, attempts FROM deliveries WHERE status = 'pending' AND next_at <= ? "
            "ORDER BY next_at LIMIT ?", (at, limit)).fetchall()

    def delivery_done(self, delivery_id: int) -> None:
        self.db.execute("DELETE FROM deliveries WHERE id = ?", (delivery_id,))

    def delivery_retry(self, delivery_id: int, attempts: int, next_at: float | None, error: str) -> None:
        if next_at is None:
            self.db.execute("UPDATE deliveries SET attempts = ?, status = 'failed', last_error = ? WHERE id = ?",
                            (attempts, error, delivery_id))
        else:
            self.db.execute("UPDATE deliveries SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?",
                            (attempts, next_at, error, delivery_id))

    def pending_deliveries(self) -> int:
        return self.db.execute("SELECT count(*) FROM deliveries WHERE status = 'pending'").fetchone()[0]

    def clear(self) -> None:
        with self.tx():
            for table in ("objects", "timers", "deliveries"):
                self.db.execute(f"DELETE FROM {table}")
