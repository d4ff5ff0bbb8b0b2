"""The runtime's data kit on real databases: SQLite (a file, as the embedded setup runs) and Postgres.

Conflict-aware writes, keyset pages and the typed request dependencies (the transaction that commits
before the response, the verified caller) are what every service builds on.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Integer, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from duely_runtime import http
from duely_runtime.auth import KeyVerifier, Principal, hash_key
from duely_runtime.db import Database
from duely_runtime.errors import ApiError, conflict, not_found
from duely_runtime.kit.clock import utcnow
from duely_runtime.kit.deps import Caller, DbSession
from duely_runtime.kit.ids import new_id
from duely_runtime.kit.pagination import Cursor, decode_cursor, encode_cursor, keyset_page, start_position
from duely_runtime.kit.writes import insert_ignore, upsert_newer
from duely_runtime.utc_datetime import UtcDateTime


class Base(DeclarativeBase):
    pass


class Thing(Base):
    __tablename__ = "things"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


THINGS = Thing.__table__
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request, tmp_path, database_url):
    url = f"sqlite:///{tmp_path}/kit.db" if request.param == "sqlite" else await database_url("kit")
    database = Database(url)
    async with database.engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    yield database
    await database.dispose()


def thing(thing_id: str, *, owner: str = "org_a", name: str = "first", version: int = 1,
          created_at: datetime = T0) -> dict:
    return {"id": thing_id, "owner": owner, "name": name, "version": version, "created_at": created_at}


async def stored(db: Database, thing_id: str) -> Thing | None:
    async with db.transaction() as session:
        return await session.get(Thing, thing_id)


# -- ids and clock ----------------------------------------------------------------------

def test_new_ids_carry_their_prefix_and_sort_by_creation_time():
    first = new_id("pay")
    later = [new_id("pay") for _ in range(50)]
    assert first.startswith("pay_") and len(first) == len("pay_") + 32
    assert len(set(later)) == 50
    assert all(first[:16] <= other[:16] for other in later)  # the millisecond part never goes back


def test_utcnow_is_aware_utc():
    now = utcnow()
    assert now.utcoffset() == timedelta(0)
    assert abs(now - datetime.now(timezone.utc)) < timedelta(seconds=5)


# -- conflict-aware writes --------------------------------------------------------------

async def test_insert_ignore_writes_once_and_keeps_the_first_row(db):
    async with db.transaction() as session:
        assert await insert_ignore(session, THINGS, thing("thg_1", name="first")) is True
    async with db.transaction() as session:
        assert await insert_ignore(session, THINGS, thing("thg_1", name="second")) is False
    assert (await stored(db, "thg_1")).name == "first"


async def test_upsert_newer_lets_only_a_newer_version_overwrite(db):
    async with db.transaction() as session:
        assert await upsert_newer(session, THINGS, thing("thg_1", name="v2", version=2)) is True
    async with db.transaction() as session:
        assert await upsert_newer(session, THINGS, thing("thg_1", name="v3", version=3)) is True
    assert ((await stored(db, "thg_1")).name, (await stored(db, "thg_1")).version) == ("v3", 3)

    async with db.transaction() as session:  # repeated: nothing changes
        assert await upsert_newer(session, THINGS, thing("thg_1", name="v3 again", version=3)) is False
    async with db.transaction() as session:  # stale: nothing changes
        assert await upsert_newer(session, THINGS, thing("thg_1", name="v1", version=1)) is False
    row = await stored(db, "thg_1")
    assert (row.name, row.version) == ("v3", 3)


async def test_upsert_newer_never_overwrites_the_kept_columns(db):
    async with db.transaction() as session:
        await upsert_newer(session, THINGS, thing("thg_1", owner="org_a", version=1), keep=("owner",))
    async with db.transaction() as session:
        assert await upsert_newer(session, THINGS, thing("thg_1", owner="org_b", name="v2", version=2),
                                  keep=("owner",)) is True
    row = await stored(db, "thg_1")
    assert (row.owner, row.name, row.version) == ("org_a", "v2", 2)
    async with db.transaction() as session:  # without `keep` the same write does overwrite it
        await upsert_newer(session, THINGS, thing("thg_1", owner="org_b", name="v3", version=3))
    assert (await stored(db, "thg_1")).owner == "org_b"


# -- keyset pages -----------------------------------------------------------------------

async def seed_page_rows(db: Database) -> list[str]:
    """Seven rows of org_a (three sharing one created_at) and two of org_b; org_a's ids, newest first."""
    rows = [thing(f"thg_{i}", created_at=T0 + timedelta(minutes=i)) for i in range(4)]
    rows += [thing(f"thg_same_{letter}", created_at=T0 + timedelta(minutes=10)) for letter in "abc"]
    rows += [thing(f"thg_other_{i}", owner="org_b", created_at=T0 + timedelta(minutes=5 + i)) for i in range(2)]
    async with db.transaction() as session:
        for row in rows:
            await insert_ignore(session, THINGS, row)
    return ["thg_same_c", "thg_same_b", "thg_same_a", "thg_3", "thg_2", "thg_1", "thg_0"]


