"""The root ``monev`` typer app; each command group registers itself on it."""

from __future__ import annotations

import typer

app = typer.Typer(help="monev — jadwal monitoring dan evaluasi Rencana Aksi ZI/RB.",
                  no_args_is_help=True, add_completion=False)
