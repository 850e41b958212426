"""Errors users see: each names the file and line and says what was expected."""

from __future__ import annotations


class MonevError(Exception):
    """An error with a message meant for the user (Bahasa Indonesia)."""


class PlanError(MonevError):
    """A plan document that cannot be imported; nothing was written."""

    def __init__(self, path: str, line: int, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line}: {message}")


class ConfigError(MonevError):
    """Configuration that does not validate."""
