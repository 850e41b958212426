"""The decree's header read from its own prose: satker, year, number, decision date."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from monev.grammar import _MONTH_WORDS, _fuzzy_month

_ACRONYMS = {"KPU", "RI", "BPS", "DPRD", "BPK", "BPKP", "KPK", "BNN", "POLRI", "TNI", "ASN",
             "PTUN", "PN", "PA", "DKI", "DIY", "BKN", "LAN", "ATR", "BPN", "KUA", "UPT"}
_SHORT_FORMS = {"KOMISI PEMILIHAN UMUM": "KPU"}
_LEAD = r"^[\s*#\-]*"
_TITLE_RE = re.compile(_LEAD + r"KEPUTUSAN\s+(.+?)[\s*]*$", re.IGNORECASE)
_HEAD_RE = re.compile(_LEAD + r"(?:KETUA|KEPALA|SEKRETARIS)\s+(.+?),?[\s*]*$", re.IGNORECASE)
_NUMBER_RE = re.compile(_LEAD + r"NOMOR\s*:?\s*(.*?)\s*(?:TAHUN\s+(\d{4}))?[\s*]*$",
                        re.IGNORECASE)
_YEAR_RE = re.compile(r"TAHUN\s+(\d{4})", re.IGNORECASE)
_DATE_RE = re.compile(r"tanggal\s+(\d{1,2})\s+([A-Za-z]+)\s+(\d{4})", re.IGNORECASE)


@dataclass
class Prose:
    satker: str | None = None
    year: int | None = None
    number: str | None = None
    decided_on: date | None = None
    title: str = ""
    warnings: list[str] = field(default_factory=list)


def display_name(issuer: str) -> str:
    """``KOMISI PEMILIHAN UMUM KABUPATEN MUARO JAMBI`` → ``KPU Kabupaten Muaro Jambi``."""
    text = re.sub(r"\s+", " ", issuer.replace("*", "")).strip(" ,.").upper()
    for long, short in _SHORT_FORMS.items():
        text = text.replace(long, short)
    words = [w if w in _ACRONYMS else w.capitalize() for w in text.split(" ")]
    return " ".join(words)


def _date_from(match: re.Match[str]) -> date | None:
    word = match.group(2).lower()
    month = _MONTH_WORDS.get(word) or _fuzzy_month(word)
    if month is None:
        return None
    try:
        return date(int(match.group(3)), month, int(match.group(1)))
    except ValueError:
        return None


def read_prose(lines: list[str], source: str) -> Prose:
    """Read the header from the lines before the table (the decree's body)."""
    prose = Prose()
    title_at = -1
    for i, line in enumerate(lines):
        m = _TITLE_RE.match(line)
        if m and prose.satker is None and not re.search(r"\bTENTANG\b|\bINI\b", m.group(1),
                                                          re.IGNORECASE):
            prose.satker = display_name(m.group(1))
            title_at = i
            break
    if prose.satker is None:
        for line in lines:
            m = _HEAD_RE.match(line)
            if m:
                prose.satker = display_name(m.group(1))
                prose.warnings.append(f"{source}:1: nama satker diambil dari jabatan penanda "
                                      "tangan (judul KEPUTUSAN tidak ditemukan)")
                break
    # The title block runs from TENTANG to the first blank line after its text.
    numbers: list[tuple[int, str, str | None]] = []
    for i, line in enumerate(lines):
        m = _NUMBER_RE.match(line)
        if m and i >= title_at:
            numbers.append((i + 1, m.group(1).strip(" :"), m.group(2)))
    if numbers:
        first_line, first_number, first_year = numbers[0]
        if first_number:
            prose.number = first_number
        else:
            later = next((n for n in numbers[1:] if n[1]), None)
            if later:
                prose.number = later[1]
                prose.warnings.append(
                    f"{source}:{first_line}: nomor keputusan kosong; diambil dari baris "
                    f"{later[0]} ({later[1]})")
            else:
                prose.warnings.append(f"{source}:{first_line}: nomor keputusan kosong")
        if first_year:
            prose.year = int(first_year)
    else:
        prose.warnings.append(f"{source}:1: nomor keputusan tidak ditemukan (dicari di baris "
                              f"1–{len(lines)})")
    title = _title_block(lines)
    prose.title = title
    title_years = _YEAR_RE.findall(title)
    if title_years:
        prose.year = int(title_years[-1])
    for i, line in enumerate(lines):
        if re.match(r"^\W*(pada\s+)?tanggal\b", line, re.IGNORECASE) or re.match(
                r"^\W*ditetapkan\b.*tanggal", line, re.IGNORECASE):
            m = _DATE_RE.search(line)
            if m:
                prose.decided_on = _date_from(m)
                if prose.decided_on is None:
                    prose.warnings.append(f"{source}:{i + 1}: tanggal penetapan tidak sah")
                break
    if prose.decided_on is None:
        prose.warnings.append(f"{source}:1: tanggal penetapan tidak ditemukan (dicari di baris "
                              f"1–{len(lines)}, 'pada tanggal …')")
    return prose


def _title_block(lines: list[str]) -> str:
    """Text of the first ``TENTANG`` block (the decree's subject, with its year)."""
    for i, line in enumerate(lines):
        if re.match(_LEAD + r"TENTANG\b", line, re.IGNORECASE):
            block = [line]
            for nxt in lines[i + 1: i + 12]:
                if not nxt.strip():
                    if len(block) > 1 and _YEAR_RE.search(" ".join(block)):
                        break
                    continue
                if re.match(r"^\W*(KETUA|KEPALA|Menimbang|MENIMBANG)\b", nxt):
                    break
                block.append(nxt)
            return " ".join(block)
    return ""
