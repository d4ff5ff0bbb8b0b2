"""Shared fixtures: the real broker, fresh Postgres databases, services served on free ports.

Everything here talks to real parts: tansu (Kafka protocol), Postgres on
127.0.0.1:5432 through asyncpg, uvicorn on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from typing import AsyncIterator, Awaitable, Callable

import asyncpg
import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from duely_contracts import Envelope
from duely_contracts.registry import all_topics
from duely_devstack.broker import broker_command
from duely_devstack.net import free_port, wait_for_port_sync
from duely_runtime.auth import INTERNAL_HEADER
from duely_runtime.consumers import PARTITIONS, ensure_topics
from duely_runtime.config import EMBEDDED_SECRET

PG_ADMIN_DSN = os.environ.get("DUELY_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
INTERNAL_SECRET = EMBEDDED_SECRET


# -- broker -------------------------------------------------------------------------

@pytest.fixture(scope="session")
def broker() -> str:
    """A real tansu broker for the whole run; returns its bootstrap address."""
    port = free_port(25000, 25999)
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(broker_command(port), stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port_sync("127.0.0.1", port, timeout=20)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
async def publish(broker) -> AsyncIterator[Callable[[Envelope], Awaitable[None]]]:
    producer = AIOKafkaProducer(bootstrap_servers=broker, acks="all")
    await producer.start()

    async def send(envelope: Envelope) -> None:
        await producer.send_and_wait(envelope.type, envelope.to_bytes(), key=envelope.aggregate_id.encode())
    yield send
    await producer.stop()


@pytest.fixture(scope="session")
def read_events(broker):
    """read_events(topic, timeout=3) → every Envelope on the topic so far (group-less, from the start)."""
    async def read(topic: str, timeout: float = 3.0, quiet_s: float = 1.0) -> list[Envelope]:
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=broker, group_id=None,
                                    auto_offset_reset="earliest", enable_auto_commit=False)
        await consumer.start()
        found: list[Envelope] = []
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            last_new = loop.time()
            while loop.time() < deadline:
                if found and loop.time() - last_new > quiet_s:
                    break  # nothing new for a while: we have read what is there
                batch = await consumer.getmany(timeout_ms=200)
                for messages in batch.values():
                    for m in messages:
                        found.append(Envelope.from_bytes(m.value))
                        last_new = loop.time()
        finally:
            await consumer.stop()
        return found
    return read


# -- databases ------------------------------------------------------------------------

@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[Callable[[str], Awaitable[str]]]:
    """await database_url("payments") → the asyncpg URL of a fresh Postgres database."""
    created: list[str] = []

    async def create(name: str) -> str:
        db = f"duely_t_{name}_{uuid.uuid4().hex[:8]}"
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await conn.execute(f'CREATE DATABASE "{db}"')
        finally:
            await conn.close()
        created.append(db)
        base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        return f"{base}/{db}"

    yield create
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        for db in created:
            await conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    finally:
        await conn.close()


# -- serving apps -------------------------------------------------------------------

@pytest.fixture(scope="session")
def serve():
    """async with serve(app) as base_url: the app runs with its lifespan under uvicorn."""
    @contextlib.asynccontextmanager
    async def run(app, port: int | None = None) -> AsyncIterator[str]:
        port = port or free_port(26000, 26999)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on",
                                               log_config=None, access_log=False))
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("server exited during start")
            await asyncio.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            await asyncio.wait_for(task, 30)
    return run


@pytest.fixture(scope="session")
def settings_env(broker, tmp_path_factory):
    """settings_env(SettingsCls, database_url, **overrides) → settings pointed at the test broker."""
    def build(settings_cls, database_url: str, **overrides):
        values = dict(database_url=database_url, kafka_bootstrap_servers=broker,
                      var_dir=str(tmp_path_factory.mktemp("var")), consumer_retry_backoff_s=0.05)
        values.update(overrides)
        return settings_cls(**values)
    return build


async def start_consumer_group_at_end(bootstrap: str, service_name: str) -> None:
    """Commit a new service's consumer group at the topics' current ends, before the service starts.

    A new group starts at the earliest offset (in production that is what loses nothing), so a test
    service would first work through every event the session has published so far: hundreds of
    invoices, each an email to render. Its tests only need what is published from now on.
    """
    topics = all_topics()
    await ensure_topics(bootstrap, topics)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=f"duely-{service_name}",
                                enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for topic in topics for p in range(PARTITIONS)]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        published = {tp: offset for tp, offset in ends.items() if offset > 0}
        if published:  # nothing published yet: earliest is already "from now on"
            await consumer.commit(published)
    finally:
        await consumer.stop()


async def wait_for(predicate: Callable[[], Awaitable[object]], timeout: float = 20.0, interval: float = 0.1):
    """Poll an async predicate until it returns something truthy; return that value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


@pytest.fixture(name="wait_for", scope="session")
def wait_for_fixture():
    return wait_for


# -- a running invoicing service (the owner of organizations and API keys) ------------

@dataclass
class RunningInvoicing:
    url: str

    async def create_org(self, name: str = "Acme Test") -> tuple[str, str]:
        async with httpx.AsyncClient(base_url=self.url) as client:
            response = await client.post("/internal/organizations", json={"name": name},
                                         headers={INTERNAL_HEADER: INTERNAL_SECRET})
            response.raise_for_status()
            body = response.json()
        return body["organization"]["id"], body["api_key"]


@pytest.fixture(scope="session")
async def invoicing(serve, settings_env, database_url) -> AsyncIterator[RunningInvoicing]:
    from duely_invoicing.main import build
    from duely_invoicing.config import Settings
    settings = settings_env(Settings, await database_url("invoicing"))
    async with serve(build(settings)) as url:
        yield RunningInvoicing(url)
