"""Prometheus metrics every service exposes on /metrics."""

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter("duely_http_requests_total", "HTTP requests", ["method", "route", "status"])
HTTP_LATENCY = Histogram("duely_http_request_seconds", "HTTP request latency", ["method", "route"])
EVENTS_PUBLISHED = Counter("duely_outbox_events_published_total", "Outbox rows published to Kafka")
EVENTS_PARKED = Counter("duely_outbox_events_parked_total", "Outbox rows the broker cannot take, parked", ["topic"])
EVENTS_REPLAYED = Counter("duely_outbox_events_replayed_total", "Outbox rows republished at start (embedded broker)")
RELAY_ERRORS = Counter("duely_outbox_relay_errors_total", "Outbox relay failures (it reconnects)")
EVENTS_CONSUMED = Counter("duely_events_consumed_total", "Events handled", ["consumer", "outcome"])
EVENT_LATENCY = Histogram("duely_event_handle_seconds", "Time to handle one event", ["consumer"])
DEAD_LETTERS = Counter("duely_dead_letters_total", "Events sent to the dead-letter topic", ["consumer"])
ROWS_PURGED = Counter("duely_retention_rows_purged_total", "Rows deleted by the retention worker", ["rule"])
