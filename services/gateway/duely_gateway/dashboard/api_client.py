"""The dashboard's way to the public API: the same routing table as the gateway's forwarder, the
user's session token as the bearer, the user's address as X-Forwarded-For."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from duely_gateway.routes import service_for


class ApiProblem(Exception):
    """An answer in the API's error shape (or an upstream that could not be reached)."""

    def __init__(self, status: int, code: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.param = status, code, message, param


@dataclass
class ApiClient:
    client: httpx.AsyncClient
    upstreams: dict[str, str]
    token: str
    client_ip: str = ""

    async def get(self, path: str, **params: Any) -> Any:
        return await self.request("GET", path, params={k: v for k, v in params.items() if v not in (None, "")})

    async def post(self, path: str, json: Any = None, idempotency_key: str | None = None) -> Any:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return await self.request("POST", path, json=json if json is not None else {}, headers=headers)

    async def patch(self, path: str, json: Any) -> Any:
        return await self.request("PATCH", path, json=json)

    async def put(self, path: str, json: Any) -> Any:
        return await self.request("PUT", path, json=json)

    async def delete(self, path: str) -> Any:
        return await self.request("DELETE", path)

    async def raw(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The upstream's answer as it is (a PDF, say)."""
        service = service_for(path)
        if service is None:
            raise ApiProblem(404, "route_not_found", f"Unrecognized request URL ({path}).")
        headers = {"Authorization": f"Bearer {self.token}", **(kwargs.pop("headers", None) or {})}
        if self.client_ip:
            headers["X-Forwarded-For"] = self.client_ip
        try:
            return await self.client.request(method, self.upstreams[service].rstrip("/") + path,
                                             headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise ApiProblem(502, "service_unavailable",
                             f"The {service} service is unavailable; please retry shortly.") from exc

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.raw(method, path, **kwargs)
        if response.status_code == 204:
            return None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400:
            error = (body or {}).get("error") if isinstance(body, dict) else None
            error = error or {"code": "http_" + str(response.status_code), "message": response.text[:200]}
            raise ApiProblem(response.status_code, error.get("code") or "", error.get("message") or "",
                             error.get("param"))
        return body
