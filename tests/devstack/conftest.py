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


class Receiver:
    """A real HTTP server on 127.0.0.1 that records what is POSTed to it (the sandbox's webhooks).

    ``fail_first`` answers the first N requests with 500, as an endpoint that is having a bad moment.
    """

    def __init__(self, port: int, fail_first: int = 0) -> None:
        import http.server
        import threading

        self.port = port
        self.url = f"http://127.0.0.1:{port}/webhooks/stripe"
        self.received: list[tuple[bytes, dict[str, str]]] = []  # every request, failed ones too
        self.fail_first = fail_first
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.received.append((body, dict(self.headers)))
                    failing = len(receiver.received) <= receiver.fail_first
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):  # quiet
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self, secret: str, *, delivered_only: bool = True) -> list:
        """The events received, each verified with stripe.Webhook.construct_event (raises on a bad signature)."""
        import stripe

        with self.lock:
            received = list(self.received)
        if delivered_only:
            received = received[self.fail_first:]
        return [stripe.Webhook.construct_event(body.decode(), headers["Stripe-Signature"], secret)
                for body, headers in received]

    def wait_for(self, secret: str, predicate, timeout: float = 15.0) -> list:
        deadline = time.monotonic() + timeout
        while True:
            events = self.events(secret)
            if predicate(events):
                return events
            if time.monotonic() > deadline:
                raise AssertionError(f"not received in {timeout}s; got {[e.type for e in events]}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Callable[..., Receiver]]:
    """receiver(fail_first=0, port=None) -> Receiver on 127.0.0.1; all stopped at teardown."""
    started: list[Receiver] = []

    def start(fail_first: int = 0, port: int | None = None) -> Receiver:
        rec = Receiver(port or free_port(*PORT_RANGE), fail_first)
        started.append(rec)
        return rec

    yield start
    for rec in started:
        rec.stop()
