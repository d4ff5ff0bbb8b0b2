"""The `duely` CLI migrates the configured database and creates organizations and keys."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from duely_runtime.auth import hash_key
from duely_runtime.db import Database
from duely_invoicing.models import RUNTIME_TABLES, ApiKey
from duely_invoicing.organizations import repository as organizations_repository
from duely_invoicing.users import sign_in

DUELY = str(Path(sys.executable).parent / "duely")


def duely(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([DUELY, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=120)


async def _principal(url: str, api_key: str):
    db = Database(url)
    try:
        async with db.transaction() as session:
            principal = await organizations_repository.find_principal(session, hash_key(api_key))
            keys = (await session.scalars(select(ApiKey))).all()
            outbox = (await session.execute(select(RUNTIME_TABLES.outbox.c.topic))).scalars().all()
        return principal, keys, outbox
    finally:
        await db.dispose()


async def _sign_in(url: str, email: str, password: str):
    db = Database(url)
    try:
        async with db.transaction() as session:
            rules = sign_in.SessionRules(idle=timedelta(hours=1), max_age=timedelta(days=1))
            started = await sign_in.sign_in(session, email, password, "127.0.0.1", rules)
            return started.user if started else None
    finally:
        await db.dispose()


async def test_org_create_list_and_key_create_on_postgres(database_url):
    url = await database_url("invoicing_cli")
    env = {"DUELY_INVOICING_DATABASE_URL": url}
    created = duely("org", "create", "--name", "Acme Corp", env=env)
    assert created.returncode == 0, created.stderr
    body = json.loads(created.stdout)
    assert set(body) == {"organization_id", "name", "api_key", "owner"}
    assert body["name"] == "Acme Corp" and body["organization_id"].startswith("org_")
    # The owner user, with a generated password shown once: it signs in to the dashboard as the owner.
    owner = body["owner"]
    assert owner["email"] == "owner@acme-corp.example" and len(owner["password"]) >= 10
    assert owner["dashboard_url"] == "http://127.0.0.1:8000/dashboard"
    user = await _sign_in(url, owner["email"], owner["password"])
    assert (user.organization_id, user.role, user.status) == (body["organization_id"], "owner", "active")
    assert user.password_hash.startswith("$argon2id$") and owner["password"] not in user.password_hash
    assert await _sign_in(url, owner["email"], owner["password"] + "x") is None
    assert body["api_key"].startswith("sk_test_"), "a test-mode organization's keys say so"

    principal, keys, outbox = await _principal(url, body["api_key"])
    assert principal.organization_id == body["organization_id"]
    assert [k.prefix for k in keys] == [body["api_key"][:12]]
    assert all(k.key_hash != body["api_key"] for k in keys)  # stored hashed, never in plain text
    assert outbox == ["organization.created"]  # the running service's relay publishes it

    listed = json.loads(duely("org", "list", env=env).stdout)
    assert [o["organization_id"] for o in listed] == [body["organization_id"]]
    assert "api_key" not in listed[0]

    key = duely("key", "create", "--org", body["organization_id"], env=env)
    assert key.returncode == 0, key.stderr
    second = json.loads(key.stdout)
    assert second["api_key"] != body["api_key"]
    principal, keys, _ = await _principal(url, second["api_key"])
    assert principal.organization_id == body["organization_id"] and len(keys) == 2

    live = json.loads(duely("org", "create", "--name", "Live Co", "--live", "--owner-email", "Boss@Live.Example",
                            env=env).stdout)
    assert live["api_key"].startswith("sk_live_")
    assert live["owner"]["email"] == "boss@live.example"
    assert (await _sign_in(url, "boss@live.example", live["owner"]["password"])).organization_id == \
        live["organization_id"]


@pytest.mark.parametrize("args", [("key", "create", "--org", "org_missing"), ("org", "create", "--name", " "),
                                  ("org", "create", "--name", "X", "--owner-email", "not-an-email")])
def test_cli_errors_exit_non_zero(tmp_path, args):
    result = duely(*args, env={"DUELY_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert not result.stdout.strip()


def test_org_create_on_the_embedded_sqlite_default(tmp_path):
    result = duely("org", "create", "--name", "Local", env={"DUELY_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["name"] == "Local"
    assert (tmp_path / "invoicing.db").exists()
