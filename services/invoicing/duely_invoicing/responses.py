"""The error responses every public invoicing route documents (the body is the one error shape)."""

ERRORS = {
    400: {"description": "Invalid request (error shape with `param`)"},
    401: {"description": "Missing or invalid API key"},
    404: {"description": "No such object in this organization"},
    409: {"description": "Illegal status transition, or (void, mark_uncollectible) `invoice_payment_in_progress`: "
                         "a charge holds the invoice until its outcome is known"},
}
