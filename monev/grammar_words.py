"""The target-time grammar's vocabulary: month names and their variants, typo matching,
and the phrases rewritten to marker tokens before a text is split into words.

Pure, like :mod:`monev.grammar`, which reads the token stream this module makes."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from monev.periods import MONTH_NAMES_ID

MONTH_WORDS: dict[str, int] = {}
for _num, _names in enumerate(
    (
        ("januari", "jan", "january", "janu"),
        ("februari", "pebruari", "feb", "peb", "febuari", "februay", "february", "pebr"),
        ("maret", "mar", "march", "mart"),
        ("april", "apr", "april"),
        ("mei", "may"),
        ("juni", "jun", "june"),
        ("juli", "jul", "july"),
        ("agustus", "agt", "agu", "ags", "agst", "agus", "aug", "august", "augustus"),
        ("september", "sep", "sept", "spt", "sepr"),
        ("oktober", "okt", "oct", "october", "oktb"),
        ("november", "nopember", "nov", "nop", "novemb"),
        ("desember", "des", "dec", "december", "desem"),
    ),
    start=1,
):
    for _w in _names:
        MONTH_WORDS[_w] = _num

_FULL_MONTHS = {name.lower(): i for i, name in enumerate(MONTH_NAMES_ID, start=1)}
_FULL_MONTHS.update({"pebruari": 2, "nopember": 11})

ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
ORDINAL = {"pertama": 1, "kesatu": 1, "kedua": 2, "ketiga": 3, "keempat": 4, "kelima": 5}
QUARTER_WORDS = {"triwulan", "tw", "kuartal", "triwulanan", "twl", "trw"}
SEMESTER_WORDS = {"semester", "semesteran", "smt", "sem"}
LIST_WORDS = {"dan", "serta", "atau"}
# Words that never change what a text means. Words that do (``mulai``, ``awal``,
# ``kecuali``, a bare ``minggu``) are markers or stay unknown, and so flagged.
NOISE = {
    "tahun", "thn", "th", "setiap", "tiap", "per", "pada", "bulan", "bln", "di", "ke",
    "dilaksanakan", "pelaksanaan", "kegiatan", "target", "waktu", "masa", "periode",
    "secara", "berkala", "rutin", "anggaran", "ta", "yang", "untuk", "akhir", "s", "d",
}
WEEK_WORDS = {"pertama": 1, "kedua": 2, "ketiga": 3, "keempat": 4, "kelima": 5,
              "terakhir": 5, "i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5}

_MONTH_ALT = r"(?:januari|februari|pebruari|maret|april|mei|juni|juli|agustus|september" \
    r"|oktober|november|nopember|desember|jan|feb|mar|apr|jun|jul|agt|agu|sep|okt|nov|des)\b"
_DAY = r"(?:0?[1-9]|[12][0-9]|3[01])"
_WEEK_NO = r"(?:[0-9]+|i{1,3}|iv|v|pertama|kedua|ketiga|keempat|kelima|terakhir)"


def _numeric_date(m: re.Match[str]) -> str:
    """``14/02/2026``, ``14-2-2026`` (day first, as Indonesian offices write) and ISO
    ``2026-02-14`` as words the grammar reads; an impossible month stays as written."""
    if m.group("iy"):
        year, month, day = m.group("iy"), int(m.group("im")), int(m.group("id"))
    else:
        year, month, day = m.group("y"), int(m.group("m")), int(m.group("d"))
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        return m.group(0)
    return f" @day{day} {MONTH_NAMES_ID[month - 1].lower()} {year} "


def _numeric_month(m: re.Match[str]) -> str:
    """``10/2025``: a month and its year."""
    return f" {MONTH_NAMES_ID[int(m.group(1)) - 1].lower()} {m.group(2)} "


_TO = r"(?:-|s\s*/\s*d\b\.?|s\.\s*d\b\.?|sd\b|sampai(?:\s+dengan)?\b|hingga\b)"
_CADENCE = r"(?:setiap|tiap(?:-tiap)?|per)\s*-?\s*"

# Phrases rewritten to marker tokens before splitting into words, in this order.
_PHRASES: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"<[^>]*>"), " "),
    (re.compile(r"[\u2013\u2014\u2012\u2212]"), "-"),
    (re.compile(r"\b(?:(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})"
                r"|(?P<d>\d{1,2})(?P<sep>[/.-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4}))\b"),
     _numeric_date),
    (re.compile(r"\b(0[1-9]|1[0-2])\s*/\s*(\d{4})\b"), _numeric_month),
    (re.compile(r"\bpaling\s*-?\s*lambat\b|\bselambat-?lambatnya\b|\bselambatnya\b"
                r"|\bbatas\s+akhir\b|\bdeadline\b"), " @deadline "),
    (re.compile(r"\bkecuali\b|\bselain\b|\btidak\s+termasuk\b"), " @except "),
    (re.compile(r"\bmulai(?:\s+dari)?\b|\bsejak\b|\bdari\b"), " @from "),
    (re.compile(r"\bawal\s+tahun\b"), " @early januari "),
    (re.compile(r"\bpertengahan\s+tahun\b"), " juni "),
    (re.compile(r"\bakhir\s+tahun\b"), " desember "),
    # "awal Maret", "awal bulan Maret", "awal triwulan II": early in that period
    (re.compile(r"\bawal\s+(?:bulan\s+)?(?=" + _MONTH_ALT
                + r"|triwulan|tw\b|kuartal|semester)"), " @early "),
    (re.compile(r"\bpertengahan\s+(?:bulan\s+)?(?=" + _MONTH_ALT + r")"), " @day15 "),
    (re.compile(r"\b" + _CADENCE + r"awal\s+bulan(?:nya)?\b|\bawal\s+bulan(?:nya)?\b"),
     " @monthly @earlymonth "),
    (re.compile(r"\b" + _CADENCE + r"pertengahan\s+bulan(?:nya)?\b"
                r"|\bpertengahan\s+bulan(?:nya)?\b"),
     " @monthly @dom15 "),
    (re.compile(r"\b" + _CADENCE + r"(?:akhir\s+)?bulan(?:nya)?\b|\bperbulan\b|\bbulanan\b"
                r"|\bmonthly\b"), " @monthly "),
    (re.compile(r"\bq\s*-?\s*([1-4])\b"), r" triwulan \1 "),
    (re.compile(r"\b(?:minggu|pekan)\s*(?:ke)?\s*-?\s*([0-9]+|i{1,3}|iv|v)\b"), r" @week\1 "),
    (re.compile(r"\b(?:minggu|pekan)\s+(pertama|kedua|ketiga|keempat|kelima|terakhir)\b"),
     r" @week\1 "),
    # "minggu ke-1 dan ke-3": the second week shares the word "minggu"
    (re.compile(r"(@week\w+\s*(?:,|dan|serta|&|/)\s*)ke\s*-?\s*([0-9]+|i{1,3}|iv|v)\b"),
     r"\1 @week\2 "),
    (re.compile(r"(@week\w+\s*(?:,|dan|serta|&|/)\s*)ke\s*-?\s*([0-9]+|i{1,3}|iv|v)\b"),
     r"\1 @week\2 "),
    (re.compile(r"\b" + _CADENCE + r"(?:minggu|pekan)\b(?!\s*(?:ke\b|-|\d|" + _WEEK_NO
                + r"))|\bmingguan\b|\bperminggu\b|\bseminggu\s+sekali\b"), " @everyweek "),
    # "10-15 Maret": the span ends on the 15th; "tanggal 10 Maret", "10 Maret"
    (re.compile(r"\b(?:tanggal\s+|tgl\.?\s*)?" + _DAY + r"\s*" + _TO + r"\s*(" + _DAY
                + r")\s+(?=" + _MONTH_ALT + r")"), r" @day\1 "),
    (re.compile(r"\b(?:tanggal\s+|tgl\.?\s*)?(" + _DAY + r")\s+(?=" + _MONTH_ALT + r")"),
     r" @day\1 "),
    # "tanggal 10" with no month after it: that day of every month read
    (re.compile(r"\b" + _CADENCE + r"(?:tanggal|tgl\.?)\s*(" + _DAY + r")\b(?!\s*" + _MONTH_ALT
                + ")"), r" @monthly @dom\1 "),
    (re.compile(r"\b(?:tanggal|tgl\.?)\s*(" + _DAY + r")\b"), r" @dom\1 "),
    (re.compile(r"\bs\s*/\s*d\b\.?|\bs\.\s*d\b\.?|\bsd\b|\bsampai(?:\s+dengan)?\b|\bhingga\b"),
     " ~ "),
)
TOKEN_RE = re.compile(r"@\w+|~|\d{4}-\d{2}(?:-w[1-5])?|\d+|[a-z]+|[,;/&+\-]")


def normalise(text: str) -> str:
    """Lower case, with every known phrase rewritten to its marker token."""
    out = text.lower().replace("@", " ")  # "@" starts the markers below, never the text's
    for pattern, repl in _PHRASES:
        out = pattern.sub(repl, out)
    return out


def tokens(text: str) -> list[str]:
    return TOKEN_RE.findall(normalise(text))


def week_number(marker: str) -> int | None:
    raw = marker[len("@week"):]
    if raw.isdigit():
        return int(raw)
    return WEEK_WORDS.get(raw)


def _edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Damerau-Levenshtein distance (optimal string alignment), capped at limit+1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return min(prev[-1], limit + 1)


@lru_cache(maxsize=8192)
def fuzzy_month(word: str) -> int | None:
    """A month for an obvious typo (``okttober``), or None when unsure (cached: copied
    text asks it of every word at the end of every line)."""
    if len(word) < 5:
        return None
    limit = 1 if len(word) < 7 else 2
    best: dict[int, int] = {}
    for name, num in _FULL_MONTHS.items():
        dist = _edit_distance(word, name, limit)
        if dist <= limit:
            best[num] = min(best.get(num, dist), dist)
    if not best:
        return None
    low = min(best.values())
    winners = [m for m, d in best.items() if d == low]
    return winners[0] if len(winners) == 1 else None
