"""How dates, times and statuses read on the portal's pages (Bahasa Indonesia)."""

from __future__ import annotations

from datetime import date, datetime

from monev.periods import MONTH_NAMES_ID, Period
from monev.status import word

DAY_NAMES_ID = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
SHORT_MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov",
                "Des")


def tanggal(d: date) -> str:
    """``Jumat, 31 Oktober 2025``: the full date with its year."""
    return f"{DAY_NAMES_ID[d.weekday()]}, {d.day} {MONTH_NAMES_ID[d.month - 1]} {d.year}"


def waktu(moment: datetime) -> str:
    """``31 Okt 2025 09.15`` (the satker's wall clock, as the audit trail keeps it)."""
    return f"{moment.day} {SHORT_MONTHS[moment.month - 1]} {moment.year} {moment:%H.%M}"


def periode(text: str) -> str:
    try:
        return Period.parse(text).label()
    except ValueError:
        return text


def ukuran(size: int | None) -> str:
    if not size:
        return "-"
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")


# What a checkpoint's state means to the person looking, with a mark that does not
# rely on colour alone (accessibility).
SHOWN = {
    "verified": ("selesai", "✓", "terverifikasi"),
    "submitted": ("terkirim", "✉", "terkirim, menunggu verifikasi"),
    "rejected": ("ditolak", "↩", "ditolak, kirim ulang"),
    "backlog": ("tunggakan", "!!", "tunggakan (terlambat sejak diimpor)"),
    "late": ("terlambat", "!", "terlambat"),
    "open": ("dibuka", "○", "dibuka, menunggu bukti"),
    "scheduled": ("terjadwal", "·", "terjadwal"),
    "cancelled": ("batal", "–", "dibatalkan"),
    "missed": ("ditutup", "✗", "tidak tercapai (rencana ditutup)"),
}
# What a checkpoint page of a closed plan says, and why an upload or a verification
# there is refused.
CLOSED_PLAN = ("Rencana aksi ini sudah ditutup (selesai): bukti tidak dapat dikirim atau "
               "diverifikasi lagi. Checkpoint yang belum terverifikasi tercatat tidak "
               "tercapai di laporan akhir.")


def shown_state(status: str, due: date, today: date, closed: bool = False) -> str:
    """The state a page shows: ``late`` for open work past its due date; in a closed
    plan nothing is open: what was not verified is ``missed`` (tidak tercapai)."""
    if closed:
        return status if status in ("verified", "cancelled") else "missed"
    if status in ("open", "scheduled") and due < today:
        return "late"
    return status


def status_word(status: str) -> str:
    return word(status)
