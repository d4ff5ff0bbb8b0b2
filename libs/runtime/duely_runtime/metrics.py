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

# The ops page's figures, refreshed by the ops sampler once a minute (duely_runtime.ops.sampler).
from prometheus_client import Gauge  # noqa: E402

CONSUMER_LAG = Gauge("duely_consumer_lag", "Events behind the log end, per topic and partition (see /ops)",
                     ["topic", "partition"])
CONSUMER_LAG_TOTAL = Gauge("duely_consumer_lag_total", "Events behind the log end, all partitions")
OUTBOX_BACKLOG = Gauge("duely_outbox_backlog", "Outbox rows not yet published (parked rows excluded)")
OUTBOX_OLDEST_AGE = Gauge("duely_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row (0 if none)")
OUTBOX_PARKED = Gauge("duely_outbox_parked", "Outbox rows the broker refused, parked")
INBOX_LAST_MINUTE = Gauge("duely_inbox_processed_last_minute", "Events processed (inbox rows) in the last minute")
INBOX_LAST_HOUR = Gauge("duely_inbox_processed_last_hour", "Events processed (inbox rows) in the last hour")
DEAD_LETTERS_OPEN = Gauge("duely_dead_letters_open", "Dead letters not replayed yet")
WORK_QUEUE_PENDING = Gauge("duely_work_queue_pending", "Items waiting in the service's work queue", ["queue"])
WORK_QUEUE_FAILING = Gauge("duely_work_queue_failing", "Items retrying after failures or given up", ["queue"])
WORK_QUEUE_LATE = Gauge("duely_work_queue_late", "Items due over a minute ago and not done", ["queue"])
WORK_QUEUE_OLDEST_AGE = Gauge("duely_work_queue_oldest_age_seconds", "Age of the oldest pending item", ["queue"])
READY = Gauge("duely_ready", "1 when the readiness check passes", ["check"])
ERRORS_LOGGED = Counter("duely_errors_logged_total", "ERROR log records of this process")
