"""Pure logic of the portal (no I/O): how an invoice is presented and when it is payable."""
