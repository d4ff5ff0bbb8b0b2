"""Dunning: tracks each open invoice's collection state and fires its durable timers."""
