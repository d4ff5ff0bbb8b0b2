"""Custom email templates per organization (issue #10): store, sandboxed rendering, variables, API.

models.EmailTemplate is the table; `render.py` has what the composer (and the SMS sender) call.
"""
