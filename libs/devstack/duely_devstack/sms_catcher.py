"""Local SMS catcher: Twilio's Messages endpoint on 127.0.0.1, storing each SMS as a JSON file.

    python -m duely_devstack.sms_catcher --port 8430 --dir var/sms

Notifications' production SMS driver (Twilio's REST API) runs unchanged against it with
`DUELY_NOTIFICATIONS_TWILIO_BASE_URL=http://127.0.0.1:8430`, as the SMTP catcher stands in for a relay:

* ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``: basic auth (the user must be the URL's
  account sid, any token), form fields ``To``, ``From`` or ``MessagingServiceSid``, ``Body``. Answers
  201 with the message in Twilio's shape (``sid`` SM…, ``status`` queued, ``num_segments``...) and
  stores ``<dir>/<received_at>-<sid>.json`` (to, from, body, segments, encoding, received_at, sid).
  Twilio's errors come in its shape (``code``, ``message``, ``more_info``, ``status``): 401 20003
  without credentials, 400 21604 / 21602 / 21603 without To, Body or a sender, 21211 for a To that
  is not E.164.
* Twilio's magic test numbers as ``To``: +15005550001 (21211 invalid number), +15005550002 (21612
  unreachable), +15005550003 (21408 region not enabled), +15005550004 (21610 unsubscribed),
  +15005550009 (21614 not a mobile). The catcher's own +15005550500 answers a 500 (Twilio 20500) the
  first time each message is sent, then takes it: for retries.
* ``Idempotency-Key`` (sent by Duely's driver): a message sent again with the same key is answered as
  the first time and stored once, as the SMTP catcher stores a Message-ID once. Rebuilt from the files
  at start.
* ``GET /messages`` (``?to=`` optional): every stored SMS, oldest first, for tests and people;
  ``GET /2010-04-01/Accounts/{AccountSid}/Messages/{sid}.json``: one.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import logging
import os
import re
import secrets
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from duely_notifications.sms.segments import count_segments  # one count of parts, the sender's and ours

log = logging.getLogger("duely_devstack.sms_catcher")

E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
MAGIC_ERRORS = {
    "+15005550001": (21211, "The 'To' number {to} is not a valid phone number."),
    "+15005550002": (21612, "The 'To' phone number: {to}, is not currently reachable using the 'From' phone number "
                            "via SMS."),
    "+15005550003": (21408, "Permission to send an SMS has not been enabled for the region indicated by the 'To' "
                            "number: {to}."),
    "+15005550004": (21610, "Attempt to send to unsubscribed recipient"),
    "+15005550009": (21614, "'To' number {to} is not a valid mobile number"),
}
FAIL_ONCE = "+15005550500"


def twilio_error(code: int, message: str, status: int) -> web.Response:
    return web.json_response({"code": code, "message": message, "status": status,
                              "more_info": f"https://www.twilio.com/docs/errors/{code}"}, status=status)


class SmsStore:
    """One JSON file per message in `directory`; the idempotency keys seen, rebuilt from them."""

    def __init__(self, directory: str | Path) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.by_key: dict[str, dict[str, Any]] = {}
        self.failed_once: set[str] = set()
        for message in self.messages():
            if message.get("idempotency_key"):
                self.by_key[message["idempotency_key"]] = message

    def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        found = []
        for path in sorted(self.dir.glob("*.json")):
            try:
                found.append(json.loads(path.read_text()))
            except (OSError, ValueError):
                continue  # a file someone is editing by hand
        return [m for m in found if to is None or m.get("to") == to]

    def get(self, sid: str) -> dict[str, Any] | None:
        return next((m for m in self.messages() if m.get("sid") == sid), None)

    def add(self, message: dict[str, Any]) -> None:
        """Written whole, then renamed into place: a reader never sees half a file."""
        stamp = message["received_at"].replace(":", "").replace("-", "").replace(".", "")
        path = self.dir / f"{stamp}-{message['sid']}.json"
        partial = path.with_suffix(".tmp")
        partial.write_text(json.dumps(message, indent=2, ensure_ascii=False))
        os.replace(partial, path)
        if message.get("idempotency_key"):
            self.by_key[message["idempotency_key"]] = message


def twilio_message(m: dict[str, Any]) -> dict[str, Any]:
    """A stored message as Twilio's API shows one."""
    created = format_datetime(datetime.fromisoformat(m["received_at"]))
    return {
        "sid": m["sid"], "account_sid": m["account_sid"], "to": m["to"], "from": m["from"],
        "messaging_service_sid": m.get("messaging_service_sid"), "body": m["body"], "status": "queued",
        "num_segments": str(m["segments"]), "num_media": "0", "direction": "outbound-api",
        "api_version": "2010-04-01", "date_created": created, "date_updated": created, "date_sent": None,
        "price": None, "price_unit": "USD", "error_code": None, "error_message": None,
        "uri": f"/2010-04-01/Accounts/{m['account_sid']}/Messages/{m['sid']}.json",
    }


