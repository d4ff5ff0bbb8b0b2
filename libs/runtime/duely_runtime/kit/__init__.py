"""The data kit every service builds on, so no service writes these again.

- `ids.new_id(prefix)`: prefixed ids that sort by creation time.
- `clock.utcnow()`: the one "now" (aware, UTC).
- `writes.insert_ignore` / `writes.upsert_newer`: dialect-aware conflict handling
  (SQLite and Postgres), for idempotent inserts and "newer version wins" read models.
- `pagination`: keyset pages newest first by (created_at, id), opaque cursors.
- `deps.DbSession` / `deps.Caller`: the request's transaction and its verified API key,
  as typed FastAPI dependencies; the transaction-scope rule is written once, there.
"""
