"""API keys: create another, list, revoke (rolling a key), refused everywhere within a second; shown-once
secrets never stored for an Idempotency-Key replay."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from duely_runtime.auth import INTERNAL_HEADER


async def test_roll_a_key_create_switch_revoke(svc, org):
    _, old_key = org
    async with svc.client(old_key) as client:
        created = await client.post("/v1/api_keys", headers={"Idempotency-Key": "roll-1"})
        assert created.status_code == 201, created.text
        new = created.json()
        assert new["object"] == "api_key" and new["key"].startswith("sk_test_") and new["prefix"] == new["key"][:12]

        listed = (await client.get("/v1/api_keys")).json()["data"]
        assert {k["id"] for k in listed} >= {new["id"]} and all("key" not in k for k in listed)
        old_id = next(k["id"] for k in listed if k["id"] != new["id"])

    async with svc.client(new["key"]) as client:
        revoked = await client.delete(f"/v1/api_keys/{old_id}")
        assert revoked.status_code == 200 and revoked.json()["revoked_at"]
        await asyncio.sleep(1.2)  # the verification cache holds an answer for one second at most
        assert (await client.get("/v1/customers")).status_code == 200

    async with svc.client(old_key) as client:
        refused = await client.get("/v1/customers")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "api_key_invalid"


async def test_the_last_active_key_cannot_be_revoked(svc, org):
    _, key = org
    async with svc.client(key) as client:
        (only,) = (await client.get("/v1/api_keys")).json()["data"]
        response = await client.delete(f"/v1/api_keys/{only['id']}")
        assert response.status_code == 409 and response.json()["error"]["code"] == "last_api_key"
        assert (await client.get("/v1/customers")).status_code == 200
        missing = await client.delete("/v1/api_keys/key_nope")
        assert missing.status_code == 404 and missing.json()["error"]["param"] == "id"


async def test_another_organizations_key_cannot_be_revoked(svc, org):
    _, key = org
    _, other_key = await svc.create_org("Other Org")
    async with svc.client(other_key) as other:
        other_id = (await other.get("/v1/api_keys")).json()["data"][0]["id"]
        await other.post("/v1/api_keys")  # so it is not the last one
    async with svc.client(key) as client:
        assert (await client.delete(f"/v1/api_keys/{other_id}")).status_code == 404
    async with svc.client(other_key) as other:
        assert (await other.get("/v1/customers")).status_code == 200


async def test_a_replayed_key_creation_returns_the_object_without_the_secret(svc, org):
    _, key = org
    async with svc.client(key) as client:
        headers = {"Idempotency-Key": "create-key-once"}
        first = await client.post("/v1/api_keys", headers=headers)
        again = await client.post("/v1/api_keys", headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"] and "key" not in again.json()
    async with svc.runtime.db.transaction() as session:
        stored = (await session.execute(select(svc.runtime.tables.idempotency_keys.c.response_body))).scalars().all()
    assert not any(first.json()["key"] in body for body in stored if body), "a shown-once secret is never stored"


async def test_an_organizations_first_key_is_not_stored_for_a_replay(svc):
    async with svc.client() as client:
        headers = {INTERNAL_HEADER: svc.settings.internal_secret, "Idempotency-Key": "org-once"}
        first = await client.post("/internal/organizations", json={"name": "Once Co"}, headers=headers)
        again = await client.post("/internal/organizations", json={"name": "Once Co"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["organization"] == first.json()["organization"] and "api_key" not in again.json()
    async with svc.runtime.db.transaction() as session:
        stored = (await session.execute(select(svc.runtime.tables.idempotency_keys.c.response_body))).scalars().all()
    assert not any(first.json()["api_key"] in body for body in stored if body)


async def test_unauthenticated_posts_with_idempotency_keys_write_nothing(svc):
    table = svc.runtime.tables.idempotency_keys
    before = await svc.count(table)
    async with svc.client() as client:
        for i in range(20):
            response = await client.post("/v1/customers", json={"name": "x", "email": "x@example.com"},
                                         headers={"Idempotency-Key": f"anon-{i}",
                                                  "Authorization": f"Bearer sk_test_random_{i}"})
            assert response.status_code == 401
        no_header = await client.post("/v1/customers", json={}, headers={"Idempotency-Key": "anon-x"})
        assert no_header.status_code == 401
    assert await svc.count(table) == before
