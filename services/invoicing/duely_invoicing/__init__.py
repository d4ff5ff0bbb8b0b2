"""Duely invoicing: owner of organizations, API keys, customers and invoices."""
