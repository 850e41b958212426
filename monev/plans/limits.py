"""Bounds on what a plan may hold, checked once for every format before anything is
stored: a 50,000-character satker name is a broken file, not a satker, and must not
reach a 120-character database column (or a page) as it is."""

from __future__ import annotations

from monev.errors import PlanError
from monev.model import Plan

MAX_SATKER = 150
MAX_NUMBER = 100
MAX_TEXT = 4000  # one cell of the table
MAX_TARGET = 500
MAX_ITEMS = 20_000
MAX_LINE_NO = 2 ** 31 - 1
ITEM_TEXTS = {"area": MAX_TEXT, "komponen": MAX_TEXT, "indikator": MAX_TEXT,
              "langkah_aksi": MAX_TEXT, "bukti_fisik": MAX_TEXT, "target_text": MAX_TARGET}


def check_bounds(plan: Plan) -> None:
    """Raise a PlanError naming file, line and field for the first value out of bounds."""
    src, h = plan.source, plan.header
    if len(h.satker) > MAX_SATKER:
        raise PlanError(src, 1, f"nama satker terlalu panjang ({len(h.satker)} karakter; batas "
                        f"{MAX_SATKER}): periksa judul keputusan")
    if h.number is not None and len(h.number) > MAX_NUMBER:
        raise PlanError(src, 1, f"nomor keputusan terlalu panjang ({len(h.number)} karakter; "
                        f"batas {MAX_NUMBER})")
    if len(plan.items) > MAX_ITEMS:
        raise PlanError(src, 1, f"{len(plan.items)} baris rencana; batas {MAX_ITEMS}")
    for item in plan.items:
        if not 0 <= item.source_line <= MAX_LINE_NO:
            raise PlanError(src, 0, f"nomor baris {item.source_line} tidak sah")
        for field, limit in ITEM_TEXTS.items():
            value = getattr(item, field)
            if len(value) > limit:
                raise PlanError(src, item.source_line, f"{field} terlalu panjang ({len(value)} "
                                f"karakter; batas {limit}): sel tabel yang rusak atau tergabung")
