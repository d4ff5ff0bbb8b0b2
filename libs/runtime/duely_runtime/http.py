"""The HTTP edge every service shares: the error shape and its OpenAPI, correlation ids, metrics."""

from __future__ import annotations

import logging
import time
import uuid

from fastapi import FastAPI, Request
from pydantic import BaseModel
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from duely_runtime import context, metrics
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
    async def validation_error(_: Request, exc: RequestValidationError):
        first = exc.errors()[0]
        if first.get("type") == "json_invalid":
            return JSONResponse(error_body("invalid_request_error", "invalid_json",
                                           "The request body is not valid JSON.", None), status_code=400)
        param = param_from_loc(tuple(first.get("loc", ())))
        code = "parameter_missing" if first.get("type") == "missing" else "parameter_invalid"
        message = first.get("msg", "Invalid value")
        if param:
            message = f"{param}: {message}"
        return JSONResponse(error_body("invalid_request_error", code, message, param), status_code=400)


def install_request_context(app: FastAPI) -> None:
    @app.middleware("http")
    async def request_context(request: Request, call_next):
        correlation = request.headers.get("x-correlation-id") or str(uuid.uuid4())
        started = time.perf_counter()
        with context.bound(correlation, f"req_{uuid.uuid4().hex[:16]}"):
            if "\x00" in request.url.path or b"%00" in request.scope.get("query_string", b""):
                # No id or filter holds a NUL, and Postgres refuses it in text: a 400, not a 500 at the query.
                response = JSONResponse(error_body("invalid_request_error", "parameter_invalid",
                                                   "The path and query must not contain NUL characters.", None),
                                        status_code=400)
            else:
                response = await call_next(request)
        route = request.scope.get("route")
        route_path = getattr(route, "path", "unmatched")
        metrics.HTTP_REQUESTS.labels(request.method, route_path, response.status_code).inc()
        metrics.HTTP_LATENCY.labels(request.method, route_path).observe(time.perf_counter() - started)
        response.headers["X-Correlation-Id"] = correlation
        return response
