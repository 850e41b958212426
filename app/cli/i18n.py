"""Typer's own words (help panels, usage line, usage errors) in Bahasa Indonesia.

Typer 0.29 carries its own copy of Click with English strings written inline, so this
module adjusts the few places a user sees them: the panel titles, the ``--help``
option's text, the usage prefix and the text of usage errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

HELP_TEXT = "Tampilkan bantuan ini lalu keluar."
USAGE_PREFIX = "Cara pakai: "
USAGE_WORDS = (("[OPTIONS]", "[OPSI]"), ("COMMAND [ARGS]...", "PERINTAH [ARGUMEN]..."))
CONSTANTS = {
    "ARGUMENTS_PANEL_TITLE": "Argumen", "OPTIONS_PANEL_TITLE": "Opsi",
    "COMMANDS_PANEL_TITLE": "Perintah", "ERRORS_PANEL_TITLE": "Galat",
    "ABORTED_TEXT": "Dibatalkan.", "DEFAULT_STRING": "[bawaan: {}]",
    "REQUIRED_LONG_STRING": "[wajib]", "ENVVAR_STRING": "[variabel lingkungan: {}]",
    "DEPRECATED_STRING": "(usang) ",
    "RICH_HELP": "Lihat [blue]'{command_path} {help_option}'[/] untuk bantuan.",
}
# Usage errors, English pattern → Indonesian; every pattern is applied in turn, so a
# message's parts (the error, then Typer's "Did you mean …?" hint) are each translated.
ERRORS: tuple[tuple[str, str], ...] = (
    (r" ?\(Possible options: (.+)\)$", r" (mungkin maksud Anda: \1)"),
    (r"\. ?Did you mean (.+)\?$", r". Mungkin maksud Anda \1?"),
    (r"^No such option: (\S+)", r"opsi \1 tidak ada"),
    (r"^No such command '(.+?)'\.", r"perintah '\1' tidak ada."),
    (r"^Missing command\.$", r"perintah belum diberikan; lihat --help"),
    (r"^Missing argument '(.+)'\.(.*)$", r"argumen \1 belum diberikan.\2"),
    (r"^Missing option '(.+)'\.(.*)$", r"opsi \1 wajib diisi.\2"),
    (r"^Missing (?:parameter|argument|option)(?:: )?(.*)$", r"nilai belum diberikan \1"),
    (r"^Invalid value for '?(.+?)'?: (.+)$", r"nilai tidak sah untuk \1: \2"),
    (r"^Invalid value: (.+)$", r"nilai tidak sah: \1"),
    (r"Input should be a valid ([\w ]+?)(?:,.*)?$", r"harus berupa \1"),
    (r"^Value '(.+)' is not a valid (.+)\.$", r"'\1' bukan \2 yang sah"),
    (r"^'(.+)' is not a valid (.+)\.$", r"'\1' bukan \2 yang sah"),
    (r"^Got unexpected extra argument\(s\) \((.+)\)$", r"argumen berlebih: \1"),
    (r"^Option '(.+)' requires an argument\.$", r"opsi \1 memerlukan nilai"),
    (r"^Option '(.+)' requires (\d+) arguments\.$", r"opsi \1 memerlukan \2 nilai"),
    (r"^Option '(.+)' does not take a value\.$", r"opsi \1 tidak menerima nilai"),
    (r"\binteger\b", "bilangan bulat"),
    (r"\bfloat\b", "bilangan"),
    (r"\bboolean\b", "nilai ya/tidak"),
)


def translate_error(message: str) -> str:
    text = message
    for pattern, replacement in ERRORS:
        text = re.sub(pattern, replacement, text)
    return text


def install() -> None:
    """Translate Typer's user-facing words (idempotent)."""
    from typer import rich_utils
    from typer._click import decorators, formatting

    for name, value in CONSTANTS.items():
        setattr(rich_utils, name, value)
    if getattr(decorators.help_option, "_monev", False):
        return
    english_help: Callable[[list[str]], Callable[[Any], Any]] = decorators.help_option

    def help_option(param_decls: list[str]) -> Callable[[Any], Any]:
        attach = english_help(param_decls)

        def apply(command: Any) -> Any:
            command = attach(command)
            command.params[-1].help = HELP_TEXT
            return command
        return apply

    help_option._monev = True  # type: ignore[attr-defined]
    decorators.help_option = help_option
    write_usage = formatting.HelpFormatter.write_usage

    def usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        for english, ours in USAGE_WORDS:
            args = args.replace(english, ours)
        write_usage(self, prog, args, USAGE_PREFIX if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = usage  # type: ignore[method-assign]
    english_error = rich_utils.rich_format_error

    def rich_format_error(error: Any) -> None:
        original = error.format_message
        error.format_message = lambda: translate_error(original())
        english_error(error)

    rich_utils.rich_format_error = rich_format_error  # type: ignore[assignment]
