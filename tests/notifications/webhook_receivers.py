"""A real HTTP receiver on 127.0.0.1 for the webhook management tests: it keeps every request as it came and
answers per endpoint name what the test says (200, or fail with a status), so a test can break and fix it."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from duely_devstack.net import free_port
from tests.notifications.notification_stack import PORTS


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int = 0

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    def verifies_with(self, secret: str) -> bool:
        try:
            Webhook(secret).verify(self.body, self.headers)
            return True
        except WebhookVerificationError:
            return False


@dataclass
class ScriptedReceiver:
    url: str = ""
    answers: dict[str, int] = field(default_factory=dict)          # name → status answered (200 unless set)
    fail_first: dict[str, int] = field(default_factory=dict)       # name → attempts per webhook-id refused first
    requests: dict[str, list[Received]] = field(default_factory=lambda: defaultdict(list))

    def endpoint_url(self, name: str) -> str:
        return f"{self.url}/hooks/{name}"

    def ids(self, name: str, status: int = 200) -> list[str]:
        """webhook-ids of the requests answered `status`."""
        return [r.webhook_id for r in self.requests[name] if r.answered == status]

    async def handle(self, request: Request):
        name = request.path_params["name"]
        received = Received({k.lower(): v for k, v in request.headers.items()}, await request.body())
        earlier = sum(1 for r in self.requests[name] if r.webhook_id == received.webhook_id)
        status = self.answers.get(name, 200)
        if earlier < self.fail_first.get(name, 0):
            status = 500
        received.answered = status
        self.requests[name].append(received)
        return JSONResponse({"status": status}, status_code=status)


@contextlib.asynccontextmanager
async def scripted_receiver(serve) -> AsyncIterator[ScriptedReceiver]:
    receiver = ScriptedReceiver()
    app = Starlette(routes=[Route("/hooks/{name}", receiver.handle, methods=["POST"])])
    async with serve(app, port=free_port(*PORTS)) as url:
        receiver.url = url
        yield receiver
