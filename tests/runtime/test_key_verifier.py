"""The key-verification cache every service uses, against the real key owner (invoicing)."""

from __future__ import annotations

import asyncio
import secrets

import httpx

from duely_runtime.auth import KeyVerifier, remote_lookup
from tests.conftest import INTERNAL_SECRET


async def test_random_tokens_cannot_grow_the_cache(invoicing):
    verifier = KeyVerifier(remote_lookup(invoicing.url, INTERNAL_SECRET), max_entries=50)
    for _ in range(300):
        assert await verifier.verify("sk_test_" + secrets.token_urlsafe(16)) is None
    assert len(verifier._cache) == 50


async def test_concurrent_requests_with_one_key_share_one_lookup(invoicing):
    org_id, key = await invoicing.create_org("Single Flight")
    lookups = []
    real = remote_lookup(invoicing.url, INTERNAL_SECRET)

    async def counted(key_hash):
        lookups.append(key_hash)
        return await real(key_hash)
    verifier = KeyVerifier(counted)
    principals = await asyncio.gather(*(verifier.verify(key) for _ in range(20)))
    assert {p.organization_id for p in principals} == {org_id}
    assert len(lookups) == 1


async def test_a_revoked_key_is_refused_within_a_second(invoicing):
    _, key = await invoicing.create_org("Revoker")
    verifier = KeyVerifier(remote_lookup(invoicing.url, INTERNAL_SECRET))
    assert await verifier.verify(key) is not None
    async with httpx.AsyncClient(base_url=invoicing.url, headers={"Authorization": f"Bearer {key}"}) as client:
        new_key = (await client.post("/v1/api_keys")).json()
    async with httpx.AsyncClient(base_url=invoicing.url, headers={"Authorization": f"Bearer {new_key['key']}"}) as c:
        old_id = next(k["id"] for k in (await c.get("/v1/api_keys")).json()["data"] if k["id"] != new_key["id"])
        assert (await c.delete(f"/v1/api_keys/{old_id}")).status_code == 200
    await asyncio.sleep(1.05)
    assert await verifier.verify(key) is None
    assert await verifier.verify(new_key["key"]) is not None


async def test_an_unreachable_key_owner_is_a_503_not_a_500():
    from duely_devstack.net import free_port
    from duely_runtime.errors import ApiError
    verifier = KeyVerifier(remote_lookup(f"http://127.0.0.1:{free_port(27000, 27999)}", INTERNAL_SECRET))
    try:
        await verifier.verify("sk_test_whatever")
    except ApiError as exc:
        assert exc.status == 503 and exc.code == "auth_unavailable"
    else:
        raise AssertionError("expected a 503")


async def test_a_cancelled_lookup_does_not_leave_the_others_waiting_forever(invoicing):
    _, key = await invoicing.create_org("Cancelled Lookup")
    real = remote_lookup(invoicing.url, INTERNAL_SECRET)

    async def slow(key_hash):
        await asyncio.sleep(0.5)
        return await real(key_hash)
    verifier = KeyVerifier(slow)
    first = asyncio.create_task(verifier.verify(key))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(verifier.verify(key))  # waits on the first one's lookup
    await asyncio.sleep(0.05)
    first.cancel()  # e.g. its client went away
    from duely_runtime.errors import ApiError
    try:
        await asyncio.wait_for(second, timeout=3)
    except ApiError as exc:
        assert exc.status == 503  # told to retry, not left hanging
    assert await verifier.verify(key) is not None  # and the next request looks it up afresh
