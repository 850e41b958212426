"""iCalendar feeds: pure renderer (feed), scopes (events), tokens, serving cache (service), pages, static publishing."""
