"""`make bench`'s arithmetic, schedule and arguments: the figures it prints are only as true as these."""

from __future__ import annotations

import argparse
import asyncio
import json

import httpx
import pytest

import subprocess
import sys
import time

from duely_devstack import bench_cpu
from duely_devstack.bench import parse_args, replica_counts
from duely_devstack.bench_events import PlatformEvents
from duely_devstack.bench_journeys import Journey, failure, retry_later
from duely_devstack.bench_http_load import load
from duely_devstack.bench_schedule import achieved_rate, behind_schedule, due_times, open_loop_count
from duely_devstack.bench_stats import Spread, SummaryTable, drift_chunks, drift_ratios, percentile
from duely_devstack.net import free_port


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(100, 0, -1)]  # 1..100, unsorted
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile([7.0], 99) == 7.0
    # Two values: the p50 is the lower one, the p99 the higher (one slow request in two shows).
    assert (percentile([1.0, 9.0], 50), percentile([1.0, 9.0], 99)) == (1.0, 9.0)
    with pytest.raises(ValueError):
        percentile([], 50)


def test_spread_of_latencies():
    spread = Spread.of([10.0, 20.0, 30.0, 40.0])
    assert (spread.count, spread.p50, spread.p99, spread.max, spread.mean) == (4, 20.0, 40.0, 40.0, 25.0)
    assert Spread.of([]) is None
    assert spread.text() == "p50 20.0 ms  p99 40.0 ms  max 40.0 ms"


def test_open_loop_starts_are_fixed_in_advance_at_the_rate():
    due = due_times(50, 5, start=100.0)
    assert due == pytest.approx([100.0, 100.02, 100.04, 100.06, 100.08])
    assert open_loop_count(50, 20, None) == 1000
    assert open_loop_count(50, 20, 37) == 37
    with pytest.raises(ValueError):
        due_times(0, 3, 0.0)


def test_late_starts_are_counted_against_their_due_time():
    due = [0.0, 1.0, 2.0, 3.0]
    started = [0.05, 1.2, 2.0, 3.5]
    assert behind_schedule(due, started, tolerance_s=0.1) == 2
    assert behind_schedule(due, started, tolerance_s=1.0) == 0


def test_achieved_rate_spans_first_to_last_event():
    assert achieved_rate([0.0, 0.5, 1.0, 1.5, 2.0]) == 2.0
    assert achieved_rate([5.0]) == 0.0


def test_drift_compares_the_last_thousand_with_the_first():
    # 3,000 journeys, one started every 10 ms, each taking 1 s; the third thousand takes 2 s each.
    starts = [i * 0.01 for i in range(3000)]
    ends = [s + (2.0 if i >= 2000 else 1.0) for i, s in enumerate(starts)]
    chunks = drift_chunks(starts, ends)
    assert [c.journeys for c in chunks] == [1000, 1000, 1000]
    assert chunks[0].p50_ms == pytest.approx(1000)
    assert chunks[2].p50_ms == pytest.approx(2000)
    assert chunks[0].per_second == pytest.approx(1000 / (9.99 + 1.0))
    assert chunks[2].per_second == pytest.approx(1000 / (9.99 + 2.0))
    throughput, p50 = drift_ratios(chunks)
    assert throughput == pytest.approx(10.99 / 11.99)
    assert p50 == pytest.approx(2.0)
    assert drift_ratios(chunks[:1]) is None
    assert [c.journeys for c in drift_chunks(starts[:2500], ends[:2500])] == [1000, 1000, 500]


def test_drift_counts_journeys_that_never_finished_in_their_own_thousand():
    starts = [float(i) for i in range(4)]
    chunks = drift_chunks(starts, [1.0, None, None, None], size=2)
    assert [(c.journeys, c.unfinished) for c in chunks] == [(2, 1), (2, 2)]
    assert chunks[0].per_second == 1.0 and chunks[0].p50_ms == 1000
    assert chunks[1].per_second == 0.0


def test_arguments_default_to_make_bench_and_choose_runs():
    args = parse_args([])
    assert (args.journeys, args.concurrency, args.rate, args.open_count) == (600, 16, 50, 1000)
    assert args.replicas == {"payments": 2, "notifications": 2}
    assert (args.sqlite, args.postgres, args.drift, args.drift_chunk) == (False, False, 0, 1000)
    args = parse_args(["--postgres", "--rate", "10", "--count", "7", "--replicas", "none", "--drift", "10000"])
    assert (args.postgres, args.open_count, args.replicas, args.drift) == (True, 7, {}, 10000)
    assert parse_args(["--rate", "0"]).open_count == 0
    assert parse_args(["--invoices", "42"]).journeys == 42  # the old spelling still works
    with pytest.raises(SystemExit):
        parse_args(["--sqlite", "--postgres"])


def test_replica_counts_are_parsed_and_checked():
    assert replica_counts("payments=2, notifications=3") == {"payments": 2, "notifications": 3}
    assert replica_counts("none") == {}
    for bad in ("payments", "payments=0", "payments=two"):
        with pytest.raises(argparse.ArgumentTypeError):
            replica_counts(bad)


