"""The organization's logo: fetched once, through the outbound guard, when the settings naming it are
saved; its bytes are kept in invoicing's database and PDFs are drawn from them, so rendering never
touches the network."""
