"""Shared runtime of every Duely service (see README of the repository)."""
