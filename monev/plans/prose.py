"""The decree's header read from its own words: satker, kind, year, number, decision date.

Satker, kind and year come from the decree's title (``KEPUTUSAN <issuer> … TENTANG
<subject> … TAHUN 2025``, the issuer may run over two lines) and from the table's title
(``RENCANA AKSI … KPU KABUPATEN X TAHUN 2026``); never from the laws cited under
*Menimbang*/*Mengingat*. When the two titles disagree the decree title wins and the
disagreement is flagged. A missing number or decision date stays empty and is flagged.
Every flag names the file and line. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from monev.grammar import MONTH_WORDS, fuzzy_month
from monev.model import Kind

_ACRONYMS = {"KPU", "RI", "BPS", "DPRD", "BPK", "BPKP", "KPK", "BNN", "POLRI", "TNI", "ASN",
             "PTUN", "PN", "PA", "DKI", "DIY", "BKN", "LAN", "ATR", "BPN", "KUA", "UPT"}
_SHORT_FORMS = {"KOMISI PEMILIHAN UMUM": "KPU", "BADAN PUSAT STATISTIK": "BPS",
                "BADAN PENGAWAS PEMILIHAN UMUM": "Bawaslu"}
_LEAD = r"^[\s*#\-]*"
_TITLE_RE = re.compile(_LEAD + r"KEPUTUSAN\s+(.+?)[\s*,]*$", re.IGNORECASE)
_HEAD_RE = re.compile(_LEAD + r"(?:KETUA|KEPALA|SEKRETARIS)\s+(.+?),?[\s*]*$", re.IGNORECASE)
_NUMBER_RE = re.compile(_LEAD + r"NOMOR\s*:?\s*(.*?)\s*(?:TAHUN\s+(\d{4}))?[\s*]*$",
                        re.IGNORECASE)
_YEAR_RE = re.compile(r"TAHUN\s+(\d{4})", re.IGNORECASE)
_DATE_RE = re.compile(r"\bpada\s+tanggal\s*:?\s+(\d{1,2})\s+([A-Za-z]+)\s+(\d{4})",
                      re.IGNORECASE)
_DATE_LINE_RE = re.compile(r"^\W*(?:ditetapkan\b.*|pada\s+)?tanggal\s*:?\s+(\d{1,2})\s+"
                           r"([A-Za-z]+)\s+(\d{4})", re.IGNORECASE)
# Lines where the decree's body begins: nothing after them belongs to a title.
_BODY_RE = re.compile(_LEAD + r"(?:menimbang|mengingat|memperhatikan|bahwa|dengan\s+rahmat"
                      r"|m\s*e\s*m\s*u\s*t\s*u\s*s\s*k\s*a\s*n|menetapkan|kesatu|ketua\s|kepala\s"
                      r"|sekretaris\s)", re.IGNORECASE)
_OFFICE_RE = re.compile(r"^(?:KETUA|KEPALA|SEKRETARIS|DIREKTUR|PIMPINAN)\s+", re.IGNORECASE)
_REGION_RE = re.compile(r"\b(KABUPATEN|KOTA|PROVINSI|REPUBLIK\s+INDONESIA|RI)\b(.*)$",
                        re.IGNORECASE)
_KIND_WORDS: dict[Kind, tuple[str, ...]] = {
    "ZI": ("ZONA INTEGRITAS", "WBK", "WBBM"), "RB": ("REFORMASI BIROKRASI",)}
_INSTITUTION_RE = re.compile(
    r"\b(KOMISI PEMILIHAN UMUM|KPU|BADAN\s+\w+(?:\s+\w+)?|KANTOR|DINAS|PENGADILAN|"
    r"KEMENTERIAN|SEKRETARIAT|BALAI|BAWASLU|INSPEKTORAT)\b", re.IGNORECASE)

Lines = list[tuple[int, str]]


@dataclass
class Prose:
    satker: str | None = None
    kind: Kind | None = None
    year: int | None = None
    number: str | None = None
    decided_on: date | None = None
    title: str = ""
    warnings: list[str] = field(default_factory=list)


def display_name(issuer: str) -> str:
    """``KOMISI PEMILIHAN UMUM KABUPATEN MUARO JAMBI`` → ``KPU Kabupaten Muaro Jambi``."""
    text = re.sub(r"\s+", " ", issuer.replace("*", "")).strip(" ,.").upper()
    text = _OFFICE_RE.sub("", text)
    for long, short in _SHORT_FORMS.items():
        text = text.replace(long, short.upper())
    words = [w if w in _ACRONYMS else w.capitalize() for w in text.split(" ")]
    return " ".join(words).replace("BAWASLU", "Bawaslu")


def kind_of(text: str) -> Kind | None:
    up = text.upper()
    found = [k for k, words in _KIND_WORDS.items() if any(w in up for w in words)]
    return found[0] if len(found) == 1 else None


def region_of(name: str) -> str:
    """``KPU Kabupaten Muaro Jambi`` → ``KABUPATEN MUARO JAMBI`` (for comparing titles)."""
    m = _REGION_RE.search(re.sub(r"\s+", " ", name.upper()))
    return f"{m.group(1)} {m.group(2).strip(' ,.')}".strip() if m else ""


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("*", "")).strip(" -")


def read_prose(lines: Lines, source: str, closing: Lines | None = None) -> Prose:
    """Read the header from the lines before the table (``closing``: the lines after it,
    searched for the decision date when the body before the table has none)."""
    prose = Prose()
    lines = [(n, t) for n, t in lines if t.strip()]
    body_at = next((i for i, (_, t) in enumerate(lines) if _BODY_RE.match(t)
                    and not _TITLE_RE.match(t)), len(lines))
    title_at = _decree_title(lines, prose)
    _subject(lines, prose, title_at)
    _table_title(lines, prose, source)
    if prose.satker is None:
        _satker_from_signer(lines, prose, source)
    _number(lines, prose, source, title_at, body_at)
    after = [(n, t) for n, t in closing or [] if t.strip()]
    prose.decided_on = _decision_date(lines, after, prose, source)
    return prose


def _decree_title(lines: Lines, prose: Prose) -> int:
    """``KEPUTUSAN <issuer>`` with the issuer's next line when the name goes on there."""
    for i, (_, text) in enumerate(lines):
        m = _TITLE_RE.match(text)
        if not m or re.search(r"\bINI\b", m.group(1), re.IGNORECASE):
            continue
        issuer, subject = _before_subject(_plain(m.group(1)))
        if not issuer:
            continue
        if i + 1 < len(lines) and not subject:
            nxt, _ = _before_subject(_plain(lines[i + 1][1]))
            if nxt and nxt.upper() == nxt and len(nxt) < 60 and not _YEAR_RE.search(nxt):
                issuer = f"{issuer} {nxt}"
        prose.satker = display_name(issuer)
        return i
    return -1


