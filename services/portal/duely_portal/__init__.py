"""Duely portal: the hosted invoice page and the read models behind it."""