async def page_of(db: Database, limit: int, *, cursor: str | None = None, starting_after: str | None = None):
    async with db.transaction() as session:
        scope = Thing.owner == "org_a"
        after = await start_position(session, Thing, scope, cursor=cursor, starting_after=starting_after)
        return await keyset_page(session, select(Thing).where(scope), Thing, limit=limit, after=after)


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 8])
async def test_keyset_pages_walk_every_row_exactly_once_by_cursor(db, limit):
    expected = await seed_page_rows(db)
    seen, cursor, pages = [], None, 0
    while True:
        page = await page_of(db, limit, cursor=cursor)
        pages += 1
        assert pages <= len(expected), "the pages never end"
        seen += [row.id for row in page.rows]
        assert len(page.rows) <= limit
        if not page.has_more:
            assert page.next_cursor is None
            break
        assert len(page.rows) == limit and page.next_cursor is not None
        cursor = page.next_cursor
    assert seen == expected  # newest first, ties broken by id, none twice, none missed, no other tenant's
    assert pages == -(-len(expected) // limit)  # a full last page already says there is no more


async def test_keyset_pages_walk_the_same_way_by_starting_after(db):
    expected = await seed_page_rows(db)
    seen, last = [], None
    while True:
        page = await page_of(db, 2, starting_after=last)
        seen += [row.id for row in page.rows]
        assert len(seen) <= len(expected), "the pages never end"
        if not page.has_more:
            break
        last = page.rows[-1].id
    assert seen == expected


async def test_a_full_last_page_says_there_is_no_more(db):
    expected = await seed_page_rows(db)
    page = await page_of(db, len(expected))
    assert [row.id for row in page.rows] == expected
    assert (page.has_more, page.next_cursor) == (False, None)


async def test_start_position_reads_a_cursor_and_a_starting_row(db):
    await seed_page_rows(db)
    moment = T0 + timedelta(minutes=10)
    async with db.transaction() as session:
        scope = Thing.owner == "org_a"
        assert await start_position(session, Thing, scope) is None
        assert await start_position(session, Thing, scope, cursor=encode_cursor(moment, "thg_x")) == \
            Cursor(moment, "thg_x")
        assert await start_position(session, Thing, scope, starting_after="thg_same_b") == \
            Cursor(moment, "thg_same_b")


async def test_a_starting_row_outside_the_scope_is_no_such_object(db):
    await seed_page_rows(db)
    async with db.transaction() as session:
        scope = Thing.owner == "org_a"
        for unknown in ("thg_other_0", "thg_missing"):  # another tenant's row, and no row at all
            with pytest.raises(ApiError) as refused:
                await start_position(session, Thing, scope, starting_after=unknown)
            assert (refused.value.status, refused.value.code, refused.value.param) == \
                (400, "resource_missing", "starting_after")
        own_error = not_found("thing", "thg_other_0", param="starting_after")
        with pytest.raises(ApiError) as refused:
            await start_position(session, Thing, scope, starting_after="thg_other_0", missing=own_error)
        assert refused.value is own_error


async def test_cursor_and_starting_after_together_are_refused(db):
    async with db.transaction() as session:
        with pytest.raises(ApiError) as refused:
            await start_position(session, Thing, Thing.owner == "org_a", cursor=encode_cursor(T0, "thg_1"),
                                 starting_after="thg_1")
    assert (refused.value.status, refused.value.param) == (400, "cursor")


def b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize("bad", ["not a cursor", "%%%", b64("no separator"), b64("yesterday|thg_1"),
                                 b64("2026-01-01T12:00:00|thg_1"),  # a time without its zone
                                 b64("2026-01-01T12:00:00+00:00|"), "gICA"])  # no id; not UTF-8
def test_a_cursor_this_api_did_not_hand_out_is_a_400_naming_the_param(bad):
    with pytest.raises(ApiError) as refused:
        decode_cursor(bad)
    assert (refused.value.status, refused.value.code, refused.value.param) == (400, "parameter_invalid", "cursor")
    with pytest.raises(ApiError) as refused:
        decode_cursor(bad, param="page")
    assert refused.value.param == "page"


def test_a_cursor_reads_back_what_it_was_given():
    moment = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=timezone(timedelta(hours=2)))
    assert decode_cursor(encode_cursor(moment, "thg_1|x")) == Cursor(moment, "thg_1|x")


