"""The gateway's ops home has the services' guard: in production an operator signs in with the internal secret
(or a script sends it); a service it cannot reach shows as unreachable, not as an error page. The home with the
five real services running is tested end to end in tests/e2e/test_ops_pages.py."""

from __future__ import annotations

import re

import httpx

from duely_devstack.net import free_port
from duely_runtime.auth import INTERNAL_HEADER

SECRET = "a-production-secret-of-at-least-32-bytes"


async def test_production_ops_home_needs_an_operator(serve):
    from duely_gateway.config import Settings
    from duely_gateway.main import build
    nowhere = {f"{s}_url": f"http://127.0.0.1:{free_port(27000, 27999)}"
               for s in ("invoicing", "payments", "dunning", "notifications", "portal")}
    app = build(Settings(mode="production", internal_secret=SECRET, readiness_timeout_s=0.5, **nowhere))
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        anonymous = await client.get("/ops", headers={"Accept": "text/html"})
        assert anonymous.status_code == 303 and anonymous.headers["location"] == "/ops/sign_in?next=/ops"
        wrong = await client.post("/ops/sign_in", content="secret=guess", headers={
            "Content-Type": "application/x-www-form-urlencoded", "Origin": url})
        assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
        right = await client.post("/ops/sign_in", content=f"secret={SECRET}", headers={
            "Content-Type": "application/x-www-form-urlencoded", "Origin": url})
        value = re.match(r"duely_ops=([^;]+)", right.headers["set-cookie"]).group(1)
        home = await client.get("/ops", headers={"Cookie": f"duely_ops={value}"})
        assert home.status_code == 200
        assert home.text.count('class="card service"') == 5 and home.text.count("Unreachable") == 5
        assert (await client.get("/ops", headers={INTERNAL_HEADER: SECRET})).status_code == 200
        tampered = value[:-1] + ("0" if value[-1] != "0" else "1")
        assert (await client.get("/ops", headers={"Cookie": f"duely_ops={tampered}"})).status_code == 303
        assert (await client.get("/ops/static/vendor/chart.umd.min.js")).status_code == 200
        assert (await client.get("/ops/static/../status")).status_code in (400, 404)
