"""Rendering outbox rows into short Indonesian messages (Jinja2 templates)."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

WHATSAPP_LIMIT = 1024
LIST_LIMIT = 30  # items listed per section; the escalation list to the Sekretaris is whole
_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   undefined=StrictUndefined, trim_blocks=True, keep_trailing_newline=True)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")

# Item kinds in the order people read them, with their section titles.
SECTIONS = (
    ("ditolak", "Ditolak — perbaiki lalu kirim ulang"),
    ("terlambat", "Terlambat — segera kirim bukti"),
    ("eskalasi", "Eskalasi: bukti terlambat di bawah tanggung jawab Anda"),
    ("tenggat", "Tenggat hari ini"),
    ("pengingat", "Segera jatuh tempo"),
    ("dibuka", "Tugas bukti baru dibuka"),
    ("tunggakan", "Tunggakan (sudah lewat tenggat saat rencana diimpor)"),
    ("monev", "Monev akhir bulan/triwulan (rincian di Papan monev)"),
    ("tidak_pasti", "Pesan yang tidak pasti terkirim (untuk admin: periksa, lalu kirim ulang "
                    "atau tutup)"),
)


def short_date(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.day} {_MONTHS[d.month - 1]}"


def listed_once(items: list[dict[str, str]]) -> list[dict[str, str]]:
    """Each checkpoint once, under its most urgent kind (opened and reminded the same
    day is one line under "Segera jatuh tempo")."""
    rank = {kind: i for i, (kind, _) in enumerate(SECTIONS)}
    seen: set[str] = set()
    kept: list[dict[str, str]] = []
    for it in sorted(items, key=lambda it: rank.get(it["kind"], len(rank))):
        if it.get("ref") and it["kind"] != "eskalasi":
            if it["ref"] in seen:
                continue
            seen.add(it["ref"])
        kept.append(it)
    return kept


def subject_for(satker: str, items: list[dict[str, str]]) -> str:
    """A subject that reads well in a phone's notification list."""
    count: dict[str, int] = defaultdict(int)
    for it in listed_once(items):
        count[it["kind"]] += 1
    parts = []
    if count["ditolak"]:
        parts.append(f"{count['ditolak']} bukti ditolak")
    if count["terlambat"] or count["eskalasi"]:
        parts.append(f"{count['terlambat'] + count['eskalasi']} bukti terlambat")
    if count["tenggat"]:
        parts.append(f"{count['tenggat']} tenggat hari ini")
    if count["pengingat"]:
        first = min(it["due"] for it in items if it["kind"] == "pengingat")
        parts.append(f"{count['pengingat']} jatuh tempo {short_date(first)}")
    if count["dibuka"]:
        parts.append(f"{count['dibuka']} tugas baru")
    if count["tunggakan"]:
        parts.append(f"{count['tunggakan']} tunggakan")
    if count["monev"]:
        parts.append("laporan monev")
    if count["tidak_pasti"]:
        parts.append(f"{count['tidak_pasti']} pesan tidak pasti terkirim")
    return f"[Monev] {', '.join(parts) or 'ringkasan'} — {satker}"


def render_digest(person: str, role: str, satker: str, day: date, items: list[dict[str, str]],
                  contact: str, channel: str) -> tuple[str, str]:
    """(subject, body) of one person's daily digest on one channel."""
    items = listed_once(items)
    sections: list[dict[str, Any]] = []
    for kind, title in SECTIONS:
        rows = [dict(it, due_label=short_date(it["due"]) if it.get("due") else "",
                     period_label=it.get("period", "")) for it in items if it["kind"] == kind]
        if not rows:
            continue
        grouped = None
        if role == "sekretaris" and kind == "eskalasi":
            groups: dict[str, list[dict[str, str]]] = defaultdict(list)
            for r in sorted(rows, key=lambda r: (r.get("subbagian", ""), r.get("pic", ""))):
                groups[r.get("subbagian") or "Tanpa subbagian"].append(r)
            grouped = sorted(groups.items())
        sections.append({"title": title, "rows": rows, "grouped": grouped})
    home = home_link(items)
    body = _ENV.get_template("harian.txt.j2").render(
        person=person, satker=satker, day=f"{day:%d-%m-%Y}", sections=sections,
        contact=contact, limit=LIST_LIMIT, home=home)
    subject = subject_for(satker, items)
    if channel == "whatsapp":
        body = fit_whatsapp(f"{subject}\n\n{body}", len(items), home)
    return subject, body


def home_link(items: list[dict[str, str]]) -> str:
    """The recipient's own portal link (their task list), from any item's link."""
    for it in items:
        if it.get("link"):
            return re.sub(r"/(c/\d+|papan|verifikasi|kalender)$", "", it["link"])
    return ""


def render_test(person: str, satker: str, channel: str) -> tuple[str, str]:
    body = _ENV.get_template("test.txt.j2").render(person=person, satker=satker,
                                                   channel=channel)
    subject = f"[Monev] Pesan uji — {satker}"
    return subject, f"{subject}\n\n{body}" if channel == "whatsapp" else body


def fit_whatsapp(text: str, n_items: int, link: str = "") -> str:
    """WhatsApp bodies stay within 1,024 characters: cut with a count and a pointer to
    the person's task list."""
    if len(text) <= WHATSAPP_LIMIT:
        return text
    where = f"semua di {link}" if link else "tanyakan daftar lengkapnya ke Tim ZI"
    tail = f"\n… (pesan dipotong; {n_items} butir seluruhnya — {where})"
    cut = text[: WHATSAPP_LIMIT - len(tail)]
    cut = cut[: cut.rfind("\n")] if "\n" in cut else cut
    return cut + tail


def one_line(text: str) -> str:
    """The text on one line (``·`` between lines, no runs of spaces), e.g. for a
    WhatsApp template parameter."""
    return " · ".join(" ".join(line.split()) for line in text.splitlines() if line.strip())
