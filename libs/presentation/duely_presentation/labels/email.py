"""Labels of the emails (subjects, greetings, calls to action)."""

LABELS: dict[str, dict[str, str]] = {"en": {}, "de": {}, "fr": {}}
