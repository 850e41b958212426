"""Target-time grammar (DOMAIN.md §3): ``read_target(text, year, policy)``.

Table-driven checks of every example of the contract table, the range policy, typos,
doubtful years and ambiguous input; then hypothesis properties over free text and
over texts built from the grammar's own vocabulary.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monev.grammar import read_target
from monev.periods import MONTH_NAMES_ID, Period

FAST = settings(max_examples=200, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])


def months(year: int, first: int, last: int) -> list[str]:
    return [f"{year}-{m:02d}" for m in range(first, last + 1)]


def read(text: str | None, year: int, policy: str = "monthly") -> tuple[list[str], tuple[str, ...]]:
    r = read_target(text, year, policy)  # type: ignore[arg-type]
    return [str(p) for p in r.periods], r.warnings


# --- every example row of DOMAIN.md §3 (default policy "monthly") -----------------

DOMAIN_ROWS: list[tuple[str, int, list[str]]] = [
    # that month
    ("Oktober 2025", 2025, ["2025-10"]),
    ("Agustus Tahun 2025", 2025, ["2025-08"]),
    # each month listed
    ("Agustus, September, Oktober, Desember 2025", 2025,
     ["2025-08", "2025-09", "2025-10", "2025-12"]),
    ("Oktober dan Desember", 2025, ["2025-10", "2025-12"]),
    ("Januari / Juni 2026", 2026, ["2026-01", "2026-06"]),
    ("Mei 2026 dan Desember 2026", 2026, ["2026-05", "2026-12"]),
    # every month of the range
    ("Januari-Desember 2025", 2025, months(2025, 1, 12)),
    ("Agustus - Desember", 2025, months(2025, 8, 12)),
    ("Juli- Desember 2025", 2025, months(2025, 7, 12)),
    ("Januari – Februari 2026", 2026, months(2026, 1, 2)),
    # every month of the bracket, or of the plan year
    ("Per-bulan (Agustus-Desember) 2025", 2025, months(2025, 8, 12)),
    ("Per-bulan", 2025, months(2025, 1, 12)),
    ("Per-bulan", 2026, months(2026, 1, 12)),
    # one deadline: the last month only
    ("Paling lambat September-Oktober 2025", 2025, ["2025-10"]),
    # quarter ends, or that quarter's end
    ("Setiap Triwulan", 2025, ["2025-03", "2025-06", "2025-09", "2025-12"]),
    ("Triwulan III", 2025, ["2025-09"]),
    ("TW II", 2026, ["2026-06"]),
    # explicit months win over the cadence word
    ("Setiap Triwulan April, Juli, Oktober, Desember 2026", 2026,
     ["2026-04", "2026-07", "2026-10", "2026-12"]),
    # Jun and Dec, or that semester's end
    ("setiap semester", 2025, ["2025-06", "2025-12"]),
    ("Semester I", 2026, ["2026-06"]),
    # that week of each month
    ("Januari minggu ke-2 tahun 2026", 2026, ["2026-01-W2"]),
    ("Januari dan Februari minggu ke-1 tahun 2026", 2026, ["2026-01-W1", "2026-02-W1"]),
]


@pytest.mark.parametrize(("text", "year", "expected"), DOMAIN_ROWS,
                         ids=[f"{r[0]!r}@{r[1]}" for r in DOMAIN_ROWS])
def test_domain_table_rows(text: str, year: int, expected: list[str]) -> None:
    periods, warnings = read(text, year)
    assert periods == expected
    assert warnings == (), "a clean example from the contract table must not be flagged"


@pytest.mark.parametrize("text", ["", "-", "  ", " - ", "–", "—", None])
@pytest.mark.parametrize("policy", ["monthly", "end"])
def test_empty_or_dash_gives_no_checkpoint_and_is_flagged(text: str | None, policy: str) -> None:
    periods, warnings = read(text, 2025, policy)
    assert periods == []
    assert len(warnings) == 1
    assert "kosong" in warnings[0]


# --- range policy -------------------------------------------------------------------

POLICY_ROWS: list[tuple[str, int, list[str], list[str]]] = [
    # text, year, monthly, end
    ("Januari-Desember 2025", 2025, months(2025, 1, 12), ["2025-12"]),
    ("Agustus - Desember", 2025, months(2025, 8, 12), ["2025-12"]),
    ("Juli- Desember 2025", 2025, months(2025, 7, 12), ["2025-12"]),
    ("Januari – Februari 2026", 2026, months(2026, 1, 2), ["2026-02"]),
    ("Agustus- September 2025", 2025, ["2025-08", "2025-09"], ["2025-09"]),
    ("Januari s/d Maret 2026", 2026, months(2026, 1, 3), ["2026-03"]),
    ("Januari sampai dengan Maret", 2026, months(2026, 1, 3), ["2026-03"]),
    ("Agustus 2025 s.d Januari 2026", 2025,
     months(2025, 8, 12) + ["2026-01"], ["2026-01"]),
    ("Januari - Maret minggu ke-2 2026", 2026,
     ["2026-01-W2", "2026-02-W2", "2026-03-W2"], ["2026-03-W2"]),
    # a deadline is one period whatever the policy
    ("Paling lambat September-Oktober 2025", 2025, ["2025-10"], ["2025-10"]),
    # an explicit monthly cadence keeps every month even under "end"
    ("Per-bulan (Agustus-Desember) 2025", 2025, months(2025, 8, 12), months(2025, 8, 12)),
    # lists, single months and cadences do not depend on the policy
    ("Agustus, September, Oktober, Desember 2025", 2025,
     ["2025-08", "2025-09", "2025-10", "2025-12"],
     ["2025-08", "2025-09", "2025-10", "2025-12"]),
    ("Oktober 2025", 2025, ["2025-10"], ["2025-10"]),
    ("Setiap Triwulan", 2026, ["2026-03", "2026-06", "2026-09", "2026-12"],
     ["2026-03", "2026-06", "2026-09", "2026-12"]),
    ("Semester I", 2026, ["2026-06"], ["2026-06"]),
    ("Januari dan Februari minggu ke-1 tahun 2026", 2026,
     ["2026-01-W1", "2026-02-W1"], ["2026-01-W1", "2026-02-W1"]),
]


@pytest.mark.parametrize(("text", "year", "monthly", "end"), POLICY_ROWS,
                         ids=[r[0] for r in POLICY_ROWS])
def test_range_policy(text: str, year: int, monthly: list[str], end: list[str]) -> None:
    for policy, expected in (("monthly", monthly), ("end", end)):
        periods, warnings = read(text, year, policy)
        assert periods == expected
        off = [p for p in periods if not p.startswith(str(year))]
        assert (warnings == ()) == (not off), warnings  # off the plan year: flagged


def test_default_policy_is_monthly() -> None:
    assert read_target("Agustus - Desember", 2025) == read_target(
        "Agustus - Desember", 2025, "monthly")


# --- spelling variants and typos ------------------------------------------------------

VARIANT_ROWS: list[tuple[str, int, list[str], bool]] = [
    # text, year, periods, flagged (a guessed spelling is flagged; a known variant is not)
    ("Okttober 2025", 2025, ["2025-10"], True),
    ("Okttober-Desember", 2025, months(2025, 10, 12), True),
    ("Pebruari 2025", 2025, ["2025-02"], False),
    ("Nopember", 2025, ["2025-11"], False),
    ("Nopember 2026", 2026, ["2026-11"], False),
    ("Agt 2025", 2025, ["2025-08"], False),
    ("Okt", 2025, ["2025-10"], False),
    ("Des", 2026, ["2026-12"], False),
    ("Okt, Nop, Des 2025", 2025, ["2025-10", "2025-11", "2025-12"], False),
    ("Agt - Des 2025", 2025, months(2025, 8, 12), False),
    ("OKTOBER 2025", 2025, ["2025-10"], False),
    ("oktober 2025", 2025, ["2025-10"], False),
    ("Septmber 2025", 2025, ["2025-09"], True),
    ("Desemberr 2025", 2025, ["2025-12"], True),
]


@pytest.mark.parametrize(("text", "year", "expected", "flagged"), VARIANT_ROWS,
                         ids=[r[0] for r in VARIANT_ROWS])
def test_month_spellings(text: str, year: int, expected: list[str], flagged: bool) -> None:
    periods, warnings = read(text, year)
    assert periods == expected
    if flagged:
        assert warnings and any("ejaan" in w for w in warnings), warnings
    else:
        assert warnings == ()


def test_typo_warning_names_the_word_and_the_month() -> None:
    _, warnings = read("Okttober 2025", 2025)
    assert any("okttober" in w.lower() and "Oktober" in w for w in warnings)


# --- years ----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "year", "expected", "far"), [
    ("Juni 2022", 2025, ["2025-06"], "2022"),
    ("Oktober 2030", 2025, ["2025-10"], "2030"),
    ("Januari 2024", 2026, ["2026-01"], "2024"),
    ("Juni 2022 - Agustus", 2025, months(2025, 6, 8), "2022"),
    ("Setiap Triwulan 2019", 2025, ["2025-03", "2025-06", "2025-09", "2025-12"], "2019"),
])
def test_far_year_is_flagged_and_replaced_by_plan_year(
        text: str, year: int, expected: list[str], far: str) -> None:
    periods, warnings = read(text, year)
    assert periods == expected
    assert any(far in w and str(year) in w for w in warnings), warnings


@pytest.mark.parametrize(("text", "year", "expected", "off"), [
    ("Januari 2024", 2025, ["2024-01"], "2024-01"),   # one year away: kept as written
    ("Desember 2024", 2025, ["2024-12"], "2024-12"),
    ("Mei 2026", 2025, ["2026-05"], "2026-05"),
    ("Oktober, November 2025 dan Januari 2026", 2025, ["2025-10", "2025-11", "2026-01"],
     "2026-01"),
    ("Januari 2025", 2026, ["2025-01"], "2025-01"),  # issue 12: last year's plan copied
    ("Juni-Desember 2025", 2026, months(2025, 6, 12), "2025-06"),
])
def test_near_year_is_kept_and_flagged(text: str, year: int, expected: list[str],
                                       off: str) -> None:
    periods, warnings = read(text, year)
    assert periods == expected
    assert len(warnings) == 1 and off in warnings[0] and str(year) in warnings[0], warnings


def test_missing_year_is_plan_year() -> None:
    assert read("Oktober dan Desember", 2026) == (["2026-10", "2026-12"], ())
    assert read("Agustus - Desember", 2026) == (months(2026, 8, 12), ())


def test_range_across_new_year_is_flagged() -> None:
    periods, warnings = read("Desember - Januari", 2026)
    assert periods == ["2025-12", "2026-01"]
    assert warnings


def test_open_range_end_takes_year_of_written_start() -> None:
    periods, warnings = read("Januari 2025 - Maret", 2026)
    assert periods == months(2025, 1, 3) or warnings


# --- ambiguity ------------------------------------------------------------------------

@pytest.mark.parametrize("policy", ["monthly", "end"])
def test_two_bare_months_side_by_side_are_a_flagged_list(policy: str) -> None:
    periods, warnings = read("Januari Desember 2025", 2025, policy)
    assert periods == ["2025-01", "2025-12"]  # documented resolution: a list, not a range
    assert any("berdampingan" in w for w in warnings), warnings


@pytest.mark.parametrize("text", ["xyz", "segera", "1 2 3", "Tahun anggaran berjalan?!"])
def test_unreadable_text_is_flagged(text: str) -> None:
    periods, warnings = read(text, 2025)
    assert warnings
    if not periods:
        assert any("tidak" in w for w in warnings)


def test_empty_week_five_of_february_is_flagged() -> None:
    periods, warnings = read("Februari minggu ke-5 2026", 2026)
    assert periods == []
    assert warnings


def test_week_above_five_is_ignored_and_flagged() -> None:
    periods, warnings = read("Nopember 2025 minggu ke-6", 2025)
    assert periods == ["2025-11"]
    assert warnings


# --- hypothesis properties ------------------------------------------------------------

MONTH_WORDS = [
    *MONTH_NAMES_ID, *(m.lower() for m in MONTH_NAMES_ID), *(m.upper() for m in MONTH_NAMES_ID),
    "Pebruari", "Nopember", "Agt", "Okt", "Des", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul",
    "Sep", "Sept", "Nov", "Okttober", "Septmber", "Agustuss", "Desemberr",
]
CONNECTORS = ["-", " - ", "–", "—", "s/d", "s.d.", "sampai", "sampai dengan", "hingga", ",",
              ", ", "dan", "serta", "atau", "/", "&", "+", ";", "~"]
YEARS = ["2022", "2023", "2024", "2025", "2026", "2027", "2028", "1999", "2150", "1900",
         "2199", "0", "12", "99999"]
NOISE = ["Tahun", "tahun", "Per-bulan", "per bulan", "setiap bulan", "Paling lambat",
         "selambat-lambatnya", "minggu ke-1", "minggu ke-2", "minggu ke-5", "minggu ke-9",
         "minggu kedua", "minggu terakhir", "pekan ke-3", "Triwulan", "TW", "Semester",
         "setiap semester", "Setiap Triwulan", "I", "II", "III", "IV", "V", "kedua", "(",
         ")", "xyz", "<i>", "</i>", "2025-13", "2025-10", "2026-01-W2", "2026-02-W5",
         "0000-02-w5", "9999-12", "-", ".", "?", "akhir tahun", "bulan", "ke", "tgl",
         "Januari-", "-Desember", "\t", "\n", "ß", "İ", "٣", "２０２５",
         # issue 18: words that change the meaning
         "mulai", "sejak", "awal", "awal bulan", "kecuali", "selain", "pertengahan", "tanggal 10",
         "tgl 31", "setiap minggu", "mingguan", "minggu", "10", "31", "14/02/2026",
         "2026-02-14", "29/02/2025", "setiap tanggal 17", "sebelum", "hingga", "@day", "@dom",
         "@week", "@deadline"]
TOKENS = st.sampled_from(MONTH_WORDS + CONNECTORS + YEARS + NOISE)
VOCAB_TEXT = st.lists(TOKENS, max_size=12).map(" ".join)
JOINED_TEXT = st.lists(TOKENS, max_size=12).map("".join)  # no spaces: glued tokens
PLAN_YEARS = st.integers(min_value=2000, max_value=2100)
POLICIES = st.sampled_from(["monthly", "end"])


@FAST
@given(text=st.text(), year=PLAN_YEARS, policy=POLICIES)
def test_never_raises_on_any_text(text: str, year: int, policy: str) -> None:
    r = read_target(text, year, policy)  # type: ignore[arg-type]
    assert isinstance(r.periods, tuple) and isinstance(r.warnings, tuple)
    assert all(isinstance(p, Period) for p in r.periods)
    assert all(isinstance(w, str) and w for w in r.warnings)


@FAST
@given(text=st.one_of(VOCAB_TEXT, JOINED_TEXT), year=PLAN_YEARS, policy=POLICIES)
def test_never_raises_on_vocabulary_text(text: str, year: int, policy: str) -> None:
    r = read_target(text, year, policy)  # type: ignore[arg-type]
    assert all(isinstance(p, Period) for p in r.periods)


@FAST
@given(text=st.one_of(VOCAB_TEXT, st.text()), year=PLAN_YEARS, policy=POLICIES)
def test_periods_within_plan_year_unless_flagged(text: str, year: int, policy: str) -> None:
    r = read_target(text, year, policy)  # type: ignore[arg-type]
    outside = [str(p) for p in r.periods if abs(p.year - year) > 1]
    assert not outside or r.warnings, (outside, r.warnings)


@FAST
@given(text=st.one_of(VOCAB_TEXT, JOINED_TEXT, st.text()), year=PLAN_YEARS, policy=POLICIES)
def test_periods_sorted_and_unique(text: str, year: int, policy: str) -> None:
    periods = list(read_target(text, year, policy).periods)  # type: ignore[arg-type]
    assert periods == sorted(set(periods))


@FAST
@given(text=st.one_of(VOCAB_TEXT, st.text()), year=PLAN_YEARS)
def test_no_periods_means_flagged(text: str, year: int) -> None:
    r = read_target(text, year)
    assert r.periods or r.warnings


@FAST
@given(text=VOCAB_TEXT, year=PLAN_YEARS)
def test_end_policy_never_adds_periods(text: str, year: int) -> None:
    """A range under ``end`` is the last month of the same range under ``monthly``."""
    monthly = set(read_target(text, year, "monthly").periods)
    end = set(read_target(text, year, "end").periods)
    assert end <= monthly


# (c) every explicitly written month of a list appears among the periods

SEPARATORS = st.sampled_from([", ", ",", " dan ", " / ", "/", " & ", "; ", " serta ", ", dan "])
SPELLINGS: dict[int, list[str]] = {
    i: [name, name.lower(), name.upper()] for i, name in enumerate(MONTH_NAMES_ID, start=1)}
for _num, _extra in {2: ["Pebruari", "Feb"], 3: ["Mar"], 4: ["Apr"], 6: ["Jun"], 7: ["Jul"],
                     8: ["Agt", "Agustus"], 9: ["Sep", "Sept"], 10: ["Okt"],
                     11: ["Nopember", "Nov"], 12: ["Des"]}.items():
    SPELLINGS[_num] += _extra


@st.composite
def month_list(draw: st.DrawFn) -> tuple[str, list[int], int | None]:
    nums = draw(st.lists(st.integers(1, 12), min_size=1, max_size=6))
    words = [draw(st.sampled_from(SPELLINGS[n])) for n in nums]
    text = words[0]
    for w in words[1:]:
        text += draw(SEPARATORS) + w
    year = draw(st.one_of(st.none(), st.integers(2020, 2030)))
    if year is not None:
        text += draw(st.sampled_from([" ", " Tahun ", " tahun "])) + str(year)
    return text, nums, year


@FAST
@given(case=month_list(), plan_year=st.integers(2020, 2030), policy=POLICIES)
def test_every_written_month_is_a_period(
        case: tuple[str, list[int], int | None], plan_year: int, policy: str) -> None:
    text, nums, year = case
    r = read_target(text, plan_year, policy)  # type: ignore[arg-type]
    got = {p.month for p in r.periods}
    assert set(nums) <= got, (text, [str(p) for p in r.periods], r.warnings)
    assert all(p.week == 0 for p in r.periods)
    if year is not None and abs(year - plan_year) <= 1:
        assert {p.year for p in r.periods} == {year}
        assert (r.warnings == ()) == (year == plan_year), r.warnings
    if year is None:
        assert {p.year for p in r.periods} == {plan_year}
        assert r.warnings == ()


@FAST
@given(start=st.integers(1, 12), end=st.integers(1, 12), year=st.integers(2020, 2030),
       sep=st.sampled_from(["-", " - ", "- ", " -", "–", " – ", " s/d ", " sampai ",
                            " hingga ", " s.d. "]))
def test_written_range_covers_its_months(start: int, end: int, year: int, sep: str) -> None:
    if start > end:
        start, end = end, start
    text = f"{MONTH_NAMES_ID[start - 1]}{sep}{MONTH_NAMES_ID[end - 1]} {year}"
    assert read(text, year, "monthly") == (months(year, start, end), ())
    assert read(text, year, "end") == ([f"{year}-{end:02d}"], ())


def test_warnings_carry_no_file_or_line() -> None:
    """The importer prefixes file:line; the grammar itself must not."""
    for text in ("Juni 2022", "Okttober", "Januari Desember", "", "xyz"):
        for w in read_target(text, 2025).warnings:
            assert not re.match(r"^\S+:\d+: ", w)


# --- issue 12: no silent misreads -------------------------------------------------------

ISSUE_12_ROWS: list[tuple[str, int, list[str], bool]] = [
    # text, plan year, periods, flagged
    ("Minggu ke-2 setiap bulan", 2026, [f"2026-{m:02d}-W2" for m in range(1, 13)], False),
    ("Minggu ke-4 setiap bulan", 2025, [f"2025-{m:02d}-W4" for m in range(1, 13)], False),
    ("Januari 2025", 2026, ["2025-01"], True),
    ("Juni-Desember 2025", 2026, months(2025, 6, 12), True),
    ("Paling lambat Januari dan Juni 2026", 2026, ["2026-01", "2026-06"], False),
    ("Paling lambat September-Oktober 2025", 2025, ["2025-10"], False),
    ("Minggu ke-1 dan ke-3 Januari 2026", 2026, ["2026-01-W1", "2026-01-W3"], False),
    ("Januari minggu ke-2 dan ke-4", 2026, ["2026-01-W2", "2026-01-W4"], False),
    ("1 Januari - 31 Desember 2026", 2026, months(2026, 1, 12), False),
    ("Setiap akhir bulan", 2026, months(2026, 1, 12), False),
    ("Q3 2026", 2026, ["2026-09"], False),
    ("TW III", 2026, ["2026-09"], False),
]


@pytest.mark.parametrize(("text", "year", "expected", "flagged"), ISSUE_12_ROWS,
                         ids=[r[0] for r in ISSUE_12_ROWS])
def test_issue_12_cases(text: str, year: int, expected: list[str], flagged: bool) -> None:
    periods, warnings = read(text, year)
    assert periods == expected
    assert bool(warnings) == flagged, warnings
    if flagged:
        assert "di luar tahun rencana" in warnings[0] and str(year) in warnings[0]


def test_week_without_working_day_is_due_after_it_and_flagged() -> None:
    """1–7 April 2025: Idul Fitri and cuti bersama, then a weekend — no working day."""
    from monev.schedule import when_document
    from monev.workdays import WorkCalendar

    doc = when_document("April minggu ke-1", 2025, WorkCalendar())
    assert doc["checkpoints"] == [{"period": "2025-04-W1", "due": "2025-04-08"}]
    assert any("tidak memiliki hari kerja" in w for w in doc["warnings"])
    ordinary = when_document("April minggu ke-2", 2025, WorkCalendar())
    assert ordinary["warnings"] == []


# properties over the grammar and the calendar together

CAL_YEARS = st.integers(min_value=2020, max_value=2035)


@FAST
@given(text=st.one_of(VOCAB_TEXT, JOINED_TEXT, st.text()), year=CAL_YEARS, policy=POLICIES)
def test_every_due_date_is_a_working_day_inside_or_right_after_its_period(
        text: str, year: int, policy: str) -> None:
    from datetime import timedelta

    from monev.workdays import WorkCalendar

    cal = WorkCalendar()
    r = read_target(text, year, policy)  # type: ignore[arg-type]
    assert set(r.days) <= set(r.periods)
    for p in r.periods:
        due = cal.due_date(p, r.days.get(p))
        assert cal.is_working_day(due), (p, due)
        if p in r.days:  # a written day: that day, or the first working day after it
            day = r.days[p]
            assert (day.year, day.month) == (p.year, p.month) and p.week == 0
            assert due >= day and not any(cal.is_working_day(day + timedelta(days=d))
                                          for d in range((due - day).days)), (p, day, due)
            continue
        if due > p.end:  # only when the period has no working day at all
            assert not any(cal.is_working_day(p.start + timedelta(days=d))
                           for d in range((p.end - p.start).days + 1)), (p, due)
            assert all(not cal.is_working_day(p.end + timedelta(days=d))
                       for d in range(1, (due - p.end).days)), (p, due)
        else:
            assert p.start <= due <= p.end, (p, due)


@FAST
@given(week=st.integers(1, 5), month=st.integers(1, 12), year=CAL_YEARS)
def test_every_week_checkpoint_lies_inside_its_month(week: int, month: int, year: int) -> None:
    r = read_target(f"{MONTH_NAMES_ID[month - 1]} minggu ke-{week} {year}", year)
    for p in r.periods:
        assert (p.year, p.month) == (year, month)
        assert p.start.month == month and p.end.month == month and p.start <= p.end
    if not r.periods:  # only week 5 of a 28-day February is empty, and it is flagged
        assert week == 5 and month == 2 and r.warnings


@FAST
@given(text=st.text(max_size=300))
def test_target_tail_never_raises_and_points_inside(text: str) -> None:
    from monev.target_tail import target_tail

    for keep in (False, True):
        i = target_tail(text, keep)
        assert i == -1 or 0 <= i < len(text)


# --- issue 18: days, "mulai", "awal", "kecuali", dashed lists; never a silent misread ---

def _days(r: object) -> dict[str, int]:
    return {str(p): d.day for p, d in r.days.items()}  # type: ignore[attr-defined]


ISSUE_18_ROWS: list[tuple[str, list[str], dict[str, int], bool]] = [
    # text (plan year 2026), periods, written days (period → day), flagged
    ("mulai Maret", months(2026, 3, 12), {}, False),
    ("Mulai bulan April 2026", months(2026, 4, 12), {}, False),
    ("Sejak Oktober", months(2026, 10, 12), {}, False),
    ("Mulai April s/d Juni 2026", months(2026, 4, 6), {}, False),
    ("mulai Triwulan II", ["2026-06", "2026-09", "2026-12"], {}, False),
    ("Per triwulan mulai April", ["2026-06", "2026-09", "2026-12"], {}, False),
    ("Setiap semester mulai Juli", ["2026-12"], {}, False),
    ("awal Maret", ["2026-03-W1"], {}, False),
    ("Awal bulan Maret 2026", ["2026-03-W1"], {}, False),
    ("awal Triwulan III", ["2026-07-W1"], {}, False),
    ("Setiap awal bulan", [f"2026-{m:02d}-W1" for m in range(1, 13)], {}, False),
    ("Setiap awal triwulan", ["2026-01-W1", "2026-04-W1", "2026-07-W1", "2026-10-W1"], {},
     False),
    ("Awal tahun 2026", ["2026-01-W1"], {}, False),
    ("Akhir Maret 2026", ["2026-03"], {}, False),
    ("pertengahan Juni", ["2026-06"], {"2026-06": 15}, False),
    ("tanggal 10 Maret 2026", ["2026-03"], {"2026-03": 10}, False),
    ("10 Maret", ["2026-03"], {"2026-03": 10}, False),
    ("Tgl. 5 Januari 2026", ["2026-01"], {"2026-01": 5}, False),
    ("14/02/2026", ["2026-02"], {"2026-02": 14}, False),
    ("2026-02-14", ["2026-02"], {"2026-02": 14}, False),
    ("10-15 Maret 2026", ["2026-03"], {"2026-03": 15}, False),
    ("1 s.d. 15 Februari 2026", ["2026-02"], {"2026-02": 15}, False),
    ("10 Maret dan 15 Juni 2026", ["2026-03", "2026-06"], {"2026-03": 10, "2026-06": 15},
     False),
    ("Januari - 15 Maret 2026", months(2026, 1, 3), {"2026-03": 15}, False),
    ("1 Januari - 31 Desember 2026", months(2026, 1, 12), {}, False),
    ("Setiap tanggal 10", months(2026, 1, 12), {p: 10 for p in months(2026, 1, 12)}, False),
    ("Paling lambat tanggal 10 setiap bulan", months(2026, 1, 12),
     {p: 10 for p in months(2026, 1, 12)}, False),
    ("Maret - Juni - September - Desember", ["2026-03", "2026-06", "2026-09", "2026-12"], {},
     False),
    ("Maret-Juni-September-Desember 2026", ["2026-03", "2026-06", "2026-09", "2026-12"], {},
     False),
    ("Januari - Maret", months(2026, 1, 3), {}, False),
    ("Januari - Juni, Juli - Desember", months(2026, 1, 12), {}, False),
    ("Setiap bulan kecuali Desember", months(2026, 1, 11), {}, False),
    ("Januari-Desember kecuali Juli", months(2026, 1, 6) + months(2026, 8, 12), {}, False),
    ("Januari s.d. Desember kecuali Juli dan Agustus", months(2026, 1, 6) + months(2026, 9, 12),
     {}, False),
    ("Setiap bulan, kecuali bulan Juli", months(2026, 1, 6) + months(2026, 8, 12), {}, False),
    ("Setiap triwulan kecuali triwulan IV", ["2026-03", "2026-06", "2026-09"], {}, False),
    ("Maret setiap minggu", [f"2026-03-W{w}" for w in range(1, 6)], {}, False),
    ("Februari 2026 mingguan", [f"2026-02-W{w}" for w in range(1, 5)], {}, False),
    # flagged: read one documented way, never silently
    ("31 Februari 2026", ["2026-02"], {}, True),
    ("Juli kecuali Agustus", ["2026-07"], {}, True),
    ("kecuali", [], {}, True),
    ("Sampai Juni", months(2026, 1, 6), {}, True),
    ("Mei s/d", months(2026, 5, 12), {}, True),
    ("10 dan 20 Maret 2026", ["2026-03"], {"2026-03": 20}, True),
    ("10 Maret dan 20 Maret", ["2026-03"], {"2026-03": 20}, True),
    ("Maret dan 10 Maret", ["2026-03"], {}, True),
    ("Maret minggu", ["2026-03"], {}, True),
    ("Minggu kedua setiap triwulan", ["2026-03", "2026-06", "2026-09", "2026-12"], {}, True),
    ("awal", [], {}, True),
    ("Sebelum Juni 2026", ["2026-06"], {}, True),
    ("Setiap hari kerja", [], {}, True),
    ("Januari dst", ["2026-01"], {}, True),
]


@pytest.mark.parametrize(("text", "expected", "days", "flagged"), ISSUE_18_ROWS,
                         ids=[r[0] for r in ISSUE_18_ROWS])
def test_issue_18_cases(text: str, expected: list[str], days: dict[str, int],
                        flagged: bool) -> None:
    r = read_target(text, 2026)
    assert [str(p) for p in r.periods] == expected
    assert _days(r) == days
    assert bool(r.warnings) == flagged, r.warnings


def test_open_start_under_end_policy_is_december() -> None:
    assert read("mulai Maret", 2026, "end") == (["2026-12"], ())
    assert read("Paling lambat mulai Maret", 2026) == (["2026-12"], ())


def test_written_day_falls_due_that_day_or_next_working_day_flagged() -> None:
    from monev.schedule import when_document
    from monev.workdays import WorkCalendar

    thursday = when_document("15 Januari 2026", 2026, WorkCalendar())
    assert thursday == {"checkpoints": [{"period": "2026-01", "due": "2026-01-15"}],
                        "warnings": []}
    # Saturday 14 Feb; 16 Feb cuti bersama, 17 Feb Imlek
    saturday = when_document("14 Februari 2026", 2026, WorkCalendar())
    assert saturday["checkpoints"] == [{"period": "2026-02", "due": "2026-02-18"}]
    assert saturday["warnings"] == ["tanggal 14 Februari 2026 bukan hari kerja; tenggat hari "
                                    "kerja berikutnya 2026-02-18"]


# properties: a word the grammar does not understand, or one that changes the meaning,
# is never dropped silently

CLEAN_TEXTS = st.sampled_from([
    "Oktober 2026", "Januari - Maret 2026", "Agustus, September dan Desember", "Setiap Triwulan",
    "Semester I", "Minggu ke-2 setiap bulan", "Januari minggu ke-2 tahun 2026", "Per-bulan",
    "Paling lambat September-Oktober 2026", "mulai Maret", "awal Juni", "10 Maret 2026",
    "Setiap bulan kecuali Juli", "Maret - Juni - September - Desember", "Triwulan I-III",
    "Januari-Desember kecuali Juli", "Setiap awal bulan", "Per-bulan (Agustus-Desember) 2026"])
UNKNOWN_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=10).filter(
    lambda w: any("tidak dapat dibaca" in x for x in read_target(w, 2026).warnings))


@FAST
@given(base=st.one_of(CLEAN_TEXTS.map(lambda t: (t, 2026)),
                      month_list().map(lambda c: (c[0], c[2] or 2026))),
       word=UNKNOWN_WORDS, at=st.integers(0, 20), policy=POLICIES)
def test_an_unknown_word_anywhere_is_flagged(base: tuple[str, int], word: str, at: int,
                                             policy: str) -> None:
    text, year = base
    words = text.split()
    assert read_target(text, year, policy).warnings == ()  # type: ignore[arg-type]
    words.insert(at % (len(words) + 1), word)
    r = read_target(" ".join(words), year, policy)  # type: ignore[arg-type]
    assert r.warnings, (words, [str(p) for p in r.periods])


MODIFIERS = ["mulai", "sejak", "awal", "pertengahan", "kecuali", "sampai", "tanggal 10",
             "setiap minggu", "minggu", "sebelum", "setelah", "selama", "selain", "dst"]


@FAST
@given(modifier=st.sampled_from(MODIFIERS), month=st.integers(1, 11),
       year=st.sampled_from(["", " 2026"]))
def test_a_word_that_changes_the_meaning_is_read_or_flagged(modifier: str, month: int,
                                                             year: str) -> None:
    """``mulai Maret`` is not ``Maret``: a modifier before a month changes the reading
    (periods or due days) or is flagged, never silently ignored."""
    plain = read_target(MONTH_NAMES_ID[month - 1] + year, 2026)
    r = read_target(f"{modifier} {MONTH_NAMES_ID[month - 1]}{year}", 2026)
    changed = (r.periods, dict(r.days)) != (plain.periods, dict(plain.days))
    assert changed or r.warnings, (modifier, month, [str(p) for p in r.periods])


@FAST
@given(month=st.integers(1, 12), year=st.one_of(st.none(), st.integers(2025, 2027)),
       word=st.sampled_from(["mulai", "Mulai", "sejak", "mulai bulan", "Mulai dari"]))
def test_open_start_runs_to_december(month: int, year: int | None, word: str) -> None:
    text = f"{word} {MONTH_NAMES_ID[month - 1]}" + (f" {year}" if year else "")
    y = year or 2026
    r = read_target(text, 2026)
    assert [str(p) for p in r.periods] == months(y, month, 12) + (
        months(2026, 1, 12) if y == 2025 else [])
    assert bool(r.warnings) == (y != 2026)


@FAST
@given(month=st.integers(1, 12), year=st.integers(2020, 2030))
def test_awal_is_the_first_week(month: int, year: int) -> None:
    r = read_target(f"awal {MONTH_NAMES_ID[month - 1]} {year}", year)
    assert [str(p) for p in r.periods] == [f"{year}-{month:02d}-W1"] and r.warnings == ()


@FAST
@given(gone=st.sets(st.integers(1, 12), min_size=1, max_size=11),
       base=st.sampled_from(["Setiap bulan", "Januari-Desember", "Januari s/d Desember 2026",
                             "Per-bulan"]),
       sep=SEPARATORS)
def test_kecuali_removes_exactly_the_named_months(gone: set[int], base: str, sep: str) -> None:
    names = sep.join(MONTH_NAMES_ID[m - 1] for m in sorted(gone))
    r = read_target(f"{base} kecuali {names}", 2026)
    assert [p.month for p in r.periods] == [m for m in range(1, 13) if m not in gone]
    assert r.warnings == ()


@FAST
@given(chosen=st.sets(st.integers(1, 12), min_size=3, max_size=12),
       sep=st.sampled_from(["-", " - ", "- ", " -", " – "]),
       year=st.sampled_from(["", " 2026"]), policy=POLICIES)
def test_three_or_more_dashed_months_are_a_list(chosen: set[int], sep: str, year: str,
                                                policy: str) -> None:
    text = sep.join(MONTH_NAMES_ID[m - 1] for m in sorted(chosen)) + year
    r = read_target(text, 2026, policy)  # type: ignore[arg-type]
    assert [p.month for p in r.periods] == sorted(chosen) and r.warnings == ()


@FAST
@given(day=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
       form=st.sampled_from(["{d} {M} {y}", "tanggal {d} {M} {y}", "Tgl. {d} {M} {y}",
                             "{d:02d}/{m:02d}/{y}", "{y}-{m:02d}-{d:02d}", "{d}-{m}-{y}",
                             "Paling lambat {d} {M} {y}"]))
def test_a_written_day_is_its_month_due_that_day_or_the_next_working_day(day: date,
                                                                          form: str) -> None:
    from monev.schedule import when_document
    from monev.workdays import WorkCalendar

    text = form.format(d=day.day, m=day.month, y=day.year, M=MONTH_NAMES_ID[day.month - 1])
    r = read_target(text, day.year)
    assert r.periods == (Period(day.year, day.month),) and r.warnings == ()
    assert dict(r.days) == {Period(day.year, day.month): day}
    cal = WorkCalendar()
    doc = when_document(text, day.year, cal)
    due = date.fromisoformat(doc["checkpoints"][0]["due"])
    assert cal.is_working_day(due) and due >= day
    assert not any(cal.is_working_day(day + timedelta(days=d)) for d in range((due - day).days))
    assert bool(doc["warnings"]) == (due != day), doc
