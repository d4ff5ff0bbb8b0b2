"""Pure invoicing logic (no I/O): money and rounding, tax, payment terms, numbering."""