def _subject(lines: Lines, prose: Prose, title_at: int) -> int:
    """The decree's subject (after TENTANG, up to where its body begins): kind and year."""
    for i in range(max(title_at, 0), min(len(lines), max(title_at, 0) + 8)):
        no, text = lines[i]
        if _BODY_RE.match(text) and not _TITLE_RE.match(text):
            break
        m = re.match(_LEAD + r"(?:TENTANG\b)(.*)$", text, re.IGNORECASE)
        if not m and (i == title_at or text.upper() == text):
            # a copied title: "… KABUPATEN SAROLANGUN TENTANG RENCANA AKSI" on one line
            m = re.search(r"\sTENTANG\b(.*)$", text, re.IGNORECASE)
        if not m:
            continue
        block = [_plain(m.group(1))]
        for _, nxt in lines[i + 1: i + 8]:
            if _BODY_RE.match(nxt) or re.match(_LEAD + r"(LAMPIRAN|SALINAN)\b", nxt,
                                               re.IGNORECASE):
                break
            block.append(_plain(nxt))
            if _YEAR_RE.search(nxt):
                break
        prose.title = " ".join(b for b in block if b)
        years = _YEAR_RE.findall(prose.title)
        if years:
            prose.year = int(years[-1])
        prose.kind = kind_of(prose.title)
        return i
    return -1


def _before_subject(text: str) -> tuple[str, bool]:
    """The issuer's part of a title line and whether the line goes on with the decree's
    number or subject: a copied title runs ``… KABUPATEN SAROLANGUN TENTANG RENCANA
    AKSI`` on one line, and ``TENTANG …`` is never part of the satker's name."""
    m = re.search(r"(?:^|\s)(?:NOMOR|TENTANG)\b", text, re.IGNORECASE)
    return (text[:m.start()].strip(" ,:"), True) if m else (text, False)


def _table_title(lines: Lines, prose: Prose, source: str) -> None:
    """``RENCANA AKSI … <satker> TAHUN YYYY`` right above the table: checks the decree
    title against it, and stands in for what the decree title lacks (flagged)."""
    idx = next((i for i in range(len(lines) - 1, max(-1, len(lines) - 12), -1)
                if re.match(_LEAD + r"RENCANA\s+AKSI\b", lines[i][1], re.IGNORECASE)), None)
    if idx is None:
        return
    no = lines[idx][0]
    parts = [_plain(lines[idx][1])]
    for _, text in lines[idx + 1: idx + 3]:
        if parts and _YEAR_RE.search(parts[-1]):
            break
        parts.append(_plain(text))
    title = " ".join(parts).upper()
    at = f"{source}:{no}"
    kind = kind_of(title)
    years = _YEAR_RE.findall(title)
    year = int(years[-1]) if years else None
    satker = _satker_in(title)
    if prose.kind is None:
        prose.kind = kind
    elif kind is not None and kind != prose.kind:
        prose.warnings.append(f"{at}: judul tabel menyebut {kind}, judul keputusan "
                              f"{prose.kind}; dipakai {prose.kind}")
    if prose.year is None and year is not None:
        prose.year = year
        prose.warnings.append(f"{at}: tahun rencana diambil dari judul tabel ({year})")
    elif year is not None and prose.year is not None and year != prose.year:
        prose.warnings.append(f"{at}: judul tabel menyebut tahun {year}, judul keputusan "
                              f"{prose.year}; dipakai {prose.year}")
    if prose.satker is None and satker:
        prose.satker = display_name(satker)
        prose.warnings.append(f"{at}: nama satker diambil dari judul tabel "
                              f"({prose.satker}); judul KEPUTUSAN tidak ditemukan")
    elif prose.satker and satker and region_of(satker) and \
            region_of(satker) != region_of(prose.satker):
        prose.warnings.append(f"{at}: judul tabel menyebut '{display_name(satker)}', judul "
                              f"keputusan '{prose.satker}'; dipakai nama dari judul keputusan")


