"""Sandbox payment gateway: localstripe, served on 127.0.0.1, made to behave more like Stripe.

What we add on top of localstripe (its own ``start()`` binds every interface and keeps
its state in a /tmp pickle shared by every user of the machine, so we do not use it):

* ``Idempotency-Key`` on POST, as Stripe does: the first result for a key is stored
  and replayed (``Idempotent-Replayed: true``) for later requests with that key;
  the same key with another endpoint or another body gets 400 ``idempotency_error``.
  Only results of requests that actually executed are stored (2xx/3xx and 402
  declines); other 4xx validation errors are not, so a corrected retry may reuse
  the key. The store is SQLite in ``--state-dir`` and survives restarts.
* localstripe's object store is persisted in ``--state-dir`` too (``localstripe.pickle``)
  rather than /tmp, so replayed ids keep pointing at existing objects after a
  restart. ``--reset`` wipes both; ``DELETE /_config/data`` clears both.
* Stripe's test payment methods: ``pm_card_visa`` succeeds; ``pm_card_chargeCustomerFail``
  and ``pm_card_chargeDeclined`` attach fine but are declined at charge time
  (``pm_card_visa_chargeDeclined`` is now declined at charge time too), with decline code
  ``generic_decline``; ``pm_card_visa_chargeDeclinedInsufficientFunds`` is declined with
  ``insufficient_funds``, as on Stripe. An unknown id is a 404 ``invalid_request_error``.

How a decline surfaces through the official SDK (``stripe`` 16.x) for
``client.v1.payment_intents.create(params={..., "confirm": True, "off_session": True})``:
HTTP 402, raised as ``stripe.CardError`` with ``e.code == "card_declined"``,
``e.error.decline_code == "generic_decline"`` and ``e.error.payment_intent`` holding
the created PaymentIntent (status ``requires_payment_method``,
``last_payment_error.code == "card_declined"``) -- the same shape Stripe returns.
No ``customer`` is needed for a one-off confirmed PaymentIntent.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import os
import pickle
import shutil
import sqlite3
import time
from collections import defaultdict
from pathlib import Path

from aiohttp import web
from localstripe import resources
from localstripe.errors import UserError
from localstripe.resources import PaymentIntent, PaymentMethod

log = logging.getLogger("duely_devstack.sandbox_gateway")

# Stripe's "attaches fine, declined when charged" test card (localstripe knows it as such).
_CHARGE_DECLINED_CARD = "4000000000000341"
# Stripe's generic decline card: localstripe only declines it at attach time.
_GENERIC_DECLINE_CARD = "4000000000000002"
# Stripe's insufficient-funds card (pm_card_visa_chargeDeclinedInsufficientFunds): localstripe lacks it.
_INSUFFICIENT_FUNDS_CARD = "4000000000009995"
# Stripe test ids localstripe lacks → the card number Stripe documents for them.
_EXTRA_TEST_CARDS = {"pm_card_chargeDeclined": _CHARGE_DECLINED_CARD,
                     "pm_card_visa_chargeDeclinedInsufficientFunds": _INSUFFICIENT_FUNDS_CARD}
_DECLINE_CODES = {_INSUFFICIENT_FUNDS_CARD: "insufficient_funds"}  # any other declined card: generic_decline


# --- localstripe behaviour patches ---------------------------------------------------


def _patch_localstripe(state_dir: Path) -> None:
    """Apply our fixes to localstripe's classes and store (idempotent)."""
    if getattr(PaymentMethod, "_duely_patched", False):
        return
    PaymentMethod._duely_patched = True

    canonical = PaymentMethod._try_get_canonical_test_article.__func__

    def _try_get_canonical_test_article(cls, id):
        # Stripe documents these; localstripe lacks them.
        if id in _EXTRA_TEST_CARDS:
            card = dict(number=_EXTRA_TEST_CARDS[id], exp_month="12", exp_year="2030", cvc="123")
            return PaymentMethod(type="card", card=card)
        return canonical(cls, id)

    PaymentMethod._try_get_canonical_test_article = classmethod(_try_get_canonical_test_article)

    charging_is_declined = PaymentMethod._charging_is_declined

    def _charging_is_declined(self):
        if self.type == "card" and self._card_number in (_GENERIC_DECLINE_CARD, _INSUFFICIENT_FUNDS_CARD):
            return True
        return charging_is_declined(self)

    PaymentMethod._charging_is_declined = _charging_is_declined

    report_failure = PaymentIntent._report_failure

    def _report_failure(self):
        # localstripe raises a bare invalid_request_error; Stripe says card_error and
        # includes the PaymentIntent so the caller learns its id and status.
        try:
            report_failure(self)
        except UserError as e:
            if e.code == 402:
                method = PaymentMethod._api_retrieve(self.payment_method)
                number = getattr(method, "_card_number", None)
                e.body["error"].update(
                    type="card_error", decline_code=_DECLINE_CODES.get(number, "generic_decline"),
                    payment_intent=self._export()
                )
            raise

    PaymentIntent._report_failure = _report_failure

    _persist_store_in(state_dir / "localstripe.pickle")


FLUSH_DELAY_S = 0.5


