"""Portal monev: where staff, koordinators and the Tim ZI do their part from a phone.

Server-rendered pages (Jinja2, Bahasa Indonesia, no JavaScript needed) in the app
``monev up`` serves, reached through each person's personal link (``monev.links``).
``portal.mount`` adds it to that app; the rest of the package needs no FastAPI."""
