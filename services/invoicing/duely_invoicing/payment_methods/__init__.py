"""The customers' saved payment methods as invoicing knows them: a read model of payments' events."""
