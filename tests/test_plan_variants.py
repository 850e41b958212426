"""Made-up plan documents, derived inside the tests from the three real decrees by
string transformations: the ways real exports of other satkers differ (DOMAIN §2).

Each variant is read and compared with the reading of the original document: the same
items (area, komponen, indikator, langkah aksi, bukti fisik, target text, periods)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from monev.grammar import read_target
from monev.model import Plan
from monev.plans import load_plan
from monev.plans.loader import parse_text
from tests.conftest import ALL_PLANS, RB_MUARO, ZI_KOTA, ZI_MUARO

ZI_PLANS = (ZI_MUARO, ZI_KOTA)
IDS = {ZI_MUARO: "zi-muaro", ZI_KOTA: "zi-kota", RB_MUARO: "rb-muaro"}


def pid(p: Path) -> str:
    return IDS[p]


def text_of(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def lines_of(path: Path) -> list[str]:
    return text_of(path).split("\n")


def is_rb(path: Path) -> bool:
    return path == RB_MUARO


def header_index(lines: list[str]) -> int:
    return next(i for i, x in enumerate(lines) if x.startswith(("NO\t", "NO.\t")))


def page_header(lines: list[str]) -> list[str]:
    """The repeated page header of a document: title row and column-number rows."""
    h = header_index(lines)
    out = [lines[h]]
    for line in lines[h + 1:]:
        cells = [c.strip() for c in line.split("\t") if c.strip()]
        if cells and all(re.fullmatch(r"\(?\d{1,2}\)?", c) for c in cells):
            out.append(line)
        else:
            break
    return out


Sig = tuple[str, str, str, str, str, str, tuple[str, ...]]


def signature(plan: Plan) -> list[Sig]:
    return [(i.area, i.komponen, i.indikator, i.langkah_aksi, i.bukti_fisik, i.target_text,
             tuple(str(p) for p in i.periods)) for i in plan.items]


def lined(plan: Plan) -> list[tuple[Sig, int]]:
    return list(zip(signature(plan), (i.source_line for i in plan.items), strict=True))


def strip_source(warnings: list[str], source: str) -> list[str]:
    return [w.replace(source, "SRC", 1) for w in warnings]


def parse(lines: list[str], source: str = "variant.txt") -> Plan:
    return parse_text(lines, source)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


_ORIGINALS: dict[Path, Plan] = {}


def original(path: Path) -> Plan:
    if path not in _ORIGINALS:
        _ORIGINALS[path] = load_plan(path)
    return _ORIGINALS[path]


def cells_of(line: str) -> list[str]:
    return line.split("\t")


def is_zi_area_line(line: str) -> bool:
    if "\t" not in line:
        return bool(re.match(r"^\s*([IVX]+|\d{1,2})\.?\s+\S", line))
    cells = [c.strip() for c in cells_of(line)]
    return bool(cells[0] or cells[1]) and not any(cells[2:])


# --- encodings and line ends ----------------------------------------------------------

ENCODINGS: dict[str, Callable[[str], bytes]] = {
    "crlf": lambda t: t.replace("\n", "\r\n").encode("utf-8"),
    "cr": lambda t: t.replace("\n", "\r").encode("utf-8"),
    "bom": lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"),
    "bom-crlf": lambda t: b"\xef\xbb\xbf" + t.replace("\n", "\r\n").encode("utf-8"),
    "utf16-bom": lambda t: t.encode("utf-16"),
    "utf16-be-bom": lambda t: b"\xfe\xff" + t.encode("utf-16-be"),
    "final-newline": lambda t: (t.rstrip("\n") + "\n").encode("utf-8"),
}


@pytest.mark.parametrize("kind", list(ENCODINGS))
@pytest.mark.parametrize("path", ALL_PLANS, ids=pid)
def test_line_ends_and_byte_order_marks(path: Path, kind: str, tmp_path: Path) -> None:
    variant = write(tmp_path, f"{kind}.txt", ENCODINGS[kind](text_of(path)))
    plan = load_plan(variant)
    base = original(path)
    assert plan.header == base.header
    assert lined(plan) == lined(base)
    assert strip_source(plan.all_warnings(), str(variant)) == strip_source(
        base.all_warnings(), str(path))


# --- another satker -------------------------------------------------------------------

SATKERS = [
    ("KABUPATEN CONTOH RAYA", "KPU Kabupaten Contoh Raya"),
    ("KOTA SUNGAI PENUH", "KPU Kota Sungai Penuh"),
    ("KABUPATEN TANJUNG JABUNG TIMUR", "KPU Kabupaten Tanjung Jabung Timur"),
    ("PROVINSI JAMBI", "KPU Provinsi Jambi"),
]
OWN_NAME = {ZI_MUARO: "KABUPATEN MUARO JAMBI", ZI_KOTA: "KOTA JAMBI",
            RB_MUARO: "KABUPATEN MUARO JAMBI"}


def rename(text: str, old: str, new: str) -> str:
    text = text.replace(old, new)
    return text.replace(old.title(), new.title())


@pytest.mark.parametrize(("new", "expected"), SATKERS, ids=[s[0] for s in SATKERS])
@pytest.mark.parametrize("path", ALL_PLANS, ids=pid)
def test_other_satker_in_prose(path: Path, new: str, expected: str) -> None:
    lines = lines_of(path)
    h = header_index(lines)
    variant = [rename(x, OWN_NAME[path], new) for x in lines[:h]] + lines[h:]
    assert variant != lines
    plan = parse(variant)
    base = original(path)
    assert plan.header.satker == expected
    assert (plan.header.kind, plan.header.year, plan.header.number,
            plan.header.decided_on) == (base.header.kind, base.header.year,
                                        base.header.number, base.header.decided_on)
    assert lined(plan) == lined(base)


@pytest.mark.parametrize("path", ALL_PLANS, ids=pid)
def test_other_satker_everywhere(path: Path) -> None:
    new = "KABUPATEN CONTOH RAYA"
    plan = parse(rename(text_of(path), OWN_NAME[path], new).split("\n"))
    assert plan.header.satker == "KPU Kabupaten Contoh Raya"
    expected = [tuple(rename(x, OWN_NAME[path], new) if isinstance(x, str) else x
                      for x in sig) for sig in signature(original(path))]
    assert signature(plan) == expected


# --- numbering of areas and komponen (ZI) ---------------------------------------------

ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"]


def renumber_areas(lines: list[str], style: str) -> list[str]:
    out = list(lines)
    h = header_index(lines)
    n = 0
    for i in range(h, len(lines)):
        line = lines[i]
        if not is_zi_area_line(line) or not line.strip():
            continue
        m = re.match(r"^(\s*)([IVX]+|\d{1,2})(\.?)([ \t])(.*)$", line, re.DOTALL)
        assert m, line
        n += 1
        label = {"roman": ROMAN[n - 1], "arabic": str(n), "roman-dot": ROMAN[n - 1] + ".",
                 "arabic-dot": f"{n}."}[style]
        out[i] = f"{m.group(1)}{label}{m.group(4)}{m.group(5)}"
    assert n == 6
    return out


@pytest.mark.parametrize("style", ["roman", "arabic", "roman-dot", "arabic-dot"])
@pytest.mark.parametrize("path", ZI_PLANS, ids=pid)
def test_area_numbering(path: Path, style: str) -> None:
    variant = renumber_areas(lines_of(path), style)
    plan = parse(variant)
    assert lined(plan) == lined(original(path))
    assert strip_source(plan.all_warnings(), "variant.txt") == strip_source(
        original(path).all_warnings(), str(path))


@pytest.mark.parametrize("path", [ZI_KOTA], ids=pid)
def test_area_numbering_letters(path: Path) -> None:
    lines = renumber_areas(lines_of(path), "arabic")
    letters = {str(n): "ABCDEF"[n - 1] for n in range(1, 7)}
    variant = [re.sub(r"^([1-6])([ \t])", lambda m: letters[m.group(1)] + "." + m.group(2), x)
               if is_zi_area_line(x) and i >= header_index(lines) else x
               for i, x in enumerate(lines)]
    assert variant != lines
    assert lined(parse(variant)) == lined(original(path))


def renumber_komponen(lines: list[str], labels: Callable[[int], str]) -> list[str]:
    out = list(lines)
    h = header_index(lines)
    n = 0
    changed = 0
    for i in range(h + 1, len(lines)):
        line = lines[i]
        if is_zi_area_line(line):
            n = 0
            continue
        cells = cells_of(line)
        filled = [c.strip() for c in cells if c.strip()]
        if len(cells) < 6 or not cells[0].strip() or cells[0].strip().upper() == "NO" or all(
                re.fullmatch(r"\(?\d{1,2}\)?", c) for c in filled):
            continue  # no number, a repeated page header or a column-number row
        n += 1
        cells[0] = labels(n)
        out[i] = "\t".join(cells)
        changed += 1
    assert changed >= 20
    return out


KOMPONEN_STYLES: dict[str, Callable[[int], str]] = {
    "letter": lambda n: "abcdefghij"[n - 1],
    "letter-dot": lambda n: "abcdefghij"[n - 1] + ".",
    "digit-dot": lambda n: f"{n}.",
    "digit": lambda n: str(n),
    "digit-paren": lambda n: f"{n})",
    "roman-lower": lambda n: ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii"][n - 1],
}


@pytest.mark.parametrize("style", list(KOMPONEN_STYLES))
@pytest.mark.parametrize("path", ZI_PLANS, ids=pid)
def test_komponen_numbering(path: Path, style: str) -> None:
    variant = renumber_komponen(lines_of(path), KOMPONEN_STYLES[style])
    plan = parse(variant)
    base = original(path)
    assert lined(plan) == lined(base)
    assert [i.key for i in plan.items] == [i.key for i in base.items]


# --- missing cells --------------------------------------------------------------------

def item_rows(path: Path) -> list[tuple[int, bool]]:
    """(line, right after a repeated page header) of every item of the original."""
    lines = lines_of(path)
    out = []
    for item in original(path).items:
        prev = next(x for x in reversed(lines[:item.source_line - 1]) if x.strip())
        out.append((item.source_line, prev in page_header(lines)[1:] or
                    prev == page_header(lines)[0]))
    return out


@pytest.mark.parametrize("blank", ["", "-", " - "])
@pytest.mark.parametrize("path", ZI_PLANS, ids=pid)
def test_zi_missing_target_keeps_item_and_flags_it(path: Path, blank: str) -> None:
    base = original(path)
    lines = lines_of(path)
    failures = []
    tried = 0
    for line, after_break in item_rows(path):
        item = next(i for i in base.items if i.source_line == line)
        if after_break or not item.target_text.strip(" -"):
            continue  # after a page header an empty-target row reads as a continuation
        reading = read_target(item.bukti_fisik, base.header.year)
        if reading.periods and not reading.warnings:
            continue  # would be (rightly) refused as a row shifted left
        cells = cells_of(lines[line - 1])
        cells[5] = blank
        variant = list(lines)
        variant[line - 1] = "\t".join(cells)
        tried += 1
        plan = parse(variant)
        got = [i for i in plan.items if i.source_line == line]
        expected = [s for s in signature(base)]
        k = [i.source_line for i in base.items].index(line)
        expected[k] = (*expected[k][:5], blank.strip(), ())
        if signature(plan) != expected or len(got) != 1 or not any(
                w.startswith(f"variant.txt:{line}: ") for w in got[0].warnings):
            failures.append(line)
    assert tried >= 40
    assert failures == []


@pytest.mark.parametrize("path", ZI_PLANS, ids=pid)
def test_zi_missing_text_cells_keep_item(path: Path) -> None:
    """An empty LANGKAH AKSI or BUKTI FISIK cell: the row stays one item."""
    base = original(path)
    lines = lines_of(path)
    for line, after_break in item_rows(path)[::2]:
        if after_break:
            continue
        for col, field in ((3, "langkah_aksi"), (4, "bukti_fisik")):
            cells = cells_of(lines[line - 1])
            own = " ".join(re.sub(r"</?[a-z]+>", "", cells[col]).split())
            cells[col] = ""
            variant = list(lines)
            variant[line - 1] = "\t".join(cells)
            plan = parse(variant)
            assert len(plan.items) == len(base.items)
            k = [i.source_line for i in base.items].index(line)
            # what remains is the continuation from the next page, if any
            rest = getattr(base.items[k], field).removeprefix(own).strip()
            assert getattr(plan.items[k], field) == rest, (line, field)
            assert plan.items[k].periods == base.items[k].periods
            assert signature(plan)[:k] == signature(base)[:k]
            assert signature(plan)[k + 1:] == signature(base)[k + 1:]


def test_rb_row_without_marks_is_kept_and_flagged() -> None:
    base = original(RB_MUARO)
    lines = lines_of(RB_MUARO)
    tried = 0
    for line, after_break in item_rows(RB_MUARO):
        if after_break:
            continue
        variant = list(lines)
        variant[line - 1] = "\t".join("" if c.strip() == "√" else c
                                      for c in cells_of(lines[line - 1]))
        plan = parse(variant)
        tried += 1
        assert len(plan.items) == len(base.items), line
        k = [i.source_line for i in base.items].index(line)
        item = plan.items[k]
        assert item.periods == () and item.target_text == ""
        assert any(w.startswith(f"variant.txt:{line}: ") for w in item.warnings)
    assert tried >= 40


# --- trailing cells, padding, blank lines, header wording -----------------------------

@pytest.mark.parametrize("path", ALL_PLANS, ids=pid)
def test_trailing_empty_cells_removed(path: Path) -> None:
    text = text_of(path)
    variant = [re.sub(r"[\t ]+$", "", x) for x in text.split("\n")]
    assert variant != text.split("\n")
    assert lined(parse(variant)) == lined(original(path))


@pytest.mark.parametrize("path", ALL_PLANS, ids=pid)
def test_cells_padded_with_spaces(path: Path) -> None:
    lines = lines_of(path)
    h = header_index(lines)
    variant = lines[:h] + ["\t".join(f" {c} " if c else c for c in cells_of(x))
                           if "\t" in x else x for x in lines[h:]]
    assert lined(parse(variant)) == lined(original(path))


@pytest.mark.parametrize("path", ALL_PLANS, ids=pid)
def test_blank_lines_between_rows(path: Path) -> None:
    lines = lines_of(path)
    h = header_index(lines)
    variant = lines[:h]
    for x in lines[h:]:
        variant += [x, ""]
    assert signature(parse(variant)) == signature(original(path))


HEADER_WORDINGS = [
    ("NO\tKOMPONEN\tINDIKATOR\tLANGKAH AKSI\tBUKTI FISIK\tTARGET WAKTU",
     "No.\tKomponen Pengungkit\tIndikator Kinerja\tRencana Aksi\tBukti Dukung\tWaktu Pelaksanaan"),
    ("NO\tKOMPONEN\tINDIKATOR\tLANGKAH AKSI\tBUKTI FISIK\tTARGET WAKTU",
     "no\tkomponen\tindikator\tlangkah-langkah aksi\tdata dukung\ttarget"),
]


@pytest.mark.parametrize(("old", "new"), HEADER_WORDINGS, ids=["synonyms", "lowercase"])
@pytest.mark.parametrize("path", ZI_PLANS, ids=pid)
def test_zi_header_wording(path: Path, old: str, new: str) -> None:
    text = text_of(path)
    assert old in text
    assert lined(parse(text.replace(old, new).split("\n"))) == lined(original(path))


# --- a row split by a page break ------------------------------------------------------

def split_words(text: str) -> tuple[str, str] | None:
    words = text.split()
    k = len(words) // 2
    if k and re.fullmatch(r"\(?(\d{1,2}|[a-z])[.)]", words[0]):
        k = max(k, 2)  # a page never ends on a bare number: '2.' | 'Profesionalisme ASN'
    if not 1 <= k < len(words):
        return None
    return " ".join(words[:k]), " ".join(words[k:])


def split_row(lines: list[str], line: int, cols: tuple[int, ...],
              width: int) -> list[str] | None:
    """The row at ``line`` cut by a page break: the tail of each cell in ``cols`` goes
    below a repeated page header, in a line with empty NO/KOMPONEN and no target/√."""
    cells = cells_of(lines[line - 1]) + [""] * width
    first = list(cells)
    second = [""] * len(cells)
    for col in cols:
        halves = split_words(cells[col])
        if halves is None:
            return None
        first[col], second[col] = halves
    n = len(cells_of(lines[line - 1]))
    return (lines[:line - 1] + ["\t".join(first[:n]), "", *page_header(lines),
                                "\t".join(second[:n])] + lines[line:])


ZI_SPLITS = {"indikator": (2,), "langkah_aksi": (3,), "bukti_fisik": (4,),
             "target": (5,), "indikator+langkah+bukti": (2, 3, 4),
             "komponen+indikator+langkah+bukti": (1, 2, 3, 4)}


@pytest.mark.parametrize("cut", list(ZI_SPLITS))
@pytest.mark.parametrize("path", ZI_PLANS, ids=pid)
def test_zi_row_split_by_page_break(path: Path, cut: str) -> None:
    lines = lines_of(path)
    base = original(path)
    expected = signature(base)
    failures: list[int] = []
    tried = 0
    for item in base.items:
        cells = cells_of(lines[item.source_line - 1])
        if 1 in ZI_SPLITS[cut] and not (cells[0].strip() or cells[1].strip()):
            continue  # the row does not open a komponen: nothing to split there
        variant = split_row(lines, item.source_line, ZI_SPLITS[cut], 6)
        if variant is None:
            continue
        tried += 1
        plan = parse(variant)
        got = signature(plan)
        if got != expected or not any(i.source_line == item.source_line for i in plan.items):
            failures.append(item.source_line)
    assert tried >= 10
    assert failures == [], f"{cut}: rows read differently when split: {failures}"


@pytest.mark.parametrize("path", ZI_PLANS, ids=pid)
def test_zi_komponen_split_by_page_break(path: Path) -> None:
    lines = lines_of(path)
    base = original(path)
    failures = []
    for item in base.items:
        cells = cells_of(lines[item.source_line - 1])
        if not cells[0].strip():
            continue
        variant = split_row(lines, item.source_line, (1,), 6)
        if variant is not None and signature(parse(variant)) != signature(base):
            failures.append(item.source_line)
    assert failures == []


RB_SPLITS = {"sub": (3,), "indikator": (4,), "sub+indikator": (3, 4)}


def rb_plain_rows() -> list[int]:
    """RB rows that need no realignment: text in NO…INDIKATOR, marks in 1–12/KET."""
    base = original(RB_MUARO)
    lines = lines_of(RB_MUARO)
    out = []
    for item in base.items:
        if any("bergeser" in w for w in base.warnings if f":{item.source_line}:" in w):
            continue
        cells = [c.strip() for c in cells_of(lines[item.source_line - 1])]
        text = [i for i, c in enumerate(cells) if c and c != "√"]
        marks = [i for i, c in enumerate(cells) if c == "√"]
        if text and max(text) <= 4 and all(m >= 5 for m in marks) and not re.fullmatch(
                r"(\d{1,2}|[a-z])[.)]", cells[2]):
            out.append(item.source_line)
    return out


@pytest.mark.parametrize("cut", list(RB_SPLITS))
def test_rb_row_split_by_page_break(cut: str) -> None:
    lines = lines_of(RB_MUARO)
    expected = signature(original(RB_MUARO))
    rows = rb_plain_rows()
    assert len(rows) >= 40
    failures = []
    tried = 0
    for line in rows:
        variant = split_row(lines, line, RB_SPLITS[cut], 18)
        if variant is None:
            continue
        tried += 1
        if signature(parse(variant)) != expected:
            failures.append(line)
    assert tried >= 30
    assert failures == [], f"{cut}: rows read differently when split: {failures}"


def test_rb_kegiatan_split_by_page_break() -> None:
    lines = lines_of(RB_MUARO)
    expected = signature(original(RB_MUARO))
    variant = split_row(lines, 87, (2,), 18)
    assert variant is not None
    assert signature(parse(variant)) == expected


def test_rb_kegiatan_split_on_last_row_of_kegiatan() -> None:
    """When no later row shares the kegiatan, the split name is completed."""
    lines = lines_of(RB_MUARO)
    expected = signature(original(RB_MUARO))
    variant = split_row(lines, 189, (2,), 18)  # '2. Profesionalisme ASN', a one-row kegiatan
    assert variant is not None
    assert signature(parse(variant)) == expected


def test_split_keeps_source_line_of_first_half() -> None:
    lines = lines_of(ZI_MUARO)
    variant = split_row(lines, 198, (2, 3, 4), 6)
    assert variant is not None
    plan = parse(variant)
    assert plan.items[0].source_line == 198
    assert plan.items[0].indikator == original(ZI_MUARO).items[0].indikator
    inserted = len(variant) - len(lines)
    assert plan.items[1].source_line == original(ZI_MUARO).items[1].source_line + inserted


# --- all variants together ------------------------------------------------------------

@pytest.mark.parametrize("path", ZI_PLANS, ids=pid)
def test_combined_variant(path: Path, tmp_path: Path) -> None:
    """Another satker, renumbered areas and komponen, no trailing cells, CRLF and BOM."""
    lines = lines_of(path)
    h = header_index(lines)
    lines = [rename(x, OWN_NAME[path], "KABUPATEN CONTOH RAYA") for x in lines[:h]] + lines[h:]
    lines = renumber_areas(lines, "roman" if path == ZI_KOTA else "arabic")
    lines = renumber_komponen(lines, KOMPONEN_STYLES["letter-dot"])
    lines = [re.sub(r"\t+$", "", x) for x in lines]
    variant = write(tmp_path, "gabungan.txt",
                    b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8"))
    plan = load_plan(variant)
    assert plan.header.satker == "KPU Kabupaten Contoh Raya"
    assert lined(plan) == lined(original(path))
    for w in plan.all_warnings():
        assert re.match(rf"^{re.escape(str(variant))}:\d+: ", w), w


# --- column-number rows ---------------------------------------------------------------

def _is_colnum_line(line: str) -> bool:
    filled = [c.strip() for c in line.split("\t") if c.strip()]
    return len(filled) >= 3 and all(re.fullmatch(r"\(?\d{1,2}\)?", c) for c in filled)


COLNUM_STYLES: dict[str, Callable[[str], str | None]] = {
    "removed": lambda line: None,
    "bracketed": lambda line: "\t".join(f"({c})" if re.fullmatch(r"\d{1,2}", c) else c
                                        for c in line.split("\t")),
    "plain": lambda line: line.replace("(", "").replace(")", ""),
}


@pytest.mark.parametrize("style", list(COLNUM_STYLES))
@pytest.mark.parametrize("path", ALL_PLANS, ids=pid)
def test_column_number_rows(path: Path, style: str) -> None:
    lines = lines_of(path)
    h = header_index(lines)
    variant = list(lines[:h])
    for line in lines[h:]:
        if _is_colnum_line(line):
            new = COLNUM_STYLES[style](line)
            variant.append("" if new is None else new)  # keep the line numbers
        else:
            variant.append(line)
    assert lined(parse(variant)) == lined(original(path))
