"""Open-loop GETs at a fixed rate on loopback, for `make bench`'s read-latency figure.

    python -m duely_devstack.bench_http_load --url http://127.0.0.1:18000 --paths-file F \
        --rate 500 --duration 10 [--header "Authorization: Bearer ..."] [--connections 64]

Request i is due at start + i / rate whatever happened to the earlier ones; its latency runs from
that due time to the last byte of the answer, so a queue in the server (or a shortage of free
connections here) shows in the figures. Keep-alive HTTP/1.1 over raw asyncio streams: a few
tens of microseconds of CPU per request, so the generator does not take the machine from the
services it measures (Debian has no vegeta, and wrk keeps a closed loop). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from urllib.parse import urlsplit

from duely_devstack.bench_schedule import achieved_rate, behind_schedule, due_times, sleep_until
from duely_devstack.bench_stats import Spread


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def get(self, request: bytes) -> tuple[int, bool]:
        """Send one request and read its whole answer: (status, whether the server keeps the connection)."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, chunked, keep = 0, False, True
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value:
                chunked = True
            elif name == b"connection" and value == b"close":
                keep = False
        if chunked:
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        elif length:
            await self.reader.readexactly(length)
        return status, keep

    def close(self) -> None:
        self.writer.close()


async def load(url: str, paths: list[str], rate: float, duration_s: float, headers: list[str],
               connections: int = 64, grace_s: float = 10.0) -> dict:
    """Fire GETs of `paths` (round robin) at `rate` for `duration_s`; the figures as a dict."""
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or 80
    extra = "".join(f"{h}\r\n" for h in headers)
    requests = [f"GET {p} HTTP/1.1\r\nHost: {parts.netloc}\r\n{extra}\r\n".encode() for p in paths]
    idle: list[Connection] = [Connection(*await asyncio.open_connection(host, port)) for _ in range(min(8, connections))]
    slots = asyncio.Semaphore(connections)  # at most this many in flight; the rest wait, late
    count = max(1, round(rate * duration_s))
    latencies: list[float] = []
    sent: list[float] = [0.0] * count
    errors: Counter[str] = Counter()

    async def one(i: int, due: float) -> None:
        async with slots:
            conn = idle.pop() if idle else None
            sent[i] = time.perf_counter()
            try:
                if conn is None:
                    conn = Connection(*await asyncio.open_connection(host, port))
                status, keep = await conn.get(requests[i % len(requests)])
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
                errors[type(exc).__name__] += 1
                if conn is not None:
                    conn.close()
                return
            if status == 200:
                latencies.append((time.perf_counter() - due) * 1000)
            else:
                errors[f"HTTP {status}"] += 1
            if keep:
                idle.append(conn)
            else:
                conn.close()

    due = due_times(rate, count, time.perf_counter() + 0.2)
    tasks = []
    for i, when in enumerate(due):
        await sleep_until(when)
        tasks.append(asyncio.create_task(one(i, when)))
    done, pending = await asyncio.wait(tasks, timeout=grace_s)
    for task in pending:
        task.cancel()
    errors["unanswered after the run"] += len(pending)
    for conn in idle:
        conn.close()
    spread = Spread.of(latencies)
    started = [s for s in sent if s]
    due_of_started = [d for d, s in zip(due, sent) if s]
    return {"requests": count, "ok": len(latencies), "errors": dict(+errors),
            "offered_per_s": rate, "sent_per_s": round(achieved_rate(started), 1),
            "late_starts": behind_schedule(due_of_started, started, 0.010),
            "p50_ms": spread.p50 if spread else None, "p99_ms": spread.p99 if spread else None,
            "max_ms": spread.max if spread else None}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--paths-file", required=True, help="one request target a line, used round robin")
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--header", action="append", default=[])
    args = parser.parse_args(argv)
    with open(args.paths_file) as f:
        paths = [line.strip() for line in f if line.strip()]
    result = asyncio.run(load(args.url, paths, args.rate, args.duration, args.header, args.connections))
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
