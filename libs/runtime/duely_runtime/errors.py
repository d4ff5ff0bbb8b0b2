"""One error type and one JSON error shape for the whole API, as Stripe does:

    {"error": {"type": "invalid_request_error", "code": "...", "message": "...", "param": "lines[0].quantity"}}
"""

from __future__ import annotations

from typing import Any, TypeVar


T = TypeVar("T")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, *, param: str | None = None,
                 type: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.type = type or _type_for(status)

    def body(self) -> dict[str, Any]:
        return error_body(self.type, self.code, self.message, self.param)


def error_body(type: str, code: str, message: str, param: str | None = None) -> dict[str, Any]:
    return {"error": {"type": type, "code": code, "message": message, "param": param}}


def _type_for(status: int) -> str:
    if status == 401:
        return "authentication_error"
    if status == 409:
        return "conflict_error"
    if status == 429:
        return "rate_limit_error"
    if status >= 500:
        return "api_error"
    return "invalid_request_error"


def not_found(what: str, id: str, param: str = "id") -> ApiError:
    return ApiError(404, "resource_missing", f"No such {what}: '{id}'", param=param)


def found(row: T | None, what: str, id: str, param: str = "id") -> T:
    """`row`, or the 404 that names what was looked for when there is none."""
    if row is None:
        raise not_found(what, id, param=param)
    return row


def invalid(param: str, message: str, code: str = "parameter_invalid") -> ApiError:
    return ApiError(400, code, message, param=param)


def conflict(code: str, message: str, param: str | None = None) -> ApiError:
    return ApiError(409, code, message, param=param)
