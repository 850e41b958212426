"""The text of a person's daily digest (Jinja2 template), from its items.

It is decided with the outbox row, in the sweep's own transaction (``monev outbox``
and the admin see it before it goes out) and rendered again when items are withdrawn,
so it lives in the core beside ``monev.store.outbox``; the notifiers deliver it."""

from __future__ import annotations

import os
import re
from collections import defaultdict
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from monev.periods import Period

WHATSAPP_LIMIT = 1024
NAMED = frozenset({"tidak_pasti"})  # sections never summed up: each row is a decision
HANDFUL = 5  # a section with more items is summed up: counts per plan and area, the worst few
PHONE_HANDFUL = 3  # the same on WhatsApp (1,024 characters)
WORST = 3  # items shown of a summed-up section (the longest overdue first)
SOROT = 5  # items the task-list link puts on top of Tugas saya (portal.tasks.SOROT_MAX)
WIDE_ROLES = ("ketua_tim", "sekretaris", "ketua", "admin")  # they follow the whole plan
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
    ("laporan", "Laporan monev (berkas PDF dan Excel terlampir di e-mail; arsip di portal)"),
    ("monev", "Monev akhir bulan/triwulan (rincian di Papan monev)"),
    ("lke", "Nilai LKE: syarat WBK yang kini tidak terpenuhi (proyeksi; rincian di Papan)"),
    ("tunggakan", "Tunggakan (sudah lewat tenggat saat rencana diimpor)"),
    ("tidak_pasti", "Pesan yang tidak pasti terkirim (untuk admin: periksa, lalu kirim ulang "
                    "atau tutup)"),
)


# shorter headings on WhatsApp (1,024 characters)
PHONE_TITLES = {"ditolak": "Ditolak — perbaiki", "terlambat": "Terlambat",
                "eskalasi": "Eskalasi (terlambat)", "tenggat": "Tenggat hari ini",
                "pengingat": "Segera jatuh tempo", "dibuka": "Tugas baru",
                "tunggakan": "Tunggakan", "laporan": "Laporan monev (berkas di e-mail)",
                "monev": "Monev akhir bulan/triwulan", "lke": "Syarat WBK (LKE)"}


@cache
def short_date(iso: str) -> str:
    """``30 Nov 2026``: short, and always with its year (plans span years)."""
    d = date.fromisoformat(iso)
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


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
    if count["monev"] or count["laporan"]:
        final = any(it["kind"] == "laporan" and it.get("period", "").isdigit() for it in items)
        parts.append("laporan akhir" if final else "laporan monev")
    if count["lke"]:
        parts.append(f"{count['lke']} syarat WBK tidak terpenuhi")
    if count["tidak_pasti"]:
        parts.append(f"{count['tidak_pasti']} pesan tidak pasti terkirim")
    return f"[Monev] {', '.join(parts) or 'ringkasan'} — {satker}"


def render_digest(person: str, role: str, satker: str, day: date, items: list[dict[str, str]],
                  contact: str, channel: str) -> tuple[str, str]:
    """(subject, body) of one person's daily digest on one channel. On WhatsApp a text
    over 1,024 characters is squeezed first (summed-up headings lose their example item,
    then their per-area lines) and only cut when even that does not fit."""
    items = listed_once(items)
    subject = subject_for(satker, items)
    if contact.casefold().startswith(person.casefold()):
        contact = ""  # never "contact yourself": the Ketua Tim ZI is the contact
    answer = answer_hint(items, channel)
    if channel != "whatsapp":
        return subject, _body(person, role, satker, day, items, contact, False, 0, answer)
    for squeeze in (0, 1, 2):
        body = _body(person, role, satker, day, items, contact, True, squeeze, answer)
        text = f"{subject}\n\n{body}"
        if len(text) <= WHATSAPP_LIMIT:
            return subject, text
    return subject, fit_whatsapp(text, len(items), tasks_link(items))


def _body(person: str, role: str, satker: str, day: date, items: list[dict[str, str]],
          contact: str, phone: bool, squeeze: int, answer: str = "") -> str:
    home, tasks = home_link(items), tasks_link(items)
    by_kind: dict[str, list[dict[str, str]]] = defaultdict(list)
    for it in items:
        by_kind[it["kind"]].append(it)
    sections: list[dict[str, Any]] = []
    for kind, title in SECTIONS:
        own = kind in ("laporan", "monev")  # their text names plan and period already
        rows = by_kind.get(kind)
        if not rows:
            continue
        by_person = role == "sekretaris" and kind == "eskalasi"
        if by_person:
            rows.sort(key=lambda r: (r.get("subbagian") or "~", r.get("pic", "")))
        section: dict[str, Any] = {"title": PHONE_TITLES.get(kind, title) if phone else title,
                                   "rows": rows, "by_person": by_person, "summed": False,
                                   "whole": own}
        if len(rows) > (PHONE_HANDFUL if phone else HANDFUL) and kind not in NAMED:
            section.update(summed_up(rows, home, role, by_person, phone, tasks),
                           summed=True)
            section["worst"] = [_shown(r, own) for r in section["worst"]]  # only these show
            if squeeze >= 1:
                section["worst"] = []
            if squeeze >= 2:
                section["summary"], section["by_subbagian"] = [], []
        else:
            section["rows"] = [_shown(r, own) for r in rows]
        sections.append(section)
    return _template().render(
        person=person, satker=satker, day=f"{day:%d-%m-%Y}", sections=sections,
        contact=contact, home=tasks, phone=phone, answer=answer,
        more_link=next((x["more_link"] for x in sections if x["summed"]), ""))