def _satker_in(title: str) -> str:
    """The institution named in a table title, up to ``TAHUN``."""
    text = re.sub(r"\s+TAHUN\s+\d{4}.*$", "", title)
    lingkungan = re.search(r"\bDI\s+LINGKUNGAN\s+(.+)$", text)
    if lingkungan:
        return lingkungan.group(1)
    m = _INSTITUTION_RE.search(text)
    return text[m.start():] if m else ""


def _satker_from_signer(lines: Lines, prose: Prose, source: str) -> None:
    for no, text in lines:
        m = _HEAD_RE.match(text)
        if m and _REGION_RE.search(m.group(1)):
            prose.satker = display_name(m.group(1))
            prose.warnings.append(f"{source}:{no}: nama satker diambil dari jabatan penanda "
                                  "tangan (judul KEPUTUSAN tidak ditemukan)")
            return


def _number(lines: Lines, prose: Prose, source: str, title_at: int, body_at: int) -> None:
    """``NOMOR 74 TAHUN 2025`` under the title; an empty one falls back to the number of
    the attachment (LAMPIRAN … NOMOR), flagged. Citations never count: only lines that
    are a whole NOMOR line, in the title block or the attachment's heading."""
    numbers: list[tuple[int, str]] = []
    lampiran = next((i for i, (_, t) in enumerate(lines)
                     if re.match(_LEAD + r"LAMPIRAN\b", t, re.IGNORECASE)), len(lines))
    for i, (no, text) in enumerate(lines):
        if not (max(title_at, 0) <= i < max(body_at, title_at + 1) or i > lampiran):
            continue
        m = _NUMBER_RE.match(text)
        if m and len(text) < 80:
            numbers.append((no, m.group(1).strip(" :")))
    first_no = numbers[0][0] if numbers else (lines[title_at][0] if title_at >= 0 else 1)
    if numbers and numbers[0][1]:
        prose.number = numbers[0][1]
        return
    later = next((n for n in numbers[1:] if n[1]), None)
    if later:
        prose.number = later[1]
        prose.warnings.append(f"{source}:{first_no}: nomor keputusan kosong; diambil dari "
                              f"baris {later[0]} ({later[1]})")
    elif numbers:
        prose.warnings.append(f"{source}:{first_no}: nomor keputusan kosong; dibiarkan kosong")
    else:
        prose.warnings.append(f"{source}:{first_no}: nomor keputusan tidak ditemukan "
                              "(diharapkan baris 'NOMOR … TAHUN …' di bawah judul)")


def _date_from(match: re.Match[str]) -> date | None:
    word = match.group(2).lower()
    month = MONTH_WORDS.get(word) or fuzzy_month(word)
    if month is None:
        return None
    try:
        return date(int(match.group(3)), month, int(match.group(1)))
    except ValueError:
        return None


def _decision_date(lines: Lines, closing: Lines, prose: Prose, source: str) -> date | None:
    """``Ditetapkan di … pada tanggal 8 Desember 2025``: before the table, else after it.
    Only a date next to *Ditetapkan* (or on a line of its own) counts, never one cited."""
    every = [*lines, *closing]
    near: set[int] = set()
    for i, (_, text) in enumerate(every):
        if re.search(r"\bditetapkan\b", text, re.IGNORECASE):
            near.update(range(i, i + 4))
    for i, (no, text) in enumerate(every):
        m = _DATE_LINE_RE.match(text) or (_DATE_RE.search(text) if i in near else None)
        if not m:
            continue
        found = _date_from(m)
        if found is None:
            prose.warnings.append(f"{source}:{no}: tanggal penetapan tidak sah "
                                  f"('{m.group(0).strip()}'); dibiarkan kosong")
        return found
    last = lines[-1][0] if lines else 1
    prose.warnings.append(f"{source}:1: tanggal penetapan tidak ditemukan (dicari di baris "
                          f"1–{last} dan sesudah tabel, 'pada tanggal …'); dibiarkan kosong")
    return None
