"""Pure notification logic (no I/O): email contexts and wording, relevance, sender identity, keys, retry schedules, webhook rules."""
