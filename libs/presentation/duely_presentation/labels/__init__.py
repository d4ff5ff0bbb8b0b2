"""Label catalogues per surface, one module each, merged per language by `duely_presentation.i18n`:
document (the invoice itself), page (the hosted page), email (the emails)."""
