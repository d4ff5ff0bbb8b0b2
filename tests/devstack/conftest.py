"""Fixtures starting devstack components as real subprocesses on free ports in 30000-30999."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator

import pytest

from duely_devstack.net import free_port

PORT_RANGE = (30000, 30999)  # reserved for these tests; other suites use other ranges


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Proc:
    """A component subprocess on a known port; stop() is safe to call twice."""

    def __init__(self, argv: list[str], port: int) -> None:
        self.port = port
        self.log = tempfile.TemporaryFile()  # a file, not a pipe: a full pipe would block the child
        self.popen = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while not _accepts(port):  # connect, not bind: binding would race the child
            if self.popen.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{argv} did not start:\n{self.output()}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


@pytest.fixture
def start_module() -> Iterator[Callable[..., Proc]]:
    """start_module("duely_devstack.x", "--flag", ..., port=None) -> Proc; all stopped at teardown."""
    procs: list[Proc] = []

    def start(module: str, *args: str, port: int | None = None) -> Proc:
        port = port or free_port(*PORT_RANGE)
        proc = Proc([sys.executable, "-m", module, "--port", str(port), *args], port)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        proc.stop()
