"""The cost of a charge does not grow with the number of charges stored.

Measured structurally, not by the clock: the bytes the sandbox process reads and writes (its
/proc/<pid>/io rchar + wchar: files, SQLite, sockets) while creating charges #301-350 and #1301-1350.
(The first few hundred are a warm-up: while the whole database fits in a few pages a commit writes
fewer pages; then it is flat.) localstripe rewrote its whole pickled store twice a second, so the
second batch cost several times the first.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

BATCH = 50
WARM_UP = 300
STORED_BETWEEN_BATCHES = 1000


def io_bytes(pid: int) -> int:
    fields = dict(line.split(": ") for line in Path(f"/proc/{pid}/io").read_text().splitlines())
    return int(fields["rchar"]) + int(fields["wchar"])


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs Linux /proc/<pid>/io")
def test_bytes_moved_per_charge_stay_flat_as_charges_accumulate(start_module, tmp_path):
    gateway = start_module("duely_devstack.sandbox_gateway", "--state-dir", str(tmp_path / "state"))
    pid = gateway.popen.pid
    with httpx.Client(base_url=f"http://127.0.0.1:{gateway.port}", timeout=10,
                      headers={"Authorization": "Bearer sk_test_sandbox"}) as http:
        def charge(n: int) -> None:
            response = http.post("/v1/payment_intents", headers={"Idempotency-Key": f"scale:{n}"}, data={
                "amount": 1000 + n, "currency": "usd", "payment_method": "pm_card_visa", "confirm": "true",
                "off_session": "true", "metadata[duely_invoice_id]": f"in_{n}"})
            assert response.status_code == 200, response.text

        def batch(first: int) -> int:
            before = io_bytes(pid)
            for n in range(first, first + BATCH):
                charge(n)
            return io_bytes(pid) - before

        for n in range(1, WARM_UP + 1):
            charge(n)
        early = batch(WARM_UP + 1)
        for n in range(WARM_UP + BATCH + 1, WARM_UP + STORED_BETWEEN_BATCHES + 1):
            charge(n)
        late = batch(WARM_UP + STORED_BETWEEN_BATCHES + 1)
        last = WARM_UP + STORED_BETWEEN_BATCHES + BATCH
        listed = http.get("/v1/payment_intents", params={"limit": 3}).json()
    # Loose bound: a per-object store moves about the same bytes per charge; a whole-store dump grows ~4x here.
    assert late < 1.5 * early, f"the later charges moved {late} bytes, the earlier {early}"
    # lists are newest first, paged
    assert [pi["amount"] for pi in listed["data"]] == [1000 + last, 999 + last, 998 + last] and listed["has_more"]
