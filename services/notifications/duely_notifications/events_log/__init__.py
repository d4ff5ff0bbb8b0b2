"""The events log (GET /v1/events): the organization's recent events as this service received them.

- `recording.py`: every consumer handler records its event first, in the inbox transaction (one INSERT),
  except events that carry sign-in or invite links;
- `repository.py`, `schemas.py`, `api.py`: the received_events table's SQL, its shape and its route.
Retention (DUELY_NOTIFICATIONS_RETENTION_EVENTS_DAYS, 30 days) is repository.retention_rules'.
"""
