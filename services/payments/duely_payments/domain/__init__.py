"""Pure payment rules: no I/O, unit-tested exhaustively."""
