"""Labels of the hosted invoice page (around the invoice itself)."""

LABELS: dict[str, dict[str, str]] = {"en": {}, "de": {}, "fr": {}}
