"""A minimal Duely webhook endpoint: verify the signature, drop duplicates by webhook-id, handle the event.

Run: DUELY_WEBHOOK_SECRET=whsec_... python examples/webhook_receiver.py (127.0.0.1:9000, POST /webhooks).
"""

from __future__ import annotations

import os

from fastapi import FastAPI, Request, Response
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


class SeenIds:
    """webhook-ids already handled. In memory here; in production a table with a unique key on the id,
    written in the same transaction as what the event changes."""

    def __init__(self) -> None:
        self._ids: set[str] = set()

    def first_time(self, webhook_id: str) -> bool:
        if webhook_id in self._ids:
            return False
        self._ids.add(webhook_id)
        return True


def create_app(secret: str) -> FastAPI:
    app = FastAPI()
    verifier = Webhook(secret)
    seen = SeenIds()
    app.state.handled = []  # the events handled, in order (what your code would act on)

    @app.post("/webhooks")
    async def receive(request: Request) -> Response:
        body = await request.body()
        try:
            # Checks the signature (any one of those sent) and that the timestamp is recent (replay attacks).
            event = verifier.verify(body, dict(request.headers))
        except WebhookVerificationError:
            return Response(status_code=400)
        if not seen.first_time(request.headers["webhook-id"]):
            return Response(status_code=200)  # a retry or a replay of one we already handled
        handle(app, event)
        return Response(status_code=200)  # a 2xx, quickly: anything else is retried

    return app


def handle(app: FastAPI, event: dict) -> None:
    if event["type"] == "invoice.paid":
        invoice = event["data"]["invoice"]
        print(f"invoice {invoice['number']} paid: {invoice['amount_paid']} {invoice['currency']}")
    app.state.handled.append(event)


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(create_app(os.environ["DUELY_WEBHOOK_SECRET"]), host="127.0.0.1", port=9000)
