"""The root ``monev`` typer app; each command group registers itself on it."""

from __future__ import annotations

import typer

from app.cli.i18n import install

install()
app = typer.Typer(help="monev — jadwal monitoring dan evaluasi Rencana Aksi ZI/RB.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
