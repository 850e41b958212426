"""Status words people read. The database keeps short English codes; every page,
message, feed, report and CLI table shows the Indonesian word, and CLI options take
either form."""

from __future__ import annotations

from monev.errors import MonevError

CHECKPOINT_WORDS: dict[str, str] = {
    "scheduled": "terjadwal",
    "open": "dibuka",
    "submitted": "terkirim",
    "verified": "terverifikasi",
    "rejected": "ditolak",
    "backlog": "tunggakan",
    "cancelled": "dibatalkan",
}
OUTBOX_WORDS: dict[str, str] = {
    "pending": "menunggu",
    "sending": "sedang dikirim",
    "sent": "terkirim",
    "failed": "gagal",
    "uncertain": "tidak pasti",
    "dismissed": "ditutup",
}
# What "open" means to a person: evidence still expected from the PIC.
CHECKPOINT_GROUPS: dict[str, tuple[str, ...]] = {"open": ("open", "rejected")}


def word(code: str, words: dict[str, str] = CHECKPOINT_WORDS) -> str:
    """The Indonesian word for a stored status code (the code itself if unknown)."""
    return words.get(code, code)


def parse_status(text: str, words: dict[str, str] = CHECKPOINT_WORDS,
                 groups: dict[str, tuple[str, ...]] | None = None) -> tuple[str, ...]:
    """Stored codes meant by a status given on the command line, in either language.

    ``open``/``dibuka`` means every status that still waits for the PIC (rejected
    included) for checkpoints."""
    groups = CHECKPOINT_GROUPS if groups is None and words is CHECKPOINT_WORDS else groups or {}
    wanted = text.strip().casefold()
    for code, label in words.items():
        if wanted in (code, label.casefold()):
            return groups.get(code, (code,))
    choices = ", ".join(f"{label} ({code})" for code, label in words.items())
    raise MonevError(f"status '{text}' tidak dikenal; pilih salah satu: {choices}")
