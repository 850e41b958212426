"""Target-time grammar: the free text of a plan's *target waktu* cell → periods.

Pure: no I/O, no clock. ``read_target(text, year, policy)`` never raises; whatever it
cannot read or had to guess is reported in ``warnings`` (Bahasa Indonesia, without
file or line — the importer prefixes those). :mod:`monev.grammar_words` holds the
vocabulary, :mod:`monev.grammar_collect` the first pass over the words.

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
- an impossible day (``31 Februari``) is dropped: the whole month is meant;
- two days in one month, or a day and the whole month, keep the later due date;
- ``kecuali`` naming a month the text does not otherwise name changes nothing;
- a range without its start (``sampai Juni``) starts in January, one without its end
  (``Mei s/d``) ends in December;
- a week with only a quarter or semester cadence (``Minggu kedua setiap triwulan``) is
  ignored;
- any word the grammar does not know is ignored — and named in the flag.

Readings without doubt (not flagged): a day (``14 Februari 2026``) is its month with
that day as due date (``days``); a range's end day is the due date of its last month
(its start day only says where it starts; a month's last day is the whole month);
``mulai Maret`` runs from March to December of the plan year; ``awal Maret`` is the
first week of March, ``awal triwulan`` the first week of each quarter; ``pertengahan
Maret`` is 15 March; ``Maret - Juni - September`` (three or more months joined by
dashes) is a list; ``kecuali`` removes the months it names; under *paling lambat* each
listed month is a deadline and a range gives its last month; a week with a monthly
cadence (``Minggu ke-2 setiap bulan``) is that week of every month of the plan year;
``setiap minggu`` is every week (1–5) of the months read; ``setiap tanggal 10`` is the
10th of every month; ``Per triwulan mulai April`` is the quarter ends from April on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from monev.grammar_collect import MonthRef, Range, State, collect
from monev.grammar_words import MONTH_WORDS, fuzzy_month
from monev.periods import MONTH_NAMES_ID, Period, quarter_end, semester_end

__all__ = ["MONTH_WORDS", "RANGE_POLICIES", "RangePolicy", "TargetReading", "describe_months",
           "fuzzy_month", "read_target"]

RangePolicy = Literal["monthly", "end"]
RANGE_POLICIES: tuple[RangePolicy, ...] = ("monthly", "end")


@dataclass(frozen=True)
class TargetReading:
    """What one target-time text means: its periods (sorted, unique) and doubts.
    ``days`` holds the day written for a period (``14 Februari`` → 2026-02: 14 Feb);
    such a period falls due that day instead of at its end."""

    periods: tuple[Period, ...]
    warnings: tuple[str, ...]
    days: Mapping[Period, date] = field(default_factory=dict)


def _label(year: int, month: int) -> str:
    return f"{MONTH_NAMES_ID[month - 1]} {year}"


class _Found:
    """Periods read so far, with the days written for some of them."""

    def __init__(self, st: State) -> None:
        self.st = st
        self.periods: set[Period] = set()
        self.days: dict[Period, date] = {}
        self.whole: set[Period] = set()  # added without a day

    def add(self, p: Period, day: int | None = None) -> None:
        self.periods.add(p)
        if day is None or p.week:
            self.whole.add(p)
            return
        if day > p.days_in_month:
            self.st.warnings.append(f"tanggal {day} {_label(p.year, p.month)} tidak ada; "
                                    "dibaca sebagai seluruh bulan")
            self.whole.add(p)
            return
        when = date(p.year, p.month, day)
        if p in self.days and self.days[p] != when:
            when = max(when, self.days[p])
            self.st.warnings.append(f"dua tanggal dalam {_label(p.year, p.month)}; tenggat "
                                    f"tanggal {when.day}")
        self.days[p] = when

    def settle(self) -> dict[Period, date]:
        for p in sorted(set(self.days) & self.whole):
            self.st.warnings.append(f"{_label(p.year, p.month)} ditulis dengan tanggal dan "
                                    "juga sebagai seluruh bulan; tenggat akhir bulan")
            del self.days[p]
        return {p: d for p, d in self.days.items() if p in self.periods}

    def reshape(self, weeks: Iterable[int]) -> None:
        """Whole months without a day become the given weeks of them."""
        wanted = tuple(weeks)
        for p in sorted(self.periods):
            if p.week == 0 and p not in self.days:
                self.periods.discard(p)
                self.whole.discard(p)
                for w in wanted:
                    q = Period(p.year, p.month, w)
                    if not (q.is_empty and len(wanted) > 1):  # "setiap minggu": no empty week
                        self.add(q)


def read_target(text: str | None, year: int, policy: RangePolicy = "monthly") -> TargetReading:
    """Read one target-time text for a plan of ``year``.

    ``policy`` decides what a month range means: ``monthly`` (every month of it — the
    default, monev is monthly) or ``end`` (one deadline at its end).
    """
    raw = (text or "").strip()
    if raw.strip(" -–—.") == "":
        return TargetReading((), ("target waktu kosong; tidak ada checkpoint",))
    st = collect(raw)
    warnings = st.warnings
    cut = st.except_at or (len(st.entries), len(st.quarters), len(st.semesters))
    entries, excluded = st.entries[:cut[0]], st.entries[cut[0]:]
    found = _Found(st)
    for p in st.canonical:
        if not p.is_empty:
            found.add(p)
    cadence_from = None
    if entries and all(isinstance(e, MonthRef) and e.open_start for e in entries) and (
            st.quarter_cadence or st.semester_cadence) and not st.monthly:
        first = entries[0]  # "Per triwulan mulai April": the cadence from that month on
        assert isinstance(first, MonthRef)
        _settle_entry(first, year, st)
        cadence_from, entries = (first.year, first.month), []
    for entry in entries:
        _settle_entry(entry, year, st)
    # "Januari-Desember kecuali Juli" means every month of the range, whatever the policy
    expand = (st.monthly or policy == "monthly" or bool(excluded)) and not st.deadline
    for entry in entries:
        _add_entry(entry, year, expand, found)

    cadence_year = _cadence_year(st, year)
    if not entries and not st.canonical:
        _add_cadence(st, cadence_year, st.quarters[:cut[1]], st.semesters[:cut[2]], found)
        if cadence_from is not None:
            found.periods = {p for p in found.periods if (p.year, p.month) >= cadence_from}
    if st.early_month:
        found.reshape([1])
    if st.weekly:
        found.reshape(range(1, 6))
    if st.month_day is not None:
        for p in sorted(found.periods):
            if p.week == 0 and p not in found.days and p in found.whole:
                found.whole.discard(p)
                found.add(p, min(st.month_day, p.days_in_month))
    if st.except_at is not None:
        _exclude(st, excluded, st.quarters[cut[1]:], st.semesters[cut[2]:], year,
                 cadence_year, found)
    periods = found.periods
    for p in sorted(p for p in periods if p.is_empty):
        warnings.append(f"minggu ke-5 {_label(p.year, p.month)} tidak memiliki hari; diabaikan")
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
    days = found.settle()
    return TargetReading(tuple(sorted(periods)), tuple(_unique(warnings)), days)


def _settle_entry(entry: MonthRef | Range, year: int, st: State) -> None:
    if isinstance(entry, Range):
        _resolve_range(entry, year, st)
    else:
        _settle_year(entry, year, st)


def _add_entry(entry: MonthRef | Range, year: int, expand: bool, found: _Found) -> None:
    if isinstance(entry, MonthRef) and entry.open_start:  # "mulai Maret": to December
        assert entry.year is not None
        end = MonthRef(12, max(year, entry.year), weeks=entry.weeks)
        entry = Range(MonthRef(entry.month, entry.year, weeks=entry.weeks), end)
    elif isinstance(entry, MonthRef) and entry.open_end:  # "sampai Juni": from January
        assert entry.year is not None
        found.st.warnings.append(f"rentang tanpa awal ('s/d {_label(entry.year, entry.month)}'"
                                 f"); dianggap mulai Januari {entry.year}")
        entry = Range(MonthRef(1, entry.year, weeks=entry.weeks), entry)
    if isinstance(entry, Range):
        span = _months_between(entry.start, entry.end)
        chosen = span if expand else span[-1:]
        weeks = entry.end.weeks or entry.start.weeks or [0]
        end_day = entry.end.day  # the range's last day; its month's last day is the month
        if end_day is not None and end_day == Period(*span[-1]).days_in_month:
            end_day = None
        for y, m in chosen:
            day = end_day if (y, m) == span[-1] else None
            for w in weeks:
                found.add(Period(y, m, w), day)
        return
    assert entry.year is not None
    weeks = entry.weeks or ([1] if entry.early else [0])
    if entry.day is not None and weeks != [0]:
        found.st.warnings.append(f"tanggal {entry.day} diabaikan: minggu "
                                 f"{_label(entry.year, entry.month)} sudah ditulis")
    for w in weeks:
        found.add(Period(entry.year, entry.month, w), entry.day)


def _add_cadence(st: State, year: int, quarters: list[int], semesters: list[int],
                 found: _Found) -> None:
    """Quarters, semesters, a monthly cadence or a bare year: no month was written."""
    early = st.early_cadence
    if st.leading_weeks and (quarters or semesters or st.quarter_cadence
                             or st.semester_cadence):
        weeks = ", ".join(str(w) for w in st.leading_weeks)
        st.warnings.append(f"minggu ke-{weeks} tanpa bulan yang jelas; diabaikan")
    if quarters or st.quarter_cadence:
        for q in quarters or [1, 2, 3, 4]:
            found.add(Period(year, 3 * q - 2, 1) if early else Period(year, quarter_end(q)))
    if semesters or st.semester_cadence:
        for s in semesters or [1, 2]:
            found.add(Period(year, 6 * s - 5, 1) if early else Period(year, semester_end(s)))
    if not found.periods and (st.monthly or st.weekly):
        for m in range(1, 13):
            for w in st.leading_weeks or [0]:
                found.add(Period(year, m, w))
    if not found.periods and st.years:
        found.add(Period(year, 12))
        st.warnings.append(f"hanya tahun tanpa bulan; dianggap Desember {year}")


def _exclude(st: State, excluded: list[MonthRef | Range], quarters: list[int],
             semesters: list[int], year: int, cadence_year: int, found: _Found) -> None:
    """``kecuali …``: drop the months named after it (a quarter or semester: its months)."""
    years = {p.year for p in found.periods}
    default = years.pop() if len(years) == 1 else year
    months: list[tuple[int, int]] = []
    for entry in excluded:
        _settle_entry(entry, default, st)
        if isinstance(entry, Range):
            months += _months_between(entry.start, entry.end)
        else:
            assert entry.year is not None
            months += _months_between(entry, MonthRef(12, entry.year)) if entry.open_start \
                else [(entry.year, entry.month)]
    months += [(cadence_year, m) for q in quarters for m in range(3 * q - 2, 3 * q + 1)]
    months += [(cadence_year, m) for s in semesters for m in range(6 * s - 5, 6 * s + 1)]
    if not months:
        st.warnings.append("'kecuali' tanpa bulan, triwulan atau semester yang dikenali; "
                           "diabaikan")
        return
    gone = {p for p in found.periods if (p.year, p.month) in set(months)}
    if not gone:
        named = ", ".join(_label(y, m) for y, m in dict.fromkeys(months))
        st.warnings.append(f"kecuali {named}: tidak termasuk target; tidak ada yang dikecualikan")
    found.periods -= gone


def _settle_year(ref: MonthRef, plan_year: int, st: State) -> None:
    if ref.year is None:
        ref.year = plan_year
    elif abs(ref.year - plan_year) > 1:
        st.warnings.append(
            f"tahun {ref.year} jauh dari tahun rencana {plan_year}; dianggap {plan_year}")
        ref.year = plan_year


def _months_between(a: MonthRef, b: MonthRef) -> list[tuple[int, int]]:
    assert a.year is not None and b.year is not None
    out: list[tuple[int, int]] = []
    y, m = a.year, a.month
    while (y, m) <= (b.year, b.month):
        out.append((y, m))
        m += 1
        if m == 13:
            y, m = y + 1, 1
    return out


def _cadence_year(st: State, plan_year: int) -> int:
    if not st.years:
        return plan_year
    chosen = st.years[-1]
    if abs(chosen - plan_year) > 1:
        st.warnings.append(
            f"tahun {chosen} jauh dari tahun rencana {plan_year}; dianggap {plan_year}")
        return plan_year
    return chosen


def _resolve_range(rng: Range, plan_year: int, st: State) -> None:
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
                           f"{_label(start.year, start.month)}")
    elif not end_given:
        end.year = start.year + 1
        st.warnings.append("rentang melewati pergantian tahun; akhir rentang dianggap "
                           f"{_label(end.year, end.month)}")
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
