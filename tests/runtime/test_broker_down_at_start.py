"""A service whose broker is down at start serves HTTP, reports not ready, and connects when it comes up."""

from __future__ import annotations

import subprocess
import tempfile

import httpx

from duely_devstack.broker import broker_command
from duely_devstack.net import free_port, wait_for_port_sync
from tests.runtime.test_ops import dunning


async def test_the_api_serves_while_the_broker_is_down_and_consumers_start_when_it_is_up(
        database_url, serve, wait_for):
    port = free_port(25000, 25999)
    app = await dunning(database_url, f"127.0.0.1:{port}")  # nothing listens there yet
    broker = None
    try:
        async with serve(app) as url:
            async with httpx.AsyncClient(base_url=url) as client:
                assert (await client.get("/healthz")).status_code == 200
                ready = await client.get("/readyz")
                assert ready.status_code == 503 and ready.json()["checks"]["consumers"] is False
                assert (await client.get("/v1/test_clocks/current")).status_code == 401  # the API answers

                broker = subprocess.Popen(broker_command(port), stdout=tempfile.TemporaryFile(),
                                          stderr=subprocess.STDOUT)
                wait_for_port_sync("127.0.0.1", port, timeout=20)

                async def ready_now():
                    return (await client.get("/readyz")).status_code == 200
                await wait_for(ready_now, timeout=60)
    finally:
        if broker is not None:
            broker.terminate()
            broker.wait(timeout=10)
