"""The examples run against the notifications instance, SMTP and SMS catchers of the notifications suite."""

from tests.notifications.conftest import notifications, sms_catcher, smtp_catcher  # noqa: F401
