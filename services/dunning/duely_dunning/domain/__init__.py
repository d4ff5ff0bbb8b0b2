"""Pure dunning logic: no I/O, no clock reads (callers pass `now`)."""
