"""``python -m monev`` — the same as the ``monev`` command."""

from monev.cli import main

main()
