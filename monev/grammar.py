"""Target-time grammar: the free text of a plan's *target waktu* cell → periods.

Pure: no I/O, no clock. ``read_target(text, year, policy)`` never raises; whatever it
cannot read or had to guess is reported in ``warnings`` (Bahasa Indonesia, without
file or line — the importer prefixes those).

Documented resolutions of doubtful input (each one also flagged):
- two month names side by side without a separator (``Januari Desember``) are read
  as a list, not a range;
- a year more than one year away from the plan year is taken as the plan year; a year
  one away (``Januari 2025`` in a 2026 plan) is kept — either way it is flagged (a copy
  from last year's plan is the usual cause);
- a range whose end lies before its start crosses the new year (the open end takes
  the neighbouring year); with both years written, the two ends are swapped;
- a year with no month (``Tahun 2025``) means December of that year;
- a week number above 5 is ignored (the whole month is meant);
- a day of the month (``1 Januari - 31 Desember``) is dropped: periods are months;
- under *paling lambat* each listed month is a deadline and a range gives its last
  month (``Paling lambat Januari dan Juni`` → January and June);
- a week with a monthly cadence (``Minggu ke-2 setiap bulan``) is that week of every
  month of the plan year.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from monev.periods import MONTH_NAMES_ID, Period, quarter_end, semester_end

RangePolicy = Literal["monthly", "end"]
RANGE_POLICIES: tuple[RangePolicy, ...] = ("monthly", "end")


@dataclass(frozen=True)
class TargetReading:
    """What one target-time text means: its periods (sorted, unique) and doubts."""

    periods: tuple[Period, ...]
    warnings: tuple[str, ...]


# --- vocabulary -------------------------------------------------------------------

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

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_ORDINAL = {"pertama": 1, "kesatu": 1, "kedua": 2, "ketiga": 3, "keempat": 4, "kelima": 5}
_QUARTER_WORDS = {"triwulan", "tw", "kuartal", "triwulanan", "twl", "trw"}
_SEMESTER_WORDS = {"semester", "semesteran", "smt", "sem"}
_LIST_WORDS = {"dan", "serta", "atau"}
_NOISE = {
    "tahun", "thn", "th", "setiap", "tiap", "per", "pada", "bulan", "bln", "mulai", "dari",
    "di", "ke", "dilaksanakan", "pelaksanaan", "kegiatan", "target", "waktu", "tanggal",
    "tgl", "masa", "periode", "sekali", "satu", "kali", "secara", "berkala", "rutin",
    "anggaran", "ta", "yang", "untuk", "minggu", "pekan", "akhir", "awal", "s", "d",
}

_MONTH_ALT = r"(?:januari|februari|pebruari|maret|april|mei|juni|juli|agustus|september" \
    r"|oktober|november|nopember|desember|jan|feb|mar|apr|jun|jul|agt|agu|sep|okt|nov|des)\b"

# Phrases rewritten to marker tokens before splitting into words.
_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"<[^>]*>"), " "),
    (re.compile(r"[\u2013\u2014\u2012\u2212]"), "-"),
    (re.compile(r"\bpaling\s*-?\s*lambat\b|\bselambat-?lambatnya\b|\bselambatnya\b"
                r"|\bbatas\s+akhir\b|\bdeadline\b"), " @deadline "),
    (re.compile(r"\b(?:setiap|tiap(?:-tiap)?|per)\s*-?\s*(?:(?:akhir|awal|pertengahan)\s+)?"
                r"bulan(?:nya)?\b|\bperbulan\b|\bbulanan\b|\bmonthly\b"), " @monthly "),
    (re.compile(r"\bq\s*-?\s*([1-4])\b"), r" triwulan \1 "),
    (re.compile(r"\b(?:minggu|pekan)\s*(?:ke)?\s*-?\s*([0-9]+|i{1,3}|iv|v)\b"), r" @week\1 "),
    (re.compile(r"\b(?:minggu|pekan)\s+(pertama|kedua|ketiga|keempat|kelima|terakhir)\b"),
     r" @week\1 "),
    # "minggu ke-1 dan ke-3": the second week shares the word "minggu"
    (re.compile(r"(@week\w+\s*(?:,|dan|serta|&|/)\s*)ke\s*-?\s*([0-9]+|i{1,3}|iv|v)\b"),
     r"\1 @week\2 "),
    (re.compile(r"(@week\w+\s*(?:,|dan|serta|&|/)\s*)ke\s*-?\s*([0-9]+|i{1,3}|iv|v)\b"),
     r"\1 @week\2 "),
    (re.compile(r"\b(?:tanggal\s+|tgl\.?\s*)?(?:[1-9]|[12][0-9]|3[01])\s+(?=" + _MONTH_ALT
                + r")"), " "),
    (re.compile(r"\bs\s*/\s*d\b\.?|\bs\.\s*d\b\.?|\bsd\b|\bsampai(?:\s+dengan)?\b|\bhingga\b"),
     " ~ "),
    (re.compile(r"\bakhir\s+tahun\b"), " desember "),
)
_TOKEN_RE = re.compile(r"@\w+|~|\d{4}-\d{2}(?:-w[1-5])?|\d+|[a-z]+|[,;/&+\-]")
_WEEK_WORDS = {"pertama": 1, "kedua": 2, "ketiga": 3, "keempat": 4, "kelima": 5,
               "terakhir": 5, "i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5}


@dataclass
class _MonthRef:
    month: int
    year: int | None = None
    weeks: list[int] = field(default_factory=list)  # none: the whole month
    own_year: bool = False  # the year was written right after this month


@dataclass
class _Range:
    start: _MonthRef
    end: _MonthRef


@dataclass
class _State:
    """Everything collected from the token stream before resolution."""

    entries: list[_MonthRef | _Range] = field(default_factory=list)
    refs: list[_MonthRef] = field(default_factory=list)
    quarters: list[int] = field(default_factory=list)
    semesters: list[int] = field(default_factory=list)
    quarter_cadence: bool = False
    semester_cadence: bool = False
    monthly: bool = False
    deadline: bool = False
    leading_weeks: list[int] = field(default_factory=list)  # weeks before any month
    years: list[int] = field(default_factory=list)
    canonical: list[Period] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


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


def _normalise(text: str) -> str:
    out = text.lower()
    for pattern, repl in _PHRASES:
        out = pattern.sub(repl, out)
    return out


def _week_number(marker: str) -> int | None:
    raw = marker[len("@week"):]
    if raw.isdigit():
        return int(raw)
    return _WEEK_WORDS.get(raw)


def _collect(text: str) -> _State:
    st = _State()
    since_year: list[_MonthRef] = []  # refs waiting for a following year
    since_week: list[_MonthRef] = []  # refs waiting for a following week marker
    week_refs: list[_MonthRef] = []  # refs the last week marker went to ("dan ke-3")
    pending: _MonthRef | None = None  # a month followed by a range connector
    last = ""  # kind of the previous significant token
    numeral_mode = ""  # "q" or "s" right after a quarter/semester word
    numeral_range = False  # a numeral range is open ("Triwulan I-III")
    leading_weeks = st.leading_weeks  # weeks written before any month ("minggu ke-2 Januari")

    def flush() -> None:
        nonlocal pending
        if pending is not None:
            st.entries.append(pending)
            pending = None

    for tok in _TOKEN_RE.findall(_normalise(text)):
        if tok in ("~", "-"):
            tail = st.entries[-1] if st.entries else None
            if last in ("month", "year") and isinstance(tail, _MonthRef):
                flush()
                st.entries.pop()
                pending = tail
            numeral_range = last == "numeral"
            last = "range"
            continue
        if tok in {",", ";", "/", "&", "+"} or tok in _LIST_WORDS:
            flush()
            numeral_range = False
            if last != "week":
                last = "list"
            continue
        if tok == "@deadline":
            st.deadline = True
            continue
        if tok == "@monthly":
            st.monthly = True
            continue
        if tok.startswith("@week"):
            week = _week_number(tok)
            targets = since_week or (week_refs if last == "week" else [])
            if week is None or not 1 <= week <= 5:
                st.warnings.append(f"minggu ke-{tok[5:]} tidak ada (1–5); diabaikan")
            elif targets:
                for ref in targets:
                    ref.weeks.append(week)
                week_refs = targets
            else:
                leading_weeks.append(week)
            since_week = []
            last = "week"
            continue
        kind = _classify(tok, numeral_mode, st)
        if kind == "noise":
            continue
        if kind == "year":
            year = int(tok)
            st.years.append(year)
            for ref in since_year:
                ref.year = year
            if since_year and last == "month":
                since_year[-1].own_year = True
            since_year = []
        elif kind == "numeral":
            value = int(tok) if tok.isdigit() else (_ROMAN.get(tok) or _ORDINAL[tok])
            _add_numeral(st, numeral_mode, value, numeral_range)
            numeral_range = False
        elif kind in ("quarter", "semester"):
            numeral_mode = "q" if kind == "quarter" else "s"
            if kind == "quarter":
                st.quarter_cadence = True
            else:
                st.semester_cadence = True
        elif kind == "month":
            ref = _MonthRef(_month_of(tok, st), weeks=list(leading_weeks))
            st.refs.append(ref)
            since_year.append(ref)
            since_week.append(ref)
            if last == "week":
                last = "list"
            if pending is not None and last == "range":
                st.entries.append(_Range(pending, ref))
                pending = None
            else:
                flush()
                if last == "month":
                    st.warnings.append(
                        "dua bulan berdampingan tanpa pemisah; dibaca sebagai daftar")
                st.entries.append(ref)
        if kind not in ("numeral", "quarter", "semester"):
            numeral_mode = ""
        if kind not in ("month", "year"):
            flush()
        last = kind
    flush()
    return st


def _classify(tok: str, numeral_mode: str, st: _State) -> str:
    """Kind of one word or number token; records unreadable ones in ``st``."""
    if re.fullmatch(r"\d{4}-\d{2}(?:-w[1-5])?", tok):
        try:
            period = Period.parse(tok.upper())
        except ValueError:
            period = None
        if period is None or not 1900 <= period.year <= 2199:
            st.unknown.append(tok)
            return "unknown"
        st.canonical.append(period)
        return "canonical"
    if tok.isdigit():
        value = int(tok)
        if len(tok) == 4 and 1900 <= value <= 2199:
            return "year"
        if numeral_mode and 1 <= value <= 9:
            return "numeral"
        st.unknown.append(tok)
        return "unknown"
    if tok in _QUARTER_WORDS:
        return "quarter"
    if tok in _SEMESTER_WORDS:
        return "semester"
    if numeral_mode and (tok in _ROMAN or tok in _ORDINAL):
        return "numeral"
    if tok in MONTH_WORDS:
        return "month"
    if tok in _NOISE:
        return "noise"
    if fuzzy_month(tok) is not None:
        return "month"
    st.unknown.append(tok)
    return "unknown"


def _month_of(tok: str, st: _State) -> int:
    month = MONTH_WORDS.get(tok)
    if month is None:
        month = fuzzy_month(tok)
        assert month is not None
        st.warnings.append(f"ejaan '{tok}' dibaca sebagai {MONTH_NAMES_ID[month - 1]}")
    return month


def _add_numeral(st: _State, mode: str, value: int, as_range_end: bool) -> None:
    target = st.quarters if mode == "q" else st.semesters
    limit = 4 if mode == "q" else 2
    if value > limit:
        st.warnings.append(f"{'triwulan' if mode == 'q' else 'semester'} {value} tidak ada")
        return
    if as_range_end and target:
        start = target[-1]
        target.extend(range(start + 1, value + 1))
    else:
        target.append(value)


def _settle_year(ref: _MonthRef, plan_year: int, st: _State) -> None:
    if ref.year is None:
        ref.year = plan_year
    elif abs(ref.year - plan_year) > 1:
        st.warnings.append(
            f"tahun {ref.year} jauh dari tahun rencana {plan_year}; dianggap {plan_year}")
        ref.year = plan_year


def _months_between(a: _MonthRef, b: _MonthRef) -> list[tuple[int, int]]:
    assert a.year is not None and b.year is not None
    out: list[tuple[int, int]] = []
    y, m = a.year, a.month
    while (y, m) <= (b.year, b.month):
        out.append((y, m))
        m += 1
        if m == 13:
            y, m = y + 1, 1
    return out


def read_target(text: str | None, year: int, policy: RangePolicy = "monthly") -> TargetReading:
    """Read one target-time text for a plan of ``year``.

    ``policy`` decides what a month range means: ``monthly`` (every month of it — the
    default, monev is monthly) or ``end`` (one deadline at its end).
    """
    raw = (text or "").strip()
    if raw.strip(" -–—.") == "":
        return TargetReading((), ("target waktu kosong; tidak ada checkpoint",))
    st = _collect(raw)
    warnings = st.warnings
    periods: set[Period] = set()

    if st.canonical:
        periods.update(p for p in st.canonical if not p.is_empty)
    for entry in st.entries:
        if isinstance(entry, _Range):
            _resolve_range(entry, year, st)
        else:
            _settle_year(entry, year, st)
    expand = (st.monthly or policy == "monthly") and not st.deadline
    for entry in st.entries:
        if isinstance(entry, _Range):
            span = _months_between(entry.start, entry.end)
            chosen = span if expand else span[-1:]
            weeks = entry.end.weeks or entry.start.weeks or [0]
            periods.update(Period(y, m, w) for y, m in chosen for w in weeks)
        else:
            assert entry.year is not None
            periods.update(Period(entry.year, entry.month, w) for w in entry.weeks or [0])

    cadence_year = _cadence_year(st, year)
    if not st.entries and not st.canonical:
        if st.quarters:
            periods.update(Period(cadence_year, quarter_end(q)) for q in st.quarters)
        elif st.quarter_cadence:
            periods.update(Period(cadence_year, quarter_end(q)) for q in (1, 2, 3, 4))
        if st.semesters:
            periods.update(Period(cadence_year, semester_end(s)) for s in st.semesters)
        elif st.semester_cadence:
            periods.update(Period(cadence_year, semester_end(s)) for s in (1, 2))
        if not periods and st.monthly:
            weeks = st.leading_weeks or [0]
            periods.update(Period(cadence_year, m, w) for m in range(1, 13) for w in weeks)
        if not periods and st.years:
            periods.add(Period(cadence_year, 12))
            warnings.append(f"hanya tahun tanpa bulan; dianggap Desember {cadence_year}")

    empty = sorted(p for p in periods if p.is_empty)
    for p in empty:
        month = f"{MONTH_NAMES_ID[p.month - 1]} {p.year}"
        warnings.append(f"minggu ke-5 {month} tidak memiliki hari; diabaikan")
        periods.discard(p)
    if st.unknown:
        words = ", ".join(f"'{w}'" for w in _unique(st.unknown))
        if periods:
            warnings.append(f"kata tidak dikenali diabaikan: {words}")
        else:
            warnings.append(f"target waktu tidak dapat dibaca: '{raw}'")
    elif not periods:
        warnings.append(f"target waktu tidak menghasilkan checkpoint: '{raw}'")
    off = [str(p) for p in sorted(periods) if p.year != year]
    if off:
        warnings.append(f"periode {', '.join(off)} di luar tahun rencana {year}; tetap dipakai "
                        "— periksa (salinan dari rencana tahun lain?)")
    return TargetReading(tuple(sorted(periods)), tuple(_unique(warnings)))


def _cadence_year(st: _State, plan_year: int) -> int:
    if not st.years:
        return plan_year
    chosen = st.years[-1]
    if abs(chosen - plan_year) > 1:
        st.warnings.append(
            f"tahun {chosen} jauh dari tahun rencana {plan_year}; dianggap {plan_year}")
        return plan_year
    return chosen


def _resolve_range(rng: _Range, plan_year: int, st: _State) -> None:
    start, end = rng.start, rng.end
    start_given, end_given = start.own_year, end.year is not None
    if end_given:
        _settle_year(end, plan_year, st)
    if start_given:
        _settle_year(start, plan_year, st)
    if not end_given:
        end.year = start.year if start_given else plan_year
    if not start_given:
        start.year = end.year
    assert start.year is not None and end.year is not None
    if (start.year, start.month) <= (end.year, end.month):
        return
    if not start_given:
        start.year = end.year - 1
        st.warnings.append("rentang melewati pergantian tahun; awal rentang dianggap "
                           f"{MONTH_NAMES_ID[start.month - 1]} {start.year}")
    elif not end_given:
        end.year = start.year + 1
        st.warnings.append("rentang melewati pergantian tahun; akhir rentang dianggap "
                           f"{MONTH_NAMES_ID[end.month - 1]} {end.year}")
    else:
        rng.start, rng.end = end, start
        st.warnings.append("awal rentang sesudah akhirnya; kedua ujung ditukar")


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def describe_months(periods: Iterable[Period]) -> str:
    """Canonical Indonesian text for a set of periods (``April, Juli 2026``).

    Used where a plan gives no text of its own (the RB month grid); reading the
    result back with :func:`read_target` gives the same periods.
    """
    by_year: dict[int, list[Period]] = {}
    for p in sorted(set(periods)):
        by_year.setdefault(p.year, []).append(p)
    parts: list[str] = []
    for y, ps in by_year.items():
        if any(p.week for p in ps):
            parts.extend(str(p) for p in ps)
        else:
            parts.append(", ".join(MONTH_NAMES_ID[p.month - 1] for p in ps) + f" {y}")
    return ", ".join(parts)
