"""The HTTP edge every service shares: the error shape and its OpenAPI, correlation ids, metrics."""

from __future__ import annotations

import logging
import time
import uuid

from fastapi import FastAPI, Request
from pydantic import BaseModel
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from duely_runtime import amounts, context, metrics
from duely_runtime.errors import ApiError, error_body

log = logging.getLogger(__name__)


def param_from_loc(loc: tuple) -> str | None:
    """('body', 'lines', 0, 'quantity') → 'lines[0].quantity'."""
    parts = [p for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "[" in str(part) or "function-after" in str(part):
            continue  # pydantic's internal validator names
        else:
            out += ("." if out else "") + str(part)
    return out or None


class ErrorDetail(BaseModel):
    type: str
    code: str
    message: str
    param: str | None = None


class ErrorResponse(BaseModel):
    """The one error shape of the whole API."""

    error: ErrorDetail


ERROR_RESPONSES = {
    400: {"model": ErrorResponse, "description": "Invalid request; `param` names the offending field."},
    401: {"model": ErrorResponse, "description": "Missing or invalid API key."},
    404: {"model": ErrorResponse, "description": "No such resource in the caller's organization."},
    409: {"model": ErrorResponse, "description": "Illegal state transition or a concurrent request."},
}


def install_openapi(app: FastAPI) -> None:
    """Document the error shape on every operation; drop FastAPI's 422 (we answer 400)."""
    build_schema = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build_schema()
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                if isinstance(operation, dict) and "responses" in operation:
                    operation["responses"].pop("422", None)
        for name in ("HTTPValidationError", "ValidationError"):
            schema.get("components", {}).get("schemas", {}).pop(name, None)
        app.openapi_schema = schema
        return schema
    app.openapi = openapi


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError):
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        first = exc.errors()[0]
        if first.get("type") == "json_invalid":
            return JSONResponse(error_body("invalid_request_error", "invalid_json",
                                           "The request body is not valid JSON.", None), status_code=400)
        if problem := whole_body_problem(request, first):
            return JSONResponse(error_body("invalid_request_error", "invalid_body", problem, None), status_code=400)
        param = param_from_loc(tuple(first.get("loc", ())))
        code = "parameter_missing" if first.get("type") == "missing" else "parameter_invalid"
        message = first.get("msg", "Invalid value")
        if param:
            # The amount hint reads as a sentence about the field: "unit_amount must be an integer…".
            message = f"{param} {message}" if first.get("type") == amounts.ERROR_TYPE else f"{param}: {message}"
        return JSONResponse(error_body("invalid_request_error", code, message, param), status_code=400)


def whole_body_problem(request: Request, error: dict) -> str | None:
    """What is wrong with the body as a whole (no field to name in `param`), or None for a field's error.

    FastAPI reads a body as JSON only under a JSON Content-Type; otherwise, and for an empty body or
    JSON that is not an object, pydantic reports one error on the body ("Field required", "Input
    should be a valid dictionary…") that names nothing a caller can act on.
    """
    if tuple(error.get("loc", ())) != ("body",):
        return None
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        had = f"Content-Type: {media_type}" if media_type else "no Content-Type"
        return (f"Send a JSON body with Content-Type: application/json (this request has {had}); "
                "the body as a whole was not read, so no single field is named.")
    if error.get("type") == "missing":
        return ("The request body is empty: send a JSON object with Content-Type: application/json; "
                "the body as a whole is missing, so no single field is named.")
    if error.get("type") in ("model_attributes_type", "dict_type", "model_type"):
        return "The request body must be a JSON object ({...}); the body as a whole is refused, not one field."
    return f"The request body as a whole is refused: {error.get('msg', 'invalid value')}."


def install_request_context(app: FastAPI) -> None:
    app.add_middleware(RequestContext)


class RequestContext:
    """Binds the correlation id (echoed in X-Correlation-Id), refuses NUL in the path, counts and times.

    Plain ASGI: `@app.middleware("http")` costs a task and a memory stream on every request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation = ""
        for name, value in scope["headers"]:
            if name == b"x-correlation-id":
                correlation = value.decode("latin-1")
                break
        correlation = correlation or str(uuid.uuid4())
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Correlation-Id"] = correlation
            await send(message)

        with context.bound(correlation, f"req_{uuid.uuid4().hex[:16]}"):
            if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b""):
                # No id or filter holds a NUL, and Postgres refuses it in text: a 400, not a 500 at the query.
                await JSONResponse(error_body("invalid_request_error", "parameter_invalid",
                                              "The path and query must not contain NUL characters.", None),
                                   status_code=400)(scope, receive, send_with_id)
            else:
                await self.app(scope, receive, send_with_id)
        route_path = getattr(scope.get("route"), "path", "unmatched")
        metrics.HTTP_REQUESTS.labels(scope["method"], route_path, status).inc()
        metrics.HTTP_LATENCY.labels(scope["method"], route_path).observe(time.perf_counter() - started)
