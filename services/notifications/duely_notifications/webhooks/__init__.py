"""Webhook endpoints as the merchant manages them: update, disable and re-enable, roll the secret, a test event,
the delivery log with every attempt, replays, and disabling an endpoint that keeps failing."""
