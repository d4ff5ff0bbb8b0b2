"""Every service's Alembic migrations, on SQLite and Postgres: one head; a fresh database migrated to it
has the schema the models describe; one step down from the head (from a merge: named, as `-1` is
ambiguous there) and back up, and all the way down and back up, work.

"The schema the models describe" is `alembic check` (autogenerate's comparison of the reflected
database with the metadata `env.py` imports), run in a fresh interpreter so that `env.py` alone has
to bring in every model: in this process other tests have imported whole services already.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from duely_runtime.migrations import alembic_config, upgrade_to_head_async

REPO = Path(__file__).resolve().parents[2]
MIGRATIONS = {d.parent.name.removeprefix("duely_"): d for d in sorted(REPO.glob("services/*/duely_*/migrations"))}
DIALECTS = ["sqlite", "postgres"]


def heads(service: str) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(MIGRATIONS[service], "sqlite://")).get_heads())


async def fresh_database(service: str, dialect: str, database_url, tmp_path: Path) -> str:
    if dialect == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/{service}.db"
    return await database_url(f"migrations_{service}")


async def applied(url: str) -> set[str]:
    """The revisions alembic_version records."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return set((await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars())
    finally:
        await engine.dispose()


async def table_names(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


async def alembic(action, service: str, url: str, target: str) -> None:
    await asyncio.to_thread(action, alembic_config(MIGRATIONS[service], url), target)


async def assert_matches_the_models(service: str, url: str) -> None:
    program = ("import sys; from pathlib import Path; from alembic import command; "
               "from duely_runtime.migrations import alembic_config; "
               "command.check(alembic_config(Path(sys.argv[1]), sys.argv[2]))")
    done = await asyncio.to_thread(subprocess.run, [sys.executable, "-c", program, str(MIGRATIONS[service]), url],
                                   capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, f"{service}: the migrated schema is not the models' schema\n{done.stderr}"


def test_every_service_with_a_database_has_migrations():
    assert set(MIGRATIONS) == {"dunning", "invoicing", "notifications", "payments", "portal"}


@pytest.mark.parametrize("service", sorted(MIGRATIONS))
def test_one_head(service):
    """Branches off one parent are merged (see invoicing's 0005_one_head): a new revision revises the head."""
    assert len(heads(service)) == 1, f"{service} has heads {sorted(heads(service))}: add a merge revision"


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("service", sorted(MIGRATIONS))
async def test_a_fresh_database_has_the_models_schema(service, dialect, database_url, tmp_path):
    url = await fresh_database(service, dialect, database_url, tmp_path)
    await upgrade_to_head_async(MIGRATIONS[service], url)
    assert await applied(url) == heads(service)
    await assert_matches_the_models(service, url)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("service", sorted(MIGRATIONS))
async def test_one_step_down_from_the_head_and_back(service, dialect, database_url, tmp_path):
    """One step down undoes the head alone, back to the revisions below it.

    Where the head is a merge (all but portal's), Alembic refuses `downgrade -1` ("Ambiguous walk": a
    relative step follows one parent, a merge has several); naming one of its parents is the step.
    """
    url = await fresh_database(service, dialect, database_url, tmp_path)
    await upgrade_to_head_async(MIGRATIONS[service], url)
    script = ScriptDirectory.from_config(alembic_config(MIGRATIONS[service], url))
    (head,) = heads(service)
    below = script.get_revision(head).down_revision
    below = below if isinstance(below, tuple) else (below,)
    if len(below) > 1:
        with pytest.raises(CommandError, match="Ambiguous walk"):
            await alembic(command.downgrade, service, url, "-1")
        assert await applied(url) == {head}
    await alembic(command.downgrade, service, url, "-1" if len(below) == 1 else below[-1])
    assert await applied(url) == set(below)
    await alembic(command.upgrade, service, url, "head")
    assert await applied(url) == {head}
    await assert_matches_the_models(service, url)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("service", sorted(MIGRATIONS))
async def test_down_to_nothing_and_up_again(service, dialect, database_url, tmp_path):
    """Every downgrade runs, 0001's (and so `drop_runtime_tables_v1`) last, and leaves no table behind."""
    url = await fresh_database(service, dialect, database_url, tmp_path)
    await upgrade_to_head_async(MIGRATIONS[service], url)
    await alembic(command.downgrade, service, url, "base")
    assert await table_names(url) == {"alembic_version"}
    assert await applied(url) == set()
    await upgrade_to_head_async(MIGRATIONS[service], url)
    await assert_matches_the_models(service, url)
