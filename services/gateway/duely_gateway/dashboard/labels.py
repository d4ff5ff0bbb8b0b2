"""The dashboard's words, in English, on the same locale machinery as the portal and the documents
(`duely_presentation.i18n.Formatter`: Babel for money and dates). Keys start with `dash_`."""

from __future__ import annotations

from duely_presentation.i18n import Formatter

LABELS: dict[str, str] = {
    "dash_title": "Duely dashboard",
    "dash_skip": "Skip to content",
    "dash_nav": "Dashboard sections",
    "dash_nav_home": "Home",
    "dash_nav_invoices": "Invoices",
    "dash_nav_customers": "Customers",
    "dash_nav_subscriptions": "Subscriptions",
    "dash_nav_logs": "Logs",
    "dash_nav_settings": "Settings",
    "dash_nav_developers": "Developers",
    "dash_nav_users": "Users",
    "dash_sign_out": "Sign out",
    "dash_signed_in_as": "{name} · {role}",
    "dash_sign_in_heading": "Sign in to Duely",
    "dash_email": "Email",
    "dash_password": "Password",
    "dash_sign_in": "Sign in",
    "dash_or": "or",
    "dash_email_me_link": "Email me a sign-in link",
    "dash_link_sent": "If {email} belongs to a user, a sign-in link is on its way. It works once, for 15 minutes.",
    "dash_sign_in_failed": "That email and password do not match.",
    "dash_too_many": "Too many attempts. Wait a few minutes, then try again.",
    "dash_link_heading": "Sign in with your link",
    "dash_link_expired": "This link has expired or was already used. Ask for a new one below.",
    "dash_accept_heading": "Join {organization} on Duely",
    "dash_choose_password": "Choose a password (at least 10 characters)",
    "dash_accept": "Set password and sign in",
    "dash_csrf_title": "This form has expired",
    "dash_csrf_message": "Reload the page and submit it again.",
    "dash_not_found_title": "Not found",
    "dash_not_found_message": "There is nothing here, or it belongs to another organization.",
    "dash_forbidden_title": "Not allowed",
    "dash_error_title": "Something went wrong",
    "dash_home_heading": "Receivables at a glance",
    "dash_open": "Open",
    "dash_overdue": "Overdue",
    "dash_aging_heading": "Receivables aging",
    "dash_collected_heading": "Collected per week",
    "dash_autopay_heading": "AutoPay coverage",
    "dash_dunning_heading": "Dunning outcomes (last 90 days)",
    "dash_show_numbers": "Show the numbers",
    "dash_no_data": "Nothing yet.",
    "dash_saved": "Saved.",
}


def formatter(currency: str = "USD", locale: str = "en_US") -> Formatter:
    f = Formatter(locale, currency)
    f.labels = {**f.labels, **LABELS}
    return f