def test_summary_table_names_each_run_once_and_aligns_columns():
    table = SummaryTable()
    table.add("sqlite: closed", "throughput", "17.8 journeys/s", "≥ 100 journeys/s")
    table.add("sqlite: closed", "approve (HTTP)", "p50 12 ms")
    table.add("postgres: closed", "throughput", "20.1 journeys/s")
    lines = table.render().splitlines()
    assert lines[0].split() == ["run", "figure", "value", "target"]
    assert lines[2].startswith("sqlite: closed") and lines[3].startswith(" ")
    assert lines[4].startswith("postgres: closed")
    assert lines[2].index("throughput") == lines[3].index("approve") == lines[4].index("throughput")


async def test_the_events_endpoint_stamps_paid_webhooks_and_receipts(tmp_path):
    events = PlatformEvents(tmp_path / "mail")
    port = free_port(30000, 30999)
    await events.start(port)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for kind, invoice in (("invoice.issued", "in_1"), ("invoice.paid", "in_1"), ("invoice.paid", "in_1")):
            body = json.dumps({"type": kind, "data": {"invoice": {"id": invoice}}}).encode()
            writer.write(b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 204")
        writer.close()
        assert events.webhooks == 3 and list(events.paid) == ["in_1"]
        (tmp_path / "mail" / "new").mkdir(parents=True)
        (tmp_path / "mail" / "new" / "1700000000.M250000P1Q1.host").write_bytes(
            b"Subject: Receipt for invoice INV-0007 from Bench Co\r\n\r\nthanks")
        (tmp_path / "mail" / "new" / "1700000001.M0P1Q2.host").write_bytes(b"Subject: Invoice INV-0008\r\n\r\n")
        events.read_new_mail()
        assert list(events.receipts) == ["INV-0007"]
        wall_minus_perf = events._wall_minus_perf
        assert events.receipts["INV-0007"] + wall_minus_perf == pytest.approx(1700000000.25)
    finally:
        await events.stop()


async def test_the_load_generator_counts_answers_and_errors_at_its_rate():
    answered = []

    async def serve(reader, writer):
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                return
            ok = b"/ok" in head.split(b"\r\n")[0]
            answered.append(ok)
            body = b'{"id": 1}' if ok else b"no"
            writer.write(b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n" % (200 if ok else 404, len(body)) + body)

    port = free_port(30000, 30999)
    server = await asyncio.start_server(serve, "127.0.0.1", port)
    try:
        result = await load(f"http://127.0.0.1:{port}", ["/ok", "/ok", "/missing"], rate=200, duration_s=0.3,
                            headers=["Authorization: Bearer k"], connections=4)
    finally:
        server.close()
    assert result["requests"] == 60 and len(answered) == 60
    assert result["ok"] == 40 and result["errors"] == {"HTTP 404": 20}
    assert 0 < result["p50_ms"] <= result["p99_ms"] <= result["max_ms"]


def test_a_failed_journey_is_counted_by_the_call_that_failed_and_how():
    request = httpx.Request("POST", "http://127.0.0.1:1/v1/invoices/in_1/pay")
    refused = httpx.HTTPStatusError("500", request=request, response=httpx.Response(500, request=request))
    assert failure(refused, Journey(due=0.0, created=1.0, approved=2.0)) == "pay: HTTP 500"
    assert failure(httpx.ReadTimeout("slow", request=request), Journey(due=0.0, created=1.0)) == "approve: ReadTimeout"
    assert failure(KeyError("number"), Journey(due=0.0)) == "create: KeyError"


def test_only_an_unavailable_service_or_a_key_still_in_use_is_retried():
    def answer(status: int, body: object = None) -> httpx.Response:
        return httpx.Response(status, json=body, request=httpx.Request("POST", "http://127.0.0.1:1/v1/invoices"))

    def error(code: str) -> dict:
        return {"error": {"type": "conflict_error", "code": code, "message": "", "param": None}}

    assert retry_later(answer(503))
    assert retry_later(answer(409, error("idempotency_key_in_use")))
    assert not retry_later(answer(409, error("invoice_not_open")))  # a real conflict: retrying can't help
    assert not retry_later(answer(409, ["not the error shape"]))
    assert not retry_later(answer(400, error("idempotency_key_in_use")))
    assert not retry_later(answer(200, {"id": "in_1"}))


def test_cpu_per_journey_comes_from_each_process_own_clock():
    busy = subprocess.Popen([sys.executable, "-c", "import time\nend = time.process_time() + 0.3\n"
                             "while time.process_time() < end: pass\ntime.sleep(30)"])
    try:
        before = bench_cpu.snapshot({"busy": busy})
        assert before["busy"] >= 0
        deadline = time.monotonic() + 20
        while bench_cpu.cpu_seconds(busy.pid) < 0.3 and time.monotonic() < deadline:
            time.sleep(0.05)
        after = bench_cpu.snapshot({"busy": busy})
    finally:
        busy.kill()
        busy.wait()
    assert 0.25 <= after["busy"] <= 2.0
    assert bench_cpu.cpu_seconds(busy.pid) is None  # reaped: nothing to read
    spent = bench_cpu.per_journey_ms({"busy": 0.0, "idle": 1.0}, {"busy": after["busy"], "idle": 1.0}, 10)
    assert list(spent) == ["busy", "idle"] and spent["idle"] == 0 and spent["busy"] == after["busy"] * 100
    assert bench_cpu.describe({"invoicing": 80.4, "gateway": 2.0}) == "82 ms: invoicing 80, gateway 2"
    assert bench_cpu.per_journey_ms(before, after, 0) == {}
