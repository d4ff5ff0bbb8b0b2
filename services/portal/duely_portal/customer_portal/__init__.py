"""The customer portal: magic links, sessions, and the pages of a signed-in customer."""
