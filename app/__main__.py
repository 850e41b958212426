"""``python -m app`` — the same as the ``monev`` command."""

from app.cli import main

main()
