"""Text copied out of a PDF viewer *cell by cell* (Chrome/Edge's PDFium, Adobe, pdf.js,
``pdftotext -raw``): a ZI table comes one text fragment per line, the cells of a row one
after another in column order, so a row's text runs from after the previous row's target
time to its own target time, which ends it.

What such text still says for sure is read: the row number (glued to the first fragment
of the next cell: ``1. Penyusunan Tim Kerja Unit kerja …``), kept when it fits the NO
sequence (1, 2, 3 … restarting after an area row); area rows (``I MANAJEMEN
PERUBAHAN``); the target time (a row's last text; it may run over lines: ``Januari
minggu ke-`` / ``2 tahun 2026``). The text in between is split into its cells only when
the viewer marked where a cell's line wraps (a line ending in a space goes on in the
same cell) and the pieces are exactly as many as the columns between NO and TARGET
WAKTU; otherwise it is kept in INDIKATOR and that row is flagged. A row cut by a page
break goes on after the repeated header: text there before a new numbered or area row
is given back to the row it belongs to. A reading far from the document's own NO
numbering is refused. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import monev.plans.zi as zi
from monev.errors import PlanError
from monev.plans.document import Line, SourceDoc
from monev.plans.table import clean, continues_target, header_key
from monev.target_tail import target_tail

# the header's column numbers ("(1) (2) …", "1 2 3 4 5 6") or a page number ("- 3 -")
_NUMBERS_ONLY = re.compile(r"^\(?\d{1,2}\)?(?:\s+\(?\d{1,2}\)?){2,}$")
_PAGE_NUMBER = re.compile(r"^[-\u2013\s]*\d{1,3}[-\u2013\s]*$")
_ROW_NO = re.compile(r"^(?P<no>\d{1,3}|[ivx]{1,5})\.?(?:\s+|$)")
_AREA = re.compile(r"^(?P<no>[IVX]{1,5}|\d{1,2})\.?\s+(?P<name>\S.{2,})$")
# a target time cut short: "Oktober-", "1 Januari - 31", "Januari minggu ke-"
_OPEN_END = re.compile(r"(?:[-\u2013,/(]|[-\u2013]\s*\d{1,2}|\b(?:dan|s/d|sampai|hingga|ke"
                       r"|minggu))$", re.IGNORECASE)
_DASHES = re.compile(r"^(?:[-\u2013]\s*)+$")
_ROMAN = {"i": 1, "v": 5, "x": 10}
_CLOSING = re.compile(r"^(ditetapkan\s+di|pada\s+tanggal|salinan\s+sesuai)", re.IGNORECASE)
# a signer's title ends the table only as a line of its own, in capitals
_SIGNER = re.compile(r"^(KETUA|KEPALA|SEKRETARIS|TTD|A\.N\.)\b[^a-z]*$")
LABELS = ("NO", "KOMPONEN", "INDIKATOR", "LANGKAH AKSI", "BUKTI FISIK", "TARGET WAKTU")
MIDDLE = ("komponen", "indikator", "langkah_aksi", "bukti_fisik")
JOINED_FLAG = ("kolom tidak dapat dipisahkan (teks salinan PDF, sel demi sel): NO dan "
               "TARGET WAKTU dipisahkan, sisa teks baris disimpan di INDIKATOR; periksa "
               "komponen, langkah aksi dan bukti fisik")
SPLIT_NOTE = ("dibaca dari teks salinan PDF (sel demi sel): {split} baris dipisah ke kolomnya "
              "menurut akhir baris teks (periksa sekilas), {joined} baris tidak dapat "
              "dipisahkan (ditandai per baris)")
DOUBT_FLAG = ("dibaca dari teks salinan PDF (sel demi sel): kolom dipisah menurut akhir baris "
              "teks, tetapi pemisahannya meragukan; periksa teks baris ini")
KOMPONEN_FLAG = ("komponen tidak diketahui (teks salinan PDF, sel demi sel): kolom baris "
                 "bernomor di atasnya tidak dapat dipisahkan; isi komponen baris ini")
PAGE_FLAG = ("baris ini berawal di halaman baru: teksnya mungkin memuat sambungan baris "
             "sebelumnya; periksa kedua baris")


@dataclass
class _Row:
    no: int  # text line where the row begins
    number: str = ""
    frags: list[str] = field(default_factory=list)  # fragments as copied (trailing space kept)
    target: str = ""
    area: bool = False
    page_top: bool = False  # begins right after a repeated header
    continued: bool = False  # got text back from after a page break
    resumed: bool = False  # reopened after a page break cut its target time


def looks_cell_by_cell(lines: list[str], start: int) -> bool:
    """Whether the table after line ``start`` came cell by cell rather than one visual
    line per line: rows' numbered first lines seldom end with the target time, and
    target times often stand alone on their line."""
    numbered = with_target = alone = tails = 0
    for raw in lines[start:start + 600]:
        text = clean(raw)
        if not text:
            continue
        tail = target_tail(text)
        if tail >= 0:
            tails += 1
            alone += tail == 0
        if _ROW_NO.match(text) and len(text) > 12:
            numbered += 1
            with_target += tail > 0
    if tails == 0:
        return False
    return alone >= 0.3 * tails or (numbered >= 3 and with_target < 0.5 * numbered)


def number_value(no: str) -> int:
    """``3`` → 3, ``iv`` → 4 (a NO cell in digits or small roman numerals)."""
    if no.isdigit():
        return int(no)
    vals = [_ROMAN[c] for c in no.lower()]
    return sum(-v if k + 1 < len(vals) and v < vals[k + 1] else v for k, v in enumerate(vals))


def is_area(text: str) -> bool:
    """An area row: a numeral and a name in capitals, no target time."""
    m = _AREA.match(text)
    if not m or len(m.group("name")) < 6 or target_tail(text) >= 0:
        return False
    return not m.group("no").isdigit() or _upper(m.group("name"))


def numbered_lines(lines: list[str]) -> int:
    """How many lines begin with the next number of a NO column (1, 2, 3 …, restarting
    after an area row): what a reading of the table should come near."""
    expect, seen = 1, 0
    for raw in lines:
        text = clean(raw)
        if _CLOSING.match(text):
            break
        if is_area(text):
            expect = 1
            continue
        if _NUMBERS_ONLY.match(text):
            continue
        m = _ROW_NO.match(text)
        if m and number_value(m.group("no")) == expect:
            seen += 1
            expect += 1
    return seen


class CellByCell:
    """Reads the ZI table of text copied cell by cell; see the module docstring."""

    def __init__(self, lines: list[str], source: str, header_at: list[tuple[int, int]],
                 header_text: str) -> None:
        self.lines, self.source = lines, source
        self.headers = dict(header_at)  # line index → lines the header takes
        key = " " + header_key(header_text) + " "
        self.middle = [m for m in MIDDLE if any(f" {n} " in key for n in zi.COLUMNS[m])]
        self.soft_wraps = False
        self.komponen_known = True  # the last numbered row's cells were told apart
        self.note = ""

    def read(self) -> tuple[list[Line], int]:
        """The table as lines (header first) and the index where the table ends."""
        first = min(self.headers)
        rows, end = self._rows(first)
        self._check(rows, first)
        body = [r for r in rows if not r.area]
        ends = [f for r in body for f in r.frags[:-1]]
        self.soft_wraps = bool(ends) and sum(f.endswith(" ") for f in ends) >= 0.2 * len(ends)
        out = [Line(first + 1, list(LABELS), table=1)]
        self.komponen_known = True
        for row in rows:
            out.append(self._line(row))
        joined = sum(1 for ln in out if JOINED_FLAG in ln.flags)
        self.note = f"{self.source}:{first + 1}: " + SPLIT_NOTE.format(
            split=len(body) - joined, joined=joined)
        return out, end

    # rows ---------------------------------------------------------------------------

    def _rows(self, first: int) -> tuple[list[_Row], int]:
        rows: list[_Row] = []
        cur: _Row | None = None  # the open row (no target yet)
        expect = 1  # the next row number the NO column should give
        page_top = False
        i = first
        end = len(self.lines)
        while i < len(self.lines):
            if i in self.headers:
                i += self.headers[i]
                page_top = True
                continue
            # PDFium marks a word hyphenated at a line's end with U+FFFE
            raw = self.lines[i].replace("\r", "").replace("\f", "").replace("\ufffe", "-")
            text = clean(raw)
            i += 1
            if not text or _NUMBERS_ONLY.match(text):
                continue
            if cur is None and (_CLOSING.match(text) or _SIGNER.match(text)):
                end = i - 1
                break
            last = rows[-1] if rows else None
            if cur is None and last is not None and page_top and _cut_short(last.target):
                # a row cut by the page break inside its target time ("Oktober-"): the
                # rest of its cells come first, then the rest of the target
                cur, cur.continued, cur.resumed, page_top = last, True, True, False
            elif cur is None and last is not None and last.target and not page_top and (
                    continues_target(last.target, text) or target_tail(text) == 0 and (
                        text.startswith("(") or _cut_short(last.target))):
                last.target = f"{last.target} {text}"  # "1 Januari -" / "31" / "Desember"
                continue
            if cur is None and page_top and last is not None and not last.area and \
                    text[:1].islower() and self._tail(text) < 0:
                # a cell's words going on after the page header: a new row's first cell
                # begins with a capital, so these belong to the row the break cut
                last.frags.append(raw.strip(" \t") + (" " if raw.endswith(" ") else ""))
                last.continued = True
                continue
            opening = cur is None or cur.page_top  # a new row may begin here
            if opening and is_area(text):
                if cur is not None:
                    self._give_back(rows, cur)
                m = _AREA.match(text)
                assert m is not None
                rows.append(_Row(i, m.group("no"), [m.group("name")], area=True))
                cur, expect, page_top = None, 1, False
                continue
            if cur is None and last is not None and last.area and _upper(text) and \
                    target_tail(text) < 0 and not _ROW_NO.match(text):
                last.frags.append(text)  # the area's name wraps
                continue
            number = _ROW_NO.match(text)
            if not (opening and number and number_value(number.group("no")) == expect) and \
                    _PAGE_NUMBER.match(text):
                continue  # a page number
            if opening and number and number_value(number.group("no")) == expect:
                if cur is not None:  # text after the page header went on with the
                    self._give_back(rows, cur)  # row the page break cut
                cur = _Row(i, number.group("no"))
                rows.append(cur)
                expect += 1
                raw = raw.lstrip()[len(number.group(0).rstrip()):]
                text = clean(raw)
                if not text:
                    continue
            if cur is None:
                cur = _Row(i, page_top=page_top)
                rows.append(cur)
            page_top = False
            tail = self._tail(text)
            if cur.frags and (tail < 0 or tail == 0 and target_tail(cur.frags[-1]) < 0):
                # "… Setiap akhir" / "bulan": a target time that only reads as one whole
                joined = clean(f"{cur.frags[-1]} {text}")
                both = self._tail(joined)
                if 0 <= both < len(clean(cur.frags[-1])):
                    cur.frags.pop()
                    text, tail = joined, both
            if tail < 0:
                cur.frags.append(raw.strip(" \t") + (" " if raw.endswith(" ") else ""))
                continue
            if tail > 0:
                cur.frags.append(text[:tail].rstrip())
            target = "-" if _DASHES.match(text) else text[tail:].strip()
            cur.target = f"{cur.target} {target}" if cur.resumed else target
            cur.resumed = False
            cur = None
        if cur is not None and not cur.target:
            rows.remove(cur)  # text with no target time after the table: not a row
            if cur.frags:
                end = min(end, cur.no - 1)
        return rows, end

    @staticmethod
    def _tail(text: str) -> int:
        """Where the target time ending ``text`` begins (a target cell starts with a
        capital or a digit: ``… setiap bulan Agustus`` begins at ``Agustus``)."""
        if _DASHES.match(text):
            return 0  # an empty target (and empty cells before it), written as dashes
        tail = target_tail(text)
        dash = re.search(r"\s[-\u2013]$", text)
        if tail < 0 and dash:
            return dash.start() + 1  # "Dasbor kinerja -": an empty target after a cell
        if tail < 0:
            return tail
        # a cell's list ends with ";": "… Tahun 2025; Agustus - Desember" begins after it
        for m in re.finditer(r"[;,]\s+", text[tail:]):
            if target_tail(text[tail:tail + m.start() + 1]) < 0 and \
                    target_tail(text[tail + m.end():]) == 0:
                tail += m.end()
                break
        if tail == 0 and not (text[:1].isupper() or text[:1].isdigit()):
            return -1  # "semester atau per triwulan": a cell's words going on
        for m in re.finditer(r"(?<!\S)[A-Z0-9]\S*", text[tail:]):
            if re.fullmatch(r"(?:19|20|21)\d\d", m.group(0)) and \
                    target_tail(text[tail + m.end():]) >= 0:
                continue  # "… LAKIP 2025 Agustus - Desember": the year ends a cell's words
            if target_tail(text[tail + m.start():]) == 0:
                return tail + m.start()
        return -1

    @staticmethod
    def _give_back(rows: list[_Row], cur: _Row) -> None:
        """Fragments read after a page header before a new numbered row belong to the
        row the page break cut (they are that row's cells going on)."""
        rows.remove(cur)
        prev = next((r for r in reversed(rows) if not r.area), None)
        if prev is not None and cur.frags:
            prev.frags += cur.frags
            prev.continued = True

    def _check(self, rows: list[_Row], first: int) -> None:
        """Refuse a reading far from the document's own NO numbering."""
        numbered = sum(1 for r in rows if r.number and not r.area)
        seen = numbered_lines(self.lines[first:])
        items = sum(1 for r in rows if not r.area)
        if items == 0 or (seen >= 3 and numbered < 0.8 * seen):
            raise PlanError(self.source, first + 1, f"salinan teks PDF (sel demi sel) tidak "
                            f"dapat dibaca: {items} baris terbaca ({numbered} bernomor), "
                            f"padahal kolom NO memuat {seen} nomor baris — coba berkas "
                            ".pdf/.docx aslinya, `pdftotext -layout`, atau format YAML")

    # cells --------------------------------------------------------------------------

    def _line(self, row: _Row) -> Line:
        if row.area:
            return Line(row.no, [row.number, " ".join(row.frags), "", "", "", ""], table=1)
        cells = dict.fromkeys(MIDDLE, "")
        pieces = self._pieces(row)
        want = self.middle if row.number else self.middle[1:]
        flags: list[str] = []
        split = pieces is not None and len(pieces) == len(want) and not row.continued
        if split and pieces is not None:
            cells.update(zip(want, pieces, strict=True))
            if not row.number and not self.komponen_known:
                flags.append(KOMPONEN_FLAG)
            elif self._doubtful(row, pieces):
                flags.append(DOUBT_FLAG)
        else:
            cells["indikator"] = " ".join(clean(f) for f in row.frags)
            flags.append(JOINED_FLAG)
        if row.number:  # the komponen of the rows below comes from this one
            self.komponen_known = split
        if row.page_top and not row.number:
            flags.append(PAGE_FLAG)
        return Line(row.no, [row.number, cells["komponen"], cells["indikator"],
                             cells["langkah_aksi"], cells["bukti_fisik"], row.target],
                    table=1, flags=flags)

    @staticmethod
    def _doubtful(row: _Row, pieces: list[str]) -> bool:
        """A split that may have gone wrong: a piece of one or two words (a wrapped name's
        last word taken for a cell), or a line that wraps without the viewer's mark (the
        mark cannot be trusted in this row)."""
        if any(len(p.split()) < 3 for p in pieces):
            return True
        return any(not f.endswith(" ") and nxt.lstrip()[:1].islower()
                   for f, nxt in zip(row.frags, row.frags[1:], strict=False))

    def _pieces(self, row: _Row) -> list[str] | None:
        """A row's text cut where cells end: a fragment not ending in a space (the mark
        of a wrapped line) and followed by one starting with a capital or digit. None when
        that cannot be trusted: a cell of one line stands on the same line as the next
        cell's first words (a viewer copies them as one fragment), so a piece of a single
        fragment before the last one means two cells run together."""
        if not self.soft_wraps or not row.frags:
            return None
        pieces: list[list[str]] = [[]]
        for k, frag in enumerate(row.frags):
            pieces[-1].append(clean(frag))
            nxt = row.frags[k + 1] if k + 1 < len(row.frags) else ""
            if nxt and not frag.endswith(" ") and re.match(r"[A-Z0-9]", nxt.lstrip()):
                if frag.rstrip().endswith((";", ",", ":")):
                    return None  # a list inside a cell: where it ends is unknown
                pieces.append([])
        if any(len(p) == 1 for p in pieces[:-1]):
            return None
        return [" ".join(p) for p in pieces]


def _cut_short(target: str) -> bool:
    """A target time that goes on in the next fragment ("Oktober-"; not a lone "-")."""
    return bool(_OPEN_END.search(target)) and not _DASHES.match(target)


def _upper(name: str) -> bool:
    letters = [c for c in name if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def read_cell_by_cell(lines: list[str], source: str, header_at: list[tuple[int, int]],
                      prose: list[Line], tail: list[Line]) -> SourceDoc:
    """The document: prose before the first header, the table, closing prose after."""
    first = min(h for h, _ in header_at)
    header_text = " ".join(lines[first:first + dict(header_at)[first]])
    reader = CellByCell(lines, source, header_at, header_text)
    table, end = reader.read()
    closing = [ln for ln in tail if ln.no > end]
    return SourceDoc(source, "flat-cells", prose + table + closing, [reader.note],
                     loose_area_lines=False, columns_split=False)
