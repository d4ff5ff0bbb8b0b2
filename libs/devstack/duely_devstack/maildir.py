"""Read what the SMTP catcher stored, for tests and for poking around by hand."""

from __future__ import annotations

import email
import mailbox
import re
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

_KEY_TIME = re.compile(r"^(\d+)\.M(\d+)")


def _delivery_order(key: str) -> tuple[int, int, str]:
    # Maildir keys start with "<seconds>.M<microseconds>"; the microseconds are not
    # zero-padded, so a plain string sort would misorder messages within one second.
    match = _KEY_TIME.match(key)
    if not match:
        return (0, 0, key)
    return (int(match.group(1)), int(match.group(2)), key)


def read_messages(maildir_path: str | Path) -> list[EmailMessage]:
    """All messages in the Maildir, oldest delivery first, parsed with the modern email policy.

    A Maildir that does not exist yet simply holds no mail.
    """
    path = Path(maildir_path)
    if not (path / "new").is_dir() and not (path / "cur").is_dir():
        return []
    box = mailbox.Maildir(path, create=False)
    return [
        email.message_from_bytes(box.get_bytes(key), policy=default)
        for key in sorted(box.keys(), key=_delivery_order)
    ]
