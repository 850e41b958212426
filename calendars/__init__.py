"""iCalendar feeds: the pure renderer (feed), scopes (events), tokens, the serving
cache (service), HTML pages and static publishing."""