# -- typed request dependencies ---------------------------------------------------------

VALID_KEY = "sk_test_kit_key"


def kit_app(db: Database, steps: list[str]) -> FastAPI:
    """A bare FastAPI app with what DbSession and Caller read: `app.state.runtime.db` and `.authenticate`."""
    async def lookup(key_hash: str) -> Principal | None:
        return Principal("org_kit", "key_kit") if key_hash == hash_key(VALID_KEY) else None

    app = FastAPI()
    app.state.runtime = SimpleNamespace(db=db, authenticate=KeyVerifier(lookup))
    http.install_error_handlers(app)

    @app.post("/things/{thing_id}", status_code=201)
    async def create_thing(thing_id: str, caller: Caller, session: DbSession, fail: bool = False):
        session.info.setdefault("after_commit", []).append(lambda: steps.append("committed"))
        await insert_ignore(session, THINGS, thing(thing_id, owner=caller.organization_id))
        if fail:
            raise conflict("thing_refused", "Refused after the write.")
        return {"id": thing_id, "owner": caller.organization_id}

    @app.get("/whoami")
    async def whoami(caller: Caller):
        return {"organization_id": caller.organization_id, "api_key_id": caller.api_key_id}

    return app


def client_of(app: FastAPI, steps: list[str]) -> httpx.AsyncClient:
    """A client of the app that notes in `steps` the moment the response starts leaving."""
    async def noting_responses(scope, receive, send):
        async def send_and_note(message):
            if message["type"] == "http.response.start":
                steps.append("response")
            await send(message)
        await app(scope, receive, send_and_note)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=noting_responses), base_url="http://kit")


async def test_db_session_commits_before_the_response_is_sent(db):
    steps: list[str] = []
    async with client_of(kit_app(db, steps), steps) as client:
        response = await client.post("/things/thg_1", headers={"Authorization": f"Bearer {VALID_KEY}"})
    assert response.status_code == 201
    assert steps == ["committed", "response"]
    row = await stored(db, "thg_1")
    assert row is not None and row.owner == "org_kit"


async def test_db_session_rolls_back_when_the_handler_raises(db):
    steps: list[str] = []
    async with client_of(kit_app(db, steps), steps) as client:
        response = await client.post("/things/thg_1", params={"fail": "true"},
                                     headers={"Authorization": f"Bearer {VALID_KEY}"})
    assert response.status_code == 409 and response.json()["error"]["code"] == "thing_refused"
    assert steps == ["response"]
    assert await stored(db, "thg_1") is None


async def test_caller_is_the_verified_key_and_401_without_one(db):
    steps: list[str] = []
    async with client_of(kit_app(db, steps), steps) as client:
        missing = await client.get("/whoami")
        wrong = await client.get("/whoami", headers={"Authorization": "Bearer sk_test_not_ours"})
        right = await client.get("/whoami", headers={"Authorization": f"Bearer {VALID_KEY}"})
        unwritten = await client.post("/things/thg_1")
    assert (missing.status_code, missing.json()["error"]["code"]) == (401, "api_key_missing")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "api_key_invalid")
    assert right.status_code == 200 and right.json() == {"organization_id": "org_kit", "api_key_id": "key_kit"}
    assert unwritten.status_code == 401 and await stored(db, "thg_1") is None