def authenticated(request: web.Request) -> bool:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return False
    try:
        user, _, token = base64.b64decode(header[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return user == request.match_info["account_sid"] and bool(token)


def build(directory: str | Path) -> web.Application:
    store = SmsStore(directory)

    async def create(request: web.Request) -> web.Response:
        if not authenticated(request):
            return twilio_error(20003, "Authenticate", 401)
        form = await request.post()
        to, body = str(form.get("To") or "").strip(), str(form.get("Body") or "")
        sender, service = str(form.get("From") or "").strip(), str(form.get("MessagingServiceSid") or "").strip()
        if not to:
            return twilio_error(21604, "A 'To' phone number is required.", 400)
        if not body:
            return twilio_error(21602, "Message body is required.", 400)
        if not (sender or service):
            return twilio_error(21603, "A 'From' phone number is required.", 400)
        key = request.headers.get("Idempotency-Key")
        if key and key in store.by_key:
            log.info("duplicate SMS (same Idempotency-Key) to %s, not stored again", to)
            return web.json_response(twilio_message(store.by_key[key]), status=201)
        if to in MAGIC_ERRORS:
            code, message = MAGIC_ERRORS[to]
            return twilio_error(code, message.format(to=to), 400)
        if not E164.match(to):
            return twilio_error(21211, f"The 'To' number {to} is not a valid phone number.", 400)
        if to == FAIL_ONCE and (key or body) not in store.failed_once:
            store.failed_once.add(key or body)
            return twilio_error(20500, "Internal Server Error", 500)
        counted = count_segments(body)
        message = {"sid": "SM" + secrets.token_hex(16), "account_sid": request.match_info["account_sid"],
                   "to": to, "from": sender or None, "messaging_service_sid": service or None, "body": body,
                   "segments": counted.count, "encoding": counted.encoding,
                   "received_at": datetime.now(timezone.utc).isoformat(timespec="microseconds"),
                   "idempotency_key": key}
        store.add(message)
        log.info("stored SMS %s to %s (%d segments)", message["sid"], to, counted.count)
        return web.json_response(twilio_message(message), status=201)

    async def fetch(request: web.Request) -> web.Response:
        if not authenticated(request):
            return twilio_error(20003, "Authenticate", 401)
        message = store.get(request.match_info["sid"])
        if message is None or message["account_sid"] != request.match_info["account_sid"]:
            return twilio_error(20404, f"The requested resource {request.path} was not found", 404)
        return web.json_response(twilio_message(message))

    async def listing(request: web.Request) -> web.Response:
        return web.json_response({"messages": store.messages(request.query.get("to"))})

    app = web.Application()
    app["store"] = store
    app.router.add_post("/2010-04-01/Accounts/{account_sid}/Messages.json", create)
    app.router.add_get("/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json", fetch)
    app.router.add_get("/messages", listing)
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Local SMS catcher speaking Twilio's Messages API.")
    parser.add_argument("--port", type=int, default=8430)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--dir", default="var/sms", help="where each SMS is stored as a JSON file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    log.info("SMS catcher on %s:%d storing into %s", args.host, args.port, args.dir)
    web.run_app(build(args.dir), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