def reply_channels() -> frozenset[str]:
    """Channels whose replies monev reads (``MONEV_REPLY_CHANNELS``, e.g.
    ``whatsapp,telegram``: set it where their webhooks are configured, docs/inbound.md);
    a digest on them tells people they can answer with the file."""
    raw = os.environ.get("MONEV_REPLY_CHANNELS", "")
    return frozenset(c.strip() for c in raw.split(",") if c.strip())


def answer_hint(items: list[dict[str, str]], channel: str) -> str:
    """The example code of "answer with the file and its code" (the first item's), or ""
    when this channel's replies are not read or no item has a code."""
    if channel not in reply_channels():
        return ""
    return next((it["code"] for it in items if it.get("code")), "")


@cache
def _template() -> Template:
    return _ENV.get_template("harian.txt.j2")


def _shown(it: dict[str, str], own: bool) -> dict[str, str]:
    """An item with the labels the template shows (only for the items it shows: a
    summed-up section of hundreds shows a few)."""
    return dict(it, due_label=short_date(it["due"]) if it.get("due") else "",
                period_label="" if own else _period_label(it.get("period", "")),
                plan_text="" if own else f"{it['plan']}, "
                if it.get("plan") and it.get("period") else it.get("plan", ""))


@cache
def _period_label(text: str) -> str:
    """``Oktober 2025`` for a checkpoint period (other texts as they are)."""
    try:
        return Period.parse(text).label()
    except ValueError:
        return text


def summed_up(rows: list[dict[str, str]], home: str, role: str, by_subbagian: bool,
              phone: bool = False, tasks: str = "") -> dict[str, Any]:
    """A long section as counts per plan and area, the few longest overdue items and
    the link to see them all (the Papan for those who follow the whole plan). On a
    phone (WhatsApp, 1,024 characters) the biggest few counts and fewer items."""
    counts: dict[str, int] = defaultdict(int)
    subs: dict[str, int] = defaultdict(int)
    for r in rows:
        area = r.get("area", "")
        area = area[:34] + "…" if phone and len(area) > 35 else area
        where = " · ".join(x for x in (r.get("plan", ""), area) if x)
        counts[where or "lainnya"] += 1
        subs[r.get("subbagian") or "Tanpa subbagian"] += 1
    dated = sorted((r for r in rows if r.get("due")), key=lambda r: (r["due"], r.get("ref", "")))
    overdue = rows[0]["kind"] in ("ditolak", "terlambat", "eskalasi", "tunggakan")
    link = f"{home}/papan" if home and role in WIDE_ROLES else tasks or home
    summary = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    by_sub = sorted(subs.items(), key=lambda kv: (-kv[1], kv[0])) if by_subbagian else []
    if phone:
        keep = 2 if by_subbagian else 3
        if len(summary) > keep:
            summary = summary[:keep] + [("lainnya", sum(n for _, n in summary[keep:]))]
        by_sub = by_sub[:3]
    return {"summary": summary, "by_subbagian": by_sub,
            "worst": (dated or rows)[:1 if phone else WORST],
            "worst_title": (("Terlama" if phone else "Paling lama lewat tenggat") if overdue
                            else ("Terdekat" if phone else "Paling dekat tenggatnya"))
            if dated else "Contoh",
            "more_link": link}


def home_link(items: list[dict[str, str]]) -> str:
    """The recipient's own portal link (their task list), from any item's link."""
    for it in items:
        if it.get("link"):
            return re.sub(r"/(c/\d+|papan|verifikasi|kalender|laporan)$", "", it["link"])
    return ""


def tasks_link(items: list[dict[str, str]]) -> str:
    """The recipient's task list with this message's first items on top
    (``…/p/<token>/sorot/12,34``: the portal shows only those that are theirs)."""
    home = home_link(items)
    ids = [found.group(1) for it in items
           if (found := re.search(r"/c/(\d+)$", it.get("link", "")))]
    ids = list(dict.fromkeys(ids))[:SOROT]
    return f"{home}/sorot/{','.join(ids)}" if home and ids else home


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
