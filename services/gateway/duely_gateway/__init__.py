"""Duely API gateway: one base URL for the whole API and the hosted pages."""
