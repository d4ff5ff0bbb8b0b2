"""A local webhook endpoint for trying Duely out: prints each delivery, verified.

    python -m duely_devstack.webhook_receiver --port 9000 [--secret whsec_...]

With --secret it checks the Standard Webhooks signature (webhook-id, webhook-timestamp,
webhook-signature) and answers 400 to a bad one, as a real receiver should.
"""

from __future__ import annotations

import argparse
import json

import uvicorn
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def build(secret: str | None) -> Starlette:
    async def receive(request: Request) -> JSONResponse:
        raw = await request.body()
        verified = "unchecked"
        if secret:
            try:
                Webhook(secret).verify(raw, dict(request.headers))
                verified = "signature ok"
            except WebhookVerificationError:
                print(f"REJECTED {request.headers.get('webhook-id')}: bad signature", flush=True)
                return JSONResponse({"error": "bad signature"}, status_code=400)
        body = json.loads(raw)
        print(f"{body.get('type')}  webhook-id={request.headers.get('webhook-id')}  ({verified})", flush=True)
        print(json.dumps(body.get("data"), indent=2)[:2000], flush=True)
        return JSONResponse({"received": True})

    return Starlette(routes=[Route("/{path:path}", receive, methods=["POST"])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--secret", default=None)
    args = parser.parse_args()
    uvicorn.run(build(args.secret), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