def _persist_store_in(path: Path) -> None:
    """Point localstripe's store at our state dir instead of /tmp/localstripe.pickle."""
    store = resources.store

    def write_now():
        flush_pending.clear()
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            pickle.dump(dict(store), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)

    flush_pending: list[asyncio.TimerHandle] = []

    def dump_to_disk():
        # localstripe pickles the whole store on every write: O(n) per request, so a
        # benchmark of thousands of charges slows to a crawl. Coalesce writes instead:
        # at most one dump per FLUSH_DELAY_S, and one more at shutdown.
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            write_now()
            return
        if not flush_pending:
            flush_pending.append(loop.call_later(FLUSH_DELAY_S, write_now))

    # Store.__setitem__ calls self.dump_to_disk(); an instance attribute shadows the method.
    store.dump_to_disk = dump_to_disk
    store.flush_to_disk = write_now
    store.clear()
    if path.exists():
        with open(path, "rb") as f:
            dict.update(store, pickle.load(f))


async def _flush_store() -> None:
    resources.store.flush_to_disk()


# --- idempotency keys ------------------------------------------------------------------


class IdempotencyStore:
    """First result per Idempotency-Key, in SQLite so it survives restarts."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS idempotency ("
            " key TEXT PRIMARY KEY, method TEXT, path TEXT, fingerprint TEXT,"
            " status INTEGER, content_type TEXT, body BLOB, created_at REAL)"
        )

    def get(self, key: str) -> sqlite3.Row | None:
        cur = self.db.execute(
            "SELECT method, path, fingerprint, status, content_type, body FROM idempotency WHERE key = ?", (key,)
        )
        return cur.fetchone()

    def put(self, key: str, method: str, path: str, fingerprint: str, status: int, content_type: str, body: bytes) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO idempotency VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (key, method, path, fingerprint, status, content_type, body, time.time()),
        )

    def clear(self) -> None:
        self.db.execute("DELETE FROM idempotency")


def _idempotency_error(message: str) -> web.Response:
    body = {"error": {"type": "idempotency_error", "message": message}}
    return web.json_response(body, status=400)


def _worth_storing(response: web.StreamResponse) -> bool:
    # Stripe saves a result once the endpoint started executing; validation errors are not saved.
    return isinstance(response, web.Response) and (response.status < 400 or response.status == 402)


def idempotency_middleware(keys: IdempotencyStore):
    """aiohttp middleware implementing Stripe's Idempotency-Key semantics for POST."""
    locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    @web.middleware
    async def middleware(request: web.Request, handler):
        if request.method == "DELETE" and request.path == "/_config/data":
            keys.clear()
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key:
            return await handler(request)
        raw = await request.read()  # cached by aiohttp, localstripe can still read it
        fingerprint = hashlib.sha256(request.query_string.encode() + b"\0" + raw).hexdigest()
        async with locks[key]:  # a concurrent twin waits, then gets the replay
            saved = keys.get(key)
            if saved is not None:
                method, path, saved_fingerprint, status, content_type, body = saved
                if (method, path) != (request.method, request.path):
                    return _idempotency_error(
                        f"Keys for idempotent requests can only be used for the same endpoint they were first "
                        f"used for ('{method} {path}'). Try using a key other than '{key}'."
                    )
                if saved_fingerprint != fingerprint:
                    return _idempotency_error(
                        f"Keys for idempotent requests can only be used with the same parameters they were "
                        f"first used with. Try using a key other than '{key}' if you meant to execute a "
                        f"different request."
                    )
                response = web.Response(body=body, status=status, content_type=content_type)
                response.headers["Idempotent-Replayed"] = "true"
            else:
                response = await handler(request)
                if _worth_storing(response):
                    keys.put(key, request.method, request.path, fingerprint, response.status,
                             response.content_type, response.body or b"")
            response.headers["Idempotency-Key"] = key
            return response

    return middleware


# --- serving ---------------------------------------------------------------------------


def build_app(state_dir: str | Path, reset: bool = False) -> web.Application:
    """localstripe's aiohttp app with our patches and middleware, state kept in state_dir."""
    state = Path(state_dir)
    if reset and state.exists():
        shutil.rmtree(state)
    state.mkdir(parents=True, exist_ok=True)
    _patch_localstripe(state)
    from localstripe.server import app  # import after patching; it is a module-level singleton

    if not getattr(app, "_duely_wrapped", False):
        app.middlewares.insert(0, idempotency_middleware(IdempotencyStore(state / "idempotency.sqlite3")))
        app.on_cleanup.append(lambda _app: _flush_store())
        app._duely_wrapped = True  # noqa: SLF001 - plain attribute on our singleton
    return app


def main(argv: list[str] | None = None) -> None:
    """`python -m duely_devstack.sandbox_gateway --port 8420 --state-dir var/sandbox-gateway`."""
    parser = argparse.ArgumentParser(description="Stripe-compatible sandbox payment gateway (localstripe).")
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--host", default="127.0.0.1", help="bind address (0.0.0.0 only inside a container)")
    parser.add_argument("--state-dir", default="var/sandbox-gateway")
    parser.add_argument("--reset", action="store_true", help="forget all objects and idempotency keys first")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = build_app(args.state_dir, reset=args.reset)
    log.info("sandbox gateway on http://%s:%d, state in %s", args.host, args.port, args.state_dir)
    web.run_app(app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
