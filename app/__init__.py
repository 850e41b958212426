"""The application shell on top of everything: the ``monev`` command (``app.cli``) and the
HTTP app (``app.web``) that mounts the portal and the calendar feeds. Nothing imports it."""
