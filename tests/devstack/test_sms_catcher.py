"""The SMS catcher speaks Twilio's Messages API (notifications' Twilio driver talks to it unchanged) and
stores each SMS as a JSON file, once per Idempotency-Key, across restarts."""

from __future__ import annotations

import json

import httpx

from duely_notifications.sms.driver import TwilioDriver

SID = "ACtest00000000000000000000000000"


def _driver(port: int, **overrides) -> TwilioDriver:
    settings = {"from_number": "+15005550006", "base_url": f"http://127.0.0.1:{port}", **overrides}
    return TwilioDriver(SID, "token", **settings)


async def test_the_twilio_driver_sends_through_it_and_a_file_per_sms_lands(start_module, tmp_path):
    directory = tmp_path / "var" / "sms"
    catcher = start_module("duely_devstack.sms_catcher", "--dir", str(directory))
    driver = _driver(catcher.port)

    sent = await driver.send("+14155550123", "Acme: invoice INV-1 for €10.00 is due. Pay: https://p.example/1",
                             idempotency_key="invoice_reminder:tmr_1:sms")
    assert sent.accepted and sent.status == "queued" and sent.provider_id.startswith("SM")
    assert sent.raw["num_segments"] == "1" and sent.raw["to"] == "+14155550123" and sent.raw["error_code"] is None
    again = await driver.send("+14155550123", "Acme: invoice INV-1 for €10.00 is due. Pay: https://p.example/1",
                              idempotency_key="invoice_reminder:tmr_1:sms")
    assert again.provider_id == sent.provider_id  # a resend after a crash: answered as the first, stored once
    long = await driver.send("+14155550123", "ü" * 161, idempotency_key="invoice_reminder:tmr_2:sms")
    assert long.raw["num_segments"] == "2"
    by_service = await _driver(catcher.port, from_number=None, messaging_service_sid="MG1").send("+14155550124", "Hi")
    assert by_service.accepted and by_service.raw["messaging_service_sid"] == "MG1" and by_service.raw["from"] is None

    files = sorted(directory.glob("*.json"))
    assert len(files) == 3
    first = json.loads(files[0].read_text())
    assert {key: first[key] for key in ("to", "from", "body", "segments", "encoding", "sid")} == {
        "to": "+14155550123", "from": "+15005550006", "segments": 1, "encoding": "GSM-7", "sid": sent.provider_id,
        "body": "Acme: invoice INV-1 for €10.00 is due. Pay: https://p.example/1"}
    assert first["received_at"].endswith("+00:00")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{catcher.port}") as client:
        listed = (await client.get("/messages")).json()["messages"]
        assert [m["sid"] for m in listed] == [json.loads(f.read_text())["sid"] for f in files]
        assert len((await client.get("/messages", params={"to": "+14155550124"})).json()["messages"]) == 1
        one = await client.get(f"/2010-04-01/Accounts/{SID}/Messages/{sent.provider_id}.json", auth=(SID, "token"))
        assert one.status_code == 200 and one.json()["body"] == first["body"]

    # Restarted on the same directory: the key is still known, nothing is stored twice.
    catcher.stop()
    catcher = start_module("duely_devstack.sms_catcher", "--dir", str(directory))
    replay = await _driver(catcher.port).send("+14155550123", "whatever", idempotency_key="invoice_reminder:tmr_1:sms")
    assert replay.provider_id == sent.provider_id and len(list(directory.glob("*.json"))) == 3


async def test_twilios_errors_in_twilios_shape(start_module, tmp_path):
    directory = tmp_path / "sms"
    catcher = start_module("duely_devstack.sms_catcher", "--dir", str(directory))
    driver = _driver(catcher.port)

    invalid = await driver.send("+15005550001", "Hi", idempotency_key="k1")  # Twilio's magic invalid number
    assert not invalid.accepted and not invalid.retryable
    assert invalid.raw == {"code": 21211, "message": "The 'To' number +15005550001 is not a valid phone number.",
                           "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}
    assert (await driver.send("+15005550004", "Hi")).raw["code"] == 21610  # unsubscribed
    assert (await driver.send("0041 79 123", "Hi")).raw["code"] == 21211   # not E.164
    flaky = await driver.send("+15005550500", "Hi", idempotency_key="k2")  # a 500 the first time...
    assert not flaky.accepted and flaky.retryable and flaky.raw["code"] == 20500
    assert (await driver.send("+15005550500", "Hi", idempotency_key="k2")).accepted  # ...then taken

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{catcher.port}") as client:
        url = f"/2010-04-01/Accounts/{SID}/Messages.json"
        anonymous = await client.post(url, data={"To": "+14155550123", "From": "+15005550006", "Body": "Hi"})
        assert (anonymous.status_code, anonymous.json()["code"]) == (401, 20003)
        other_account = await client.post(url, data={"To": "+14155550123", "Body": "Hi"}, auth=("ACother", "t"))
        assert other_account.status_code == 401
        for form, code in (({"From": "+15005550006", "Body": "Hi"}, 21604), ({"To": "+14155550123", "From": "+1"}, 21602),
                           ({"To": "+14155550123", "Body": "Hi"}, 21603)):
            refused = await client.post(url, data=form, auth=(SID, "t"))
            assert (refused.status_code, refused.json()["code"]) == (400, code)
    assert [json.loads(f.read_text())["to"] for f in directory.glob("*.json")] == ["+15005550500"]
