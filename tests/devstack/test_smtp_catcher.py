"""The SMTP catcher stores mail in a Maildir, once per Message-ID, across restarts."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from duely_devstack.maildir import read_messages


def _send(port: int, message_id: str, subject: str, bcc: str | None = None) -> None:
    msg = EmailMessage()
    msg["From"] = "billing@duely.test"
    msg["To"] = "customer@example.test"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg.set_content("Your invoice is due.")
    rcpts = ["customer@example.test"] + ([bcc] if bcc else [])
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        refused = smtp.send_message(msg, to_addrs=rcpts)
    assert refused == {}


def test_stores_and_dedupes_by_message_id_across_restarts(start_module, tmp_path):
    maildir = tmp_path / "var" / "mail"
    catcher = start_module("duely_devstack.smtp_catcher", "--maildir", str(maildir))

    _send(catcher.port, "<notif-1@duely.test>", "Invoice due", bcc="audit@duely.test")
    _send(catcher.port, "<notif-1@duely.test>", "Invoice due (resent after crash)")
    _send(catcher.port, "<notif-2@duely.test>", "Reminder")

    messages = read_messages(maildir)
    assert [m["Message-ID"] for m in messages] == ["<notif-1@duely.test>", "<notif-2@duely.test>"]
    first = messages[0]
    assert first["Subject"] == "Invoice due"
    assert first.get_all("Delivered-To") == ["customer@example.test", "audit@duely.test"]
    assert first["Return-Path"] == "<billing@duely.test>"
    assert first.get_content().strip() == "Your invoice is due."

    catcher.stop()
    restarted = start_module("duely_devstack.smtp_catcher", "--maildir", str(maildir), port=catcher.port)
    _send(restarted.port, "<notif-1@duely.test>", "Invoice due (resent after restart)")
    _send(restarted.port, "<notif-3@duely.test>", "Receipt")

    ids = [m["Message-ID"] for m in read_messages(maildir)]
    assert ids == ["<notif-1@duely.test>", "<notif-2@duely.test>", "<notif-3@duely.test>"]


def test_messages_without_message_id_are_all_kept(start_module, tmp_path):
    catcher = start_module("duely_devstack.smtp_catcher", "--maildir", str(tmp_path / "mail"))
    raw = b"From: a@duely.test\r\nTo: b@example.test\r\nSubject: no id\r\n\r\nhi\r\n"
    for _ in range(2):
        with smtplib.SMTP("127.0.0.1", catcher.port, timeout=10) as smtp:
            smtp.sendmail("a@duely.test", ["b@example.test"], raw)
    assert len(read_messages(tmp_path / "mail")) == 2


def test_read_messages_on_missing_maildir_is_empty(tmp_path):
    assert read_messages(tmp_path / "nope") == []
