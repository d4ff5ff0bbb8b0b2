"""Dashboard users (issue #12), on a real invoicing service, Postgres and broker: an invite's link (read from the
user.invited event the relay published) is redeemed with a password; the session token is a bearer credential on
the public API with the user's role; roles refuse what they may not do; the last owner stays; sign-in is rate
limited; links are one-use and expire; sign-out and removal end sessions; API keys can be restricted."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

from sqlalchemy import update

from duely_invoicing.models import Customer, UserToken
from duely_runtime.auth import INTERNAL_HEADER, hash_key, remote_lookup
from duely_runtime.kit.clock import utcnow


def _email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:8]}@Example.com"


async def _internal(svc, method: str, path: str, **kwargs):
    async with svc.client() as client:
        headers = {INTERNAL_HEADER: svc.settings.internal_secret, **kwargs.pop("headers", {})}
        return await client.request(method, path, headers=headers, **kwargs)


async def _new_org(svc) -> dict:
    """A fresh organization with its key and owner user (as /internal/organizations answers)."""
    response = await _internal(svc, "POST", "/internal/organizations", json={"name": f"Org {uuid.uuid4().hex[:6]}"})
    assert response.status_code == 201, response.text
    return response.json()


async def _sign_in(svc, email: str, password: str, ip: str = "203.0.113.7"):
    return await _internal(svc, "POST", "/internal/dashboard/sign_in",
                           json={"email": email, "password": password, "client_ip": ip})


async def _token_from(read_events, wait_for, topic: str, user_id: str, count: int = 1) -> str:
    """The link token of the newest `topic` event for this user (the relay published it to the broker)."""
    async def events():
        found = [e for e in await read_events(topic, timeout=3) if e.aggregate_id == user_id]
        return found if len(found) >= count else None
    envelope = (await wait_for(events, timeout=30))[-1]
    return parse_qs(urlparse(envelope.data["url"]).query)["token"][0]


async def _invite(svc, client, read_events, wait_for, role: str, password: str = "correct horse battery"):
    """Invite a user with `role`, redeem the invite with a password: (user, session token)."""
    email = _email(role)
    created = await client.post("/v1/users", json={"email": email, "name": role.title(), "role": role})
    assert created.status_code == 201, created.text
    user = created.json()
    token = await _token_from(read_events, wait_for, "user.invited", user["id"])
    redeemed = await _internal(svc, "POST", "/internal/dashboard/tokens/redeem",
                               json={"token": token, "password": password})
    assert redeemed.status_code == 200, redeemed.text
    return user, redeemed.json()["session_token"]


async def test_invite_redeem_sign_in_and_the_session_is_a_bearer_with_the_users_role(svc, read_events, wait_for):
    org = await _new_org(svc)
    org_id = org["organization"]["id"]
    async with svc.client(org["api_key"]) as owner_key:
        email = _email("fin")
        created = await owner_key.post("/v1/users", json={"email": email, "name": "Fin", "role": "finance"},
                                       headers={"Idempotency-Key": uuid.uuid4().hex})
        assert created.status_code == 201, created.text
        user = created.json()
        assert (user["object"], user["email"], user["role"], user["status"], user["last_sign_in_at"]) == \
            ("user", email.lower(), "finance", "invited", None)
        assert user["id"].startswith("usr_") and user["created_at"].endswith("Z")
        again = await owner_key.post("/v1/users", json={"email": email.upper(), "role": "viewer"})
        assert again.status_code == 409 and again.json()["error"]["code"] == "user_exists"
        bad = await owner_key.post("/v1/users", json={"email": "nope", "role": "finance"})
        assert bad.status_code == 400 and bad.json()["error"]["param"] == "email"
        bad = await owner_key.post("/v1/users", json={"email": _email(), "role": "boss"})
        assert bad.status_code == 400 and bad.json()["error"]["param"] == "role"

    async def invited():
        found = [e for e in await read_events("user.invited", timeout=3) if e.aggregate_id == user["id"]]
        return found or None
    [event] = await wait_for(invited, timeout=30)
    assert event.organization_id == org_id and event.data["email"] == email.lower()
    assert event.data["role"] == "finance" and event.data["invited_by"] is None  # an API key invited them
    assert event.data["url"].startswith(f"{svc.settings.public_base_url}/dashboard/accept?token=")
    token = parse_qs(urlparse(event.data["url"]).query)["token"][0]

    # An invite needs a password of 10 characters or more; a refused attempt does not use the link.
    for body in ({"token": token}, {"token": token, "password": "short"}):
        refused = await _internal(svc, "POST", "/internal/dashboard/tokens/redeem", json=body)
        assert refused.status_code == 400 and refused.json()["error"]["param"] == "password", refused.text
    redeemed = await _internal(svc, "POST", "/internal/dashboard/tokens/redeem",
                               json={"token": token, "password": "correct horse battery"})
    assert redeemed.status_code == 200, redeemed.text
    started = redeemed.json()
    assert started["session_token"].startswith("dsess_")
    assert started["user"]["status"] == "active" and started["organization"]["id"] == org_id
    used = await _internal(svc, "POST", "/internal/dashboard/tokens/redeem",
                           json={"token": token, "password": "correct horse battery"})
    assert used.status_code == 410 and used.json()["error"]["code"] == "link_expired"

    session_token = started["session_token"]
    verified = await _internal(svc, "POST", "/internal/auth/verify", json={"key_hash": hash_key(session_token)})
    assert verified.json() == {"organization_id": org_id, "api_key_id": verified.json()["api_key_id"],
                               "role": "finance", "user_id": user["id"]}
    assert verified.json()["api_key_id"].startswith("uss_")

    async with svc.client(session_token) as finance:
        assert (await finance.get("/v1/invoices")).status_code == 200
        listed = (await finance.get("/v1/users")).json()["data"]
        me = next(u for u in listed if u["id"] == user["id"])
        assert me["status"] == "active" and me["last_sign_in_at"]
        customer = await finance.post("/v1/customers", json={"name": "Ada", "email": "ada@example.com"})
        assert customer.status_code == 201, customer.text
        settings = await finance.patch("/v1/settings/invoicing", json={"footer": "x"})
        assert settings.status_code == 403, settings.text
        error = settings.json()["error"]
        assert error["code"] == "insufficient_role" and "'finance'" in error["message"]
        assert (await finance.post("/v1/users", json={"email": _email(), "role": "viewer"})).status_code == 403

    # Sign in with the password: another session; the dashboard reads it back, then signs out.
    signed_in = await _sign_in(svc, email.upper(), "correct horse battery")
    assert signed_in.status_code == 200, signed_in.text
    second = signed_in.json()["session_token"]
    assert second != session_token
    current = await _internal(svc, "GET", "/internal/dashboard/session", headers={"Authorization": f"Bearer {second}"})
    assert current.status_code == 200 and current.json()["user"]["role"] == "finance"
    assert current.json()["organization"]["id"] == org_id and current.json()["expires_at"].endswith("Z")
    out = await _internal(svc, "POST", "/internal/dashboard/sign_out", json={"session_token": second})
    assert out.status_code == 204
    current = await _internal(svc, "GET", "/internal/dashboard/session", headers={"Authorization": f"Bearer {second}"})
    assert current.status_code == 401
    await asyncio.sleep(1.1)  # the verification cache holds an answer for a second at most
    async with svc.client(second) as dead:
        assert (await dead.get("/v1/invoices")).status_code == 401
    async with svc.client(session_token) as alive:  # the other session lives on
        assert (await alive.get("/v1/invoices")).status_code == 200


async def test_a_viewer_changes_nothing(svc, read_events, wait_for):
    org = await _new_org(svc)
    org_id = org["organization"]["id"]
    async with svc.client(org["api_key"]) as owner_key:
        _, viewer_token = await _invite(svc, owner_key, read_events, wait_for, "viewer")
    before = await svc.count(Customer, Customer.organization_id == org_id)
    async with svc.client(viewer_token) as viewer:
        assert (await viewer.get("/v1/customers")).status_code == 200
        refused = await viewer.post("/v1/customers", json={"name": "Ada", "email": "ada@example.com"},
                                    headers={"Idempotency-Key": uuid.uuid4().hex})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_role"
        assert "'viewer'" in refused.json()["error"]["message"]
        assert (await viewer.post("/v1/api_keys")).status_code == 403
    assert await svc.count(Customer, Customer.organization_id == org_id) == before


async def test_the_last_owner_stays_and_only_an_owner_manages_owners(svc, read_events, wait_for):
    org = await _new_org(svc)
    owner = org["owner"]
    signed_in = await _sign_in(svc, owner["email"], owner["password"])
    assert signed_in.status_code == 200, signed_in.text
    owner_id = signed_in.json()["user"]["id"]
    async with svc.client(signed_in.json()["session_token"]) as me:
        demote = await me.patch(f"/v1/users/{owner_id}", json={"role": "admin"})
        assert demote.status_code == 409 and demote.json()["error"]["code"] == "last_owner"
        remove = await me.delete(f"/v1/users/{owner_id}")
        assert remove.status_code == 409 and remove.json()["error"]["code"] == "last_owner"
        admin, admin_token = await _invite(svc, me, read_events, wait_for, "admin")

    async with svc.client(admin_token) as as_admin:
        refused = await as_admin.patch(f"/v1/users/{owner_id}", json={"role": "viewer"})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_role"
        refused = await as_admin.post("/v1/users", json={"email": _email(), "role": "owner"})
        assert refused.status_code == 403
        refused = await as_admin.post("/v1/api_keys", json={"role": "owner"})
        assert refused.status_code == 403 and refused.json()["error"]["param"] == "role"
        assert (await as_admin.patch(f"/v1/users/{admin['id']}", json={"name": "Ad Min"})).status_code == 200

    async with svc.client(signed_in.json()["session_token"]) as me:
        promoted = await me.patch(f"/v1/users/{admin['id']}", json={"role": "owner"})
        assert promoted.status_code == 200 and promoted.json()["role"] == "owner"
        demoted = await me.patch(f"/v1/users/{owner_id}", json={"role": "admin"})
        assert demoted.status_code == 200 and demoted.json()["role"] == "admin"


async def test_another_organizations_user_is_a_404(svc, read_events, wait_for):
    first, second = await _new_org(svc), await _new_org(svc)
    async with svc.client(first["api_key"]) as client:
        user = (await client.post("/v1/users", json={"email": _email(), "role": "viewer"})).json()
    async with svc.client(second["api_key"]) as other:
        for response in (await other.patch(f"/v1/users/{user['id']}", json={"role": "admin"}),
                         await other.delete(f"/v1/users/{user['id']}")):
            assert response.status_code == 404 and response.json()["error"]["code"] == "resource_missing"
        assert user["id"] not in {u["id"] for u in (await other.get("/v1/users")).json()["data"]}
    async with svc.client(first["api_key"]) as client:
        listed = {u["id"]: u for u in (await client.get("/v1/users")).json()["data"]}
        assert listed[user["id"]]["role"] == "viewer" and listed[user["id"]]["status"] == "invited"


async def test_wrong_passwords_are_refused_and_the_sixth_attempt_is_rate_limited(svc):
    org = await _new_org(svc)
    owner = org["owner"]
    ip = f"198.51.100.{uuid.uuid4().int % 250}"
    for _ in range(5):
        wrong = await _sign_in(svc, owner["email"], "not the password", ip)
        assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "sign_in_failed"
    unknown = await _sign_in(svc, _email("nobody"), "whatever it is", ip)
    assert unknown.status_code == 401 and unknown.json()["error"] == wrong.json()["error"]  # no enumeration
    limited = await _sign_in(svc, owner["email"], owner["password"], ip)  # right, but too late
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "too_many_attempts"
    # Per IP too: 20 failures from one address refuse every email from it.
    crowd_ip = f"192.0.2.{uuid.uuid4().int % 250}"
    for i in range(20):
        assert (await _sign_in(svc, _email(f"c{i}"), "wrong password", crowd_ip)).status_code == 401
    assert (await _sign_in(svc, _email("late"), "wrong password", crowd_ip)).status_code == 429


async def test_sign_in_links_are_one_use_expire_and_say_nothing_of_unknown_addresses(svc, read_events, wait_for):
    org = await _new_org(svc)
    owner = org["owner"]
    dashboard = "http://127.0.0.1:8000/dashboard"
    unknown = _email("unknown")
    response = await _internal(svc, "POST", "/internal/dashboard/sign_in_links",
                               json={"email": unknown, "client_ip": "203.0.113.9", "dashboard_url": dashboard})
    assert response.status_code == 202
    response = await _internal(svc, "POST", "/internal/dashboard/sign_in_links",
                               json={"email": owner["email"], "client_ip": "203.0.113.9", "dashboard_url": dashboard})
    assert response.status_code == 202
    signed_in = await _sign_in(svc, owner["email"], owner["password"])
    owner_id = signed_in.json()["user"]["id"]

    async def published():
        found = [e for e in await read_events("user.sign_in_link_requested", timeout=3)
                 if e.aggregate_id == owner_id]
        return found or None
    [event] = await wait_for(published, timeout=30)
    assert event.data["url"].startswith(f"{dashboard}/sign_in/link?token=")
    all_events = await read_events("user.sign_in_link_requested", timeout=3)
    assert unknown.lower() not in {e.data["email"] for e in all_events}  # nothing for an unknown address

    token = parse_qs(urlparse(event.data["url"]).query)["token"][0]
    redeemed = await _internal(svc, "POST", "/internal/dashboard/tokens/redeem", json={"token": token})
    assert redeemed.status_code == 200 and redeemed.json()["user"]["id"] == owner_id
    again = await _internal(svc, "POST", "/internal/dashboard/tokens/redeem", json={"token": token})
    assert again.status_code == 410 and again.json()["error"]["code"] == "link_expired"

    # A link past its 15 minutes is refused (its expiry moved back in the database).
    await _internal(svc, "POST", "/internal/dashboard/sign_in_links",
                    json={"email": owner["email"], "client_ip": "203.0.113.9", "dashboard_url": dashboard})
    late_token = await _token_from(read_events, wait_for, "user.sign_in_link_requested", owner_id, count=2)
    async with svc.runtime.db.transaction() as session:
        await session.execute(update(UserToken).where(UserToken.token_hash == hash_key(late_token))
                               .values(expires_at=utcnow() - timedelta(seconds=1)))
    late = await _internal(svc, "POST", "/internal/dashboard/tokens/redeem", json={"token": late_token})
    assert late.status_code == 410
    nonsense = await _internal(svc, "POST", "/internal/dashboard/tokens/redeem", json={"token": "nope"})
    assert nonsense.status_code == 410

    # Links are rate limited like sign-ins: the 6th request for one address within 15 minutes.
    email = _email("linky")
    codes = [(await _internal(svc, "POST", "/internal/dashboard/sign_in_links",
                              json={"email": email, "client_ip": "203.0.113.10", "dashboard_url": dashboard}
                              )).status_code for _ in range(6)]
    assert codes == [202] * 5 + [429]


async def test_an_expired_invite_is_refused(svc, read_events, wait_for):
    org = await _new_org(svc)
    async with svc.client(org["api_key"]) as client:
        user = (await client.post("/v1/users", json={"email": _email(), "role": "viewer"})).json()
    token = await _token_from(read_events, wait_for, "user.invited", user["id"])
    async with svc.runtime.db.transaction() as session:
        await session.execute(update(UserToken).where(UserToken.token_hash == hash_key(token))
                              .values(expires_at=utcnow() - timedelta(seconds=1)))
    late = await _internal(svc, "POST", "/internal/dashboard/tokens/redeem",
                           json={"token": token, "password": "correct horse battery"})
    assert late.status_code == 410 and late.json()["error"]["code"] == "link_expired"


async def test_a_removed_users_pending_invite_dies_and_a_new_invite_brings_a_new_link(svc, read_events, wait_for):
    org = await _new_org(svc)
    email = _email("again")
    async with svc.client(org["api_key"]) as client:
        user = (await client.post("/v1/users", json={"email": email, "role": "viewer"})).json()
        first = await _token_from(read_events, wait_for, "user.invited", user["id"])
        assert (await client.delete(f"/v1/users/{user['id']}")).status_code == 200
        again = await client.post("/v1/users", json={"email": email, "role": "finance"})
        assert again.status_code == 201 and again.json()["id"] == user["id"]
        assert (again.json()["status"], again.json()["role"]) == ("invited", "finance")
    second = await _token_from(read_events, wait_for, "user.invited", user["id"], count=2)
    old = await _internal(svc, "POST", "/internal/dashboard/tokens/redeem",
                          json={"token": first, "password": "correct horse battery"})
    assert old.status_code == 410
    new = await _internal(svc, "POST", "/internal/dashboard/tokens/redeem",
                          json={"token": second, "password": "correct horse battery"})
    assert new.status_code == 200 and new.json()["user"]["role"] == "finance"


async def test_removing_a_user_ends_their_sessions(svc, read_events, wait_for):
    org = await _new_org(svc)
    async with svc.client(org["api_key"]) as owner_key:
        user, token = await _invite(svc, owner_key, read_events, wait_for, "finance")
        async with svc.client(token) as finance:
            assert (await finance.get("/v1/invoices")).status_code == 200
        removed = await owner_key.delete(f"/v1/users/{user['id']}")
        assert removed.status_code == 200 and removed.json()["status"] == "removed"
        assert (await owner_key.delete(f"/v1/users/{user['id']}")).status_code == 404
    await asyncio.sleep(1.1)
    async with svc.client(token) as finance:
        assert (await finance.get("/v1/invoices")).status_code == 401
    current = await _internal(svc, "GET", "/internal/dashboard/session", headers={"Authorization": f"Bearer {token}"})
    assert current.status_code == 401
    assert (await _sign_in(svc, user["email"], "correct horse battery")).status_code == 401


async def test_a_restricted_api_key(svc):
    org = await _new_org(svc)
    async with svc.client(org["api_key"]) as owner_key:
        created = await owner_key.post("/v1/api_keys", json={"role": "viewer"})
        assert created.status_code == 201 and created.json()["role"] == "viewer", created.text
        viewer_key = created.json()["key"]
        default = await owner_key.post("/v1/api_keys")
        assert default.status_code == 201 and default.json()["role"] == "owner"
        listed = {k["id"]: k["role"] for k in (await owner_key.get("/v1/api_keys")).json()["data"]}
        assert listed[created.json()["id"]] == "viewer"
    verified = await _internal(svc, "POST", "/internal/auth/verify", json={"key_hash": hash_key(viewer_key)})
    assert verified.json()["role"] == "viewer" and verified.json()["user_id"] is None
    # Other services ask invoicing over HTTP (remote_lookup): the role reaches their KeyVerifier.
    principal = await remote_lookup(svc.url, svc.settings.internal_secret)(hash_key(viewer_key))
    assert (principal.organization_id, principal.role, principal.user_id) == \
        (org["organization"]["id"], "viewer", None)
    async with svc.client(viewer_key) as viewer:
        assert (await viewer.get("/v1/customers")).status_code == 200
        refused = await viewer.post("/v1/customers", json={"name": "Ada", "email": "ada@example.com"})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_role"
        assert (await viewer.delete(f"/v1/api_keys/{default.json()['id']}")).status_code == 403
