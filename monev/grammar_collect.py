"""First pass of the target-time grammar: the token stream of one text → what it names
(months, ranges, quarters, semesters, cadences, days, weeks, exceptions), before any
year is settled. :mod:`monev.grammar` resolves the result into periods. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from monev.grammar_words import (
    LIST_WORDS,
    MONTH_WORDS,
    NOISE,
    ORDINAL,
    QUARTER_WORDS,
    ROMAN,
    SEMESTER_WORDS,
    fuzzy_month,
    tokens,
    week_number,
)
from monev.periods import MONTH_NAMES_ID, Period


@dataclass
class MonthRef:
    month: int
    year: int | None = None
    weeks: list[int] = field(default_factory=list)  # none: the whole month
    own_year: bool = False  # the year was written right after this month
    day: int | None = None  # a day written with it ("10 Maret")
    early: bool = False  # "awal Maret": the first week
    open_start: bool = False  # "mulai Maret": from this month to the year's end
    open_end: bool = False  # "sampai Juni": from the year's start to this month


@dataclass
class Range:
    start: MonthRef
    end: MonthRef
    dash: bool = False  # written with "-" (a third dashed month makes a list)


@dataclass
class State:
    """Everything collected from the token stream before resolution."""

    entries: list[MonthRef | Range] = field(default_factory=list)
    refs: list[MonthRef] = field(default_factory=list)
    quarters: list[int] = field(default_factory=list)
    semesters: list[int] = field(default_factory=list)
    quarter_cadence: bool = False
    semester_cadence: bool = False
    monthly: bool = False
    weekly: bool = False  # "setiap minggu": every week of the months read
    early_month: bool = False  # "setiap awal bulan": the first week of each month
    early_cadence: bool = False  # "awal triwulan": the first week of each quarter/semester
    open_cadence: bool = False  # "mulai triwulan II": that quarter and the later ones
    month_day: int | None = None  # "tanggal 10" with no month: that day of every month
    deadline: bool = False
    leading_weeks: list[int] = field(default_factory=list)  # weeks before any month
    years: list[int] = field(default_factory=list)
    canonical: list[Period] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # "kecuali …": entries/quarters/semesters from these indexes on are exclusions
    except_at: tuple[int, int, int] | None = None


def collect(text: str) -> State:
    st = State()
    since_year: list[MonthRef] = []  # refs waiting for a following year
    since_week: list[MonthRef] = []  # refs waiting for a following week marker
    week_refs: list[MonthRef] = []  # refs the last week marker went to ("dan ke-3")
    pending: MonthRef | None = None  # a month followed by a range connector
    pending_dash = False  # that connector was "-"
    dash_list = False  # a "-" after a dashed range: the next month joins a list
    chain = False  # inside a list of dashed months ("Maret - Juni - September")
    last = ""  # kind of the previous significant token
    numeral_mode = ""  # "q" or "s" right after a quarter/semester word
    numeral_range = False  # a numeral range is open ("Triwulan I-III")
    day: int | None = None  # "@day" waiting for its month
    early = opening = until = False  # "awal" / "mulai" / "sampai" waiting for a month
    leading_weeks = st.leading_weeks  # weeks written before any month ("minggu ke-2 Januari")

    def flush() -> None:
        nonlocal pending
        if pending is not None:
            st.entries.append(pending)
            pending = None

    for tok in tokens(text):
        if numeral_mode and tok.startswith("@day"):
            tok = tok[4:]  # "Triwulan 1 Maret": the number belongs to the quarter
        if tok in ("~", "-"):
            tail = st.entries[-1] if st.entries else None
            if tok == "-" and last in ("month", "year") and (
                    chain or (isinstance(tail, Range) and tail.dash and pending is None)):
                dash_list = True
            elif last in ("month", "year") and isinstance(tail, MonthRef):
                flush()
                st.entries.pop()
                pending, pending_dash = tail, tok == "-"
            elif tok == "~" and last not in ("numeral", "quarter", "semester"):
                until = True  # "sampai Juni": a range without its start
            chain = chain and tok == "-"
            numeral_range = last == "numeral"
            last = "range"
            continue
        if tok in {",", ";", "/", "&", "+"} or tok in LIST_WORDS:
            flush()
            numeral_range = dash_list = chain = False
            if last != "week":
                last = "list"
            continue
        if tok.startswith("@"):
            if tok == "@except":
                flush()
                st.except_at = (len(st.entries), len(st.quarters), len(st.semesters))
                numeral_mode, last = "", "list"
            elif tok.startswith("@week"):
                week = week_number(tok)
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
            elif tok.startswith("@dom"):
                st.month_day = int(tok[4:])
            elif tok.startswith("@day"):
                day = int(tok[4:])
            else:
                early = early or tok == "@early"
                opening = opening or tok == "@from"
                st.deadline = st.deadline or tok == "@deadline"
                st.monthly = st.monthly or tok == "@monthly"
                st.weekly = st.weekly or tok == "@everyweek"
                st.early_month = st.early_month or tok == "@earlymonth"
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
            value = int(tok) if tok.isdigit() else (ROMAN.get(tok) or ORDINAL[tok])
            _add_numeral(st, numeral_mode, value, numeral_range)
            numeral_range = False
        elif kind in ("quarter", "semester"):
            numeral_mode = "q" if kind == "quarter" else "s"
            if st.except_at is None:  # "kecuali triwulan IV" names no cadence
                st.quarter_cadence = st.quarter_cadence or kind == "quarter"
                st.semester_cadence = st.semester_cadence or kind == "semester"
            st.early_cadence = st.early_cadence or early
            st.open_cadence = st.open_cadence or opening
        elif kind == "month":
            ref = MonthRef(_month_of(tok, st), weeks=list(leading_weeks), day=day,
                           early=early, open_start=opening, open_end=until)
            st.refs.append(ref)
            since_year.append(ref)
            since_week.append(ref)
            if last == "week":
                last = "list"
            if dash_list and last == "range":  # "Maret - Juni - September": a list
                tail = st.entries[-1]
                if isinstance(tail, Range):
                    st.entries[-1:] = [tail.start, tail.end]
                st.entries.append(ref)
                chain = True
            elif pending is not None and last == "range":
                st.entries.append(Range(pending, ref, pending_dash))
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
            chain = False
        dash_list = False
        day, early, opening, until = None, False, False, False
        last = kind
    if pending is not None and last == "range" and not pending_dash:
        pending.open_start = True  # "Mei s/d": a range without its end
        st.warnings.append(f"rentang tanpa akhir ('{MONTH_NAMES_ID[pending.month - 1]} "
                           "s/d …'); dianggap sampai Desember")
    flush()
    return st


def _classify(tok: str, numeral_mode: str, st: State) -> str:
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
    if tok in QUARTER_WORDS:
        return "quarter"
    if tok in SEMESTER_WORDS:
        return "semester"
    if numeral_mode and (tok in ROMAN or tok in ORDINAL):
        return "numeral"
    if tok in MONTH_WORDS:
        return "month"
    if tok in NOISE:
        return "noise"
    if fuzzy_month(tok) is not None:
        return "month"
    st.unknown.append(tok)
    return "unknown"


def _month_of(tok: str, st: State) -> int:
    month = MONTH_WORDS.get(tok)
    if month is None:
        month = fuzzy_month(tok)
        assert month is not None
        st.warnings.append(f"ejaan '{tok}' dibaca sebagai {MONTH_NAMES_ID[month - 1]}")
    return month


def _add_numeral(st: State, mode: str, value: int, as_range_end: bool) -> None:
    target = st.quarters if mode == "q" else st.semesters
    limit = 4 if mode == "q" else 2
    if value > limit:
        st.warnings.append(f"{'triwulan' if mode == 'q' else 'semester'} {value} tidak ada")
        return
    if as_range_end and target:
        start = target[-1]
        target.extend(range(start + 1, value + 1))
    elif st.open_cadence and not target:  # "mulai triwulan II": II, III and IV
        target.extend(range(value, limit + 1))
    else:
        target.append(value)
