"""The customers' credit balances: a ledger of what allowed overpayments left over and what was used."""
