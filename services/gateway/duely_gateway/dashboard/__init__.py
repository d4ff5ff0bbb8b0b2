"""The merchant dashboard: server-rendered pages at /dashboard, a client of the public API.

Users sign in through invoicing (which owns users and sessions); their session token is a bearer
credential on the public API with the user's role, so the dashboard can do exactly what an
integrator with that role can do, and every service enforces the role itself.
"""
