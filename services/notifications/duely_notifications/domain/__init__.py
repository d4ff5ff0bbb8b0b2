"""Pure notification logic (no I/O): formatting, keys, retry schedules, webhook rules."""
