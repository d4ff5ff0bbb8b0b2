"""Embedded local infrastructure for `make run` and the tests.

Every component binds 127.0.0.1 only and is started as its own process:

* ``python -m duely_devstack.broker --port 9092`` -- Kafka-protocol broker (tansu, in-memory).
* ``python -m duely_devstack.smtp_catcher --port 1025 --maildir var/mail`` -- SMTP catcher to a Maildir.
* ``python -m duely_devstack.sandbox_gateway --port 8420 --state-dir var/sandbox-gateway`` -- Stripe-compatible
  sandbox payment gateway (the part of Stripe's API Duely uses: cards, ACH and SEPA debits that settle after
  ``--settlement-delay-s``, mandates, refunds, signed webhook events with retries, idempotency keys; SQLite).
"""
