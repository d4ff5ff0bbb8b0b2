"""Duely payments: charges invoices through a Stripe-compatible gateway, exactly once."""
