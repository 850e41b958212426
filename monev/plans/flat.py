"""Text copied out of a PDF: a table without TABs. Two shapes are read, best effort:

- **laid out** (``pdftotext -layout``, ``extract_text(layout=True)``, some viewers):
  columns stand at the same character position as their header on each page, so cells
  are cut by those positions (a cell touching the next one is split at the space nearest
  the column edge, and flagged), rows begin where NO or a new TARGET WAKTU (ZI), or the
  month marks (RB) begin;
- **one line per visual line** (pdfplumber's ``extract_text()``, copy-paste from most
  viewers): the cells of a row are run together with single spaces. Rows are found from
  the row numbers, the area numerals and the target-time text that ends a row's first
  line; NO and TARGET WAKTU are split off and the rest of the row's text is kept in
  INDIKATOR, flagged, so a person can fix exactly those rows. The RB month grid cannot be
  read this way (the √ lose their month) and is refused.

Text copied cell by cell (Chrome/Edge, Adobe, pdf.js, ``pdftotext -raw``) is told apart
from the second shape by where its target times stand and read by ``copied.py``.

Whatever is not recognised as one of these (e.g. ``pdftotext`` without ``-layout``, which
writes each column as its own block) is refused by the loader with what was seen."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import monev.plans.rb as rb
import monev.plans.zi as zi
from monev.errors import PlanError
from monev.plans.copied import looks_cell_by_cell, numbered_lines, read_cell_by_cell
from monev.plans.document import Line, SourceDoc
from monev.plans.flat_header import Header, headers, is_laid_out
from monev.plans.table import clean, continues_target, header_key, join
from monev.target_tail import target_tail

_CHUNK = re.compile(r"\S+(?: \S+)*")  # runs of text separated by two spaces or more
_NUMBERS_ONLY = re.compile(r"^[\s\d().]*$")
_AREA = re.compile(r"^(?P<no>(?:X{0,1}(?:IX|IV|V?I{0,3}))\.?|\d{1,2}\.?)\s+(?P<name>\S.{2,})$")
_ROW_NO = re.compile(r"^(?P<no>\d{1,2}\.|[ivx]{1,4}\.?|[IVX]{1,4}\.)\s+")
_CLOSING = re.compile(r"^(ditetapkan\s+di|pada\s+tanggal|salinan\s+sesuai|ketua\s|kepala\s"
                      r"|sekretaris\b|ttd\b|a\.n\.)", re.IGNORECASE)
LAYOUT_FLAG = ("dibaca dari teks salinan PDF: kolom dipisah menurut posisi teks; periksa "
               "pemisahan teks baris ini")
ZI_LABELS = ("NO", "KOMPONEN", "INDIKATOR", "LANGKAH AKSI", "BUKTI FISIK", "TARGET WAKTU")
SPLIT_FLAG = ("kolom tidak dapat dipisahkan (teks salinan PDF tanpa pemisah kolom): NO dan "
              "TARGET WAKTU dipisahkan, sisa teks baris disimpan di INDIKATOR; periksa "
              "komponen, langkah aksi dan bukti fisik")


def read_flat(lines: list[str], source: str) -> SourceDoc:
    """A plan copied out of a PDF; raises PlanError when its shape cannot be read."""
    found = headers(lines)
    if not found:
        raise PlanError(source, 1, "tidak ditemukan judul kolom tabel rencana aksi")
    if is_laid_out(lines[found[0].at]):
        doc = _LaidOut(lines, source, found).read()
        return _near_numbering(doc, lines, found[0]) if found[0].kind == "ZI" else doc
    if found[0].kind == "RB":
        raise PlanError(source, found[0].at + 1, "tabel RB dari salinan teks PDF: kolom dipisah "
                        "spasi dan tanda √ kehilangan bulannya — coba berkas .pdf/.xlsx/.docx "
                        "aslinya, `pdftotext -layout`, atau format YAML")
    if looks_cell_by_cell(lines, found[0].at + found[0].size):
        return _cell_by_cell(lines, source, found)
    return _near_numbering(_OneLine(lines, source, found).read(), lines, found[0])


def _near_numbering(doc: SourceDoc, lines: list[str], head: Header) -> SourceDoc:
    """Refuse a reading far from the table's own NO numbering (rows run together)."""
    rows = [ln for ln in doc.lines if ln.table == 1 and any(ln.cells[2:])]
    numbered = sum(1 for ln in rows if ln.cells[0])
    seen = numbered_lines(lines[head.at + head.size:])
    if seen >= 3 and numbered < 0.8 * seen:
        raise PlanError(doc.source, head.at + 1, f"salinan teks PDF tidak dapat dibaca: "
                        f"{len(rows)} baris terbaca ({numbered} bernomor), padahal kolom NO "
                        f"memuat {seen} nomor baris — coba berkas .pdf/.docx aslinya, "
                        "`pdftotext -layout`, atau format YAML")
    return doc


def _cell_by_cell(lines: list[str], source: str, found: list[Header]) -> SourceDoc:
    first = found[0]
    if any(h.kind != "ZI" for h in found):
        raise PlanError(source, first.at + 1, "tabel RB dari salinan teks PDF: tanda √ "
                        "kehilangan bulannya — coba berkas .pdf/.xlsx/.docx aslinya, "
                        "`pdftotext -layout`, atau format YAML")
    return read_cell_by_cell(lines, source, [(h.at, h.size) for h in found],
                             _prose(lines, first.at), _prose(lines, len(lines)))


def _prose(lines: list[str], end: int) -> list[Line]:
    return [Line(i + 1, [clean(t)]) for i, t in enumerate(lines[:end]) if t.strip()]


# --- one line per visual line ---------------------------------------------------------


@dataclass
class _Row:
    no: int
    number: str = ""
    text: list[str] = field(default_factory=list)
    target: str = ""
    page_break: bool = False
    area: bool = False


class _OneLine:
    def __init__(self, lines: list[str], source: str, found: list[Header]) -> None:
        self.lines, self.source, self.found = lines, source, found

    def read(self) -> SourceDoc:
        first = self.found[0]
        out = _prose(self.lines, first.at)
        out.append(Line(first.at + 1, list(ZI_LABELS), table=1))
        rows: list[_Row] = []
        starts = {h.at: h for h in self.found}
        i = first.at + first.size
        page_break = False
        end = len(self.lines)
        while i < len(self.lines):
            raw = self.lines[i]
            text = clean(raw)
            if i in starts:
                page_break = True
                i += starts[i].size
                continue
            if not text or _NUMBERS_ONLY.match(text):
                i += 1
                continue
            if _CLOSING.match(text):
                end = i
                break
            self._line(rows, i + 1, text, page_break)
            page_break = False
            i += 1
        for row in rows:
            if row.area:
                cells = [row.number, " ".join(row.text), "", "", "", ""]
                out.append(Line(row.no, cells, table=1))
                continue
            cells = [row.number, "", " ".join(row.text), "", "", row.target]
            # rows are already whole here: a page break must not merge them again
            out.append(Line(row.no, cells, table=1, flags=[SPLIT_FLAG]))
        out += _prose(self.lines, len(self.lines))[len(_prose(self.lines, end)):]
        return SourceDoc(self.source, "flat-lines", out, loose_area_lines=False,
                         columns_split=False)

    def _line(self, rows: list[_Row], no: int, text: str, page_break: bool) -> None:
        cur = rows[-1] if rows else None
        tail = target_tail(text)
        # "… dan Juni 2027" goes on with "Paling lambat Januari" (no year yet), but after
        # a target that has its year a leading "dan" is the end of another cell's text
        lead = tail if cur is None or re.search(r"\b(?:19|20|21)\d\d\b", cur.target) \
            else target_tail(text, keep_lead=True)
        number = _ROW_NO.match(text)
        if tail >= 0 and not number and cur is not None and cur.target and \
                text[tail:tail + 1].islower() and not continues_target(cur.target, text[lead:]):
            # a target cell starts capitalised: "… setiap bulan Agustus-Desember" begins at
            # "Agustus"; "… dalam bentuk rekapitulasi setiap triwulan" is a cell's words
            tail = next((m.start() + tail for m in re.finditer(r"(?<!\S)[A-Z0-9]\S*", text[tail:])
                         if target_tail(text[tail + m.start():]) == 0), -1)
        if tail >= 0 and cur is not None and not cur.area and continues_target(
                cur.target, text[lead:]) and not number:
            cur.target = f"{cur.target} {text[lead:]}".strip()
            cur.text.append(text[:lead].strip())
            return
        if tail < 0:
            area = _AREA.match(text)
            if area and self._is_area(area.group("no"), area.group("name")):
                rows.append(_Row(no, area.group("no").rstrip("."), [area.group("name")],
                                 page_break=page_break, area=True))
                return
            if text.endswith(" -") and (number or cur is None or cur.area or (
                    cur.target and not continues_target(cur.target, "-"))):
                # a row whose TARGET WAKTU is "-" (numbered, or after a complete target)
                body = text[number.end() if number else 0:].rstrip(" -")
                rows.append(_Row(no, number.group("no") if number else "", [body], "-",
                                 page_break))
                return
            if cur is None:
                rows.append(_Row(no, "", [text], page_break=page_break))
                return
            cont = _year_tail(text)
            if cont and (not re.search(r"\d{4}", cur.target)
                         or continues_target(cur.target, cont)) and cur.target:
                cur.target = f"{cur.target} {cont}"
                text = text[: len(text) - len(cont)].strip()
            cur.text.append(text)
            return
        body = text[:tail].strip()
        numero = ""
        if number:
            numero = number.group("no")
            body = text[number.end():tail].strip()
        rows.append(_Row(no, numero, [body] if body else [], text[tail:].strip(), page_break))

    @staticmethod
    def _is_area(no: str, name: str) -> bool:
        roman = bool(re.fullmatch(r"[IVX]+\.?", no))
        upper = sum(c.isupper() for c in name) >= 0.6 * sum(c.isalpha() for c in name)
        return roman or upper


def _year_tail(text: str) -> str:
    """A year (or ``Desember) 2025``-like remainder) ending a continuation line."""
    m = re.search(r"(?:\b[A-Za-z]+\)?\s+)?\b(?:19|20|21)\d{2}\.?$", text)
    if not m:
        return ""
    frag = m.group(0)
    start = target_tail(frag)
    if start > 0:
        return frag[start:]
    year = re.search(r"\d{4}\.?$", frag)
    return year.group(0) if year else ""


# --- laid out (columns by position) ---------------------------------------------------


@dataclass
class _Layout:
    starts: list[int]  # character position where each column begins
    labels: list[str]
    months: list[int] = field(default_factory=list)  # RB: position of each month column
    ket: int = -1
    target: int = -1  # ZI: index of the TARGET WAKTU column


class _LaidOut:
    def __init__(self, lines: list[str], source: str, found: list[Header]) -> None:
        self.lines, self.source, self.found = lines, source, found
        self.kind = found[0].kind
        self.flags: dict[int, list[str]] = {}

    def read(self) -> SourceDoc:
        first = self.found[0]
        out = _prose(self.lines, first.at)
        layout = self._layout(first)
        out += self._header_lines(first, layout)
        rows: list[tuple[int, list[str], bool, bool]] = []  # (no, cells, page break, marks)
        self.layout = layout
        end = len(self.lines)
        for n, h in enumerate(self.found):
            if h.kind != self.kind:
                break
            layout = self.layout = self._layout(h)
            stop = self.found[n + 1].at if n + 1 < len(self.found) else len(self.lines)
            seen_data = False
            page_break = True
            for i in range(h.at + h.size, stop):
                raw = self.lines[i].replace("\f", "")
                if not raw.strip():
                    if seen_data and not self._more_table(i, stop):
                        end = i
                        break
                    continue
                if _NUMBERS_ONLY.match(raw) or self._months_line(raw, layout):
                    continue
                if _CLOSING.match(raw.strip()) and not raw.startswith(" "):
                    end = i
                    break
                cells, marks = self._cells(raw, layout, i + 1)
                self._add(rows, i + 1, cells, marks, page_break)
                page_break = False
                seen_data = True
            else:
                end = stop
                continue
            break
        self._merged_overflow(rows)
        for no, cells, page_break, _ in rows:
            area = self.kind == "ZI" and cells[0] and not any(cells[2:])
            flags = self.flags.get(no, []) + ([] if area else [LAYOUT_FLAG])
            out.append(Line(no, cells, table=1, page_break=page_break, flags=flags))
        out += [ln for ln in _prose(self.lines, len(self.lines)) if ln.no > end]
        return SourceDoc(self.source, "flat-layout", out, loose_area_lines=False)

    def _more_table(self, i: int, stop: int) -> bool:
        """A blank line inside the table (the next text is still table text)."""
        nxt = next((j for j in range(i + 1, stop) if self.lines[j].strip()), None)
        return nxt is not None and nxt - i <= 1 and self.lines[nxt].startswith(" ") and \
            not _CLOSING.match(self.lines[nxt].strip())

    # columns ------------------------------------------------------------------------

    def _layout(self, h: Header) -> _Layout:
        head = self.lines[h.at: h.at + h.size]
        cols: dict[int, list[str]] = {}
        for line in head:
            for m in _CHUNK.finditer(line.replace("\f", " ")):
                if re.fullmatch(r"[\d\s()]+", m.group(0)):
                    continue
                near = next((s for s in cols if abs(s - m.start()) <= 2), None)
                cols.setdefault(m.start() if near is None else near, []).append(m.group(0))
        starts = sorted(cols)
        labels = [" ".join(cols[s]) for s in starts]
        lay = _Layout(starts, labels)
        if self.kind == "RB":
            self._rb_layout(h, lay)
        else:
            named = zi.header_columns(labels)
            if named is None:
                raise PlanError(self.source, h.at + 1, "judul kolom tabel ZI tidak dapat "
                                "dipisahkan menurut posisinya; coba berkas .pdf/.docx aslinya "
                                "atau format YAML")
            lay.target = named["target"]
        return lay

    def _rb_layout(self, h: Header, lay: _Layout) -> None:
        keys = [header_key(x) for x in lay.labels]
        p = next((i for i, k in enumerate(keys) if k.startswith(("PELAKSANAAN", "BULAN"))),
                 len(keys))
        ket = next((i for i, k in enumerate(keys) if k == "KET"), None)
        lay.ket = lay.starts[ket] if ket is not None else -1
        month_from = lay.starts[p] if p < len(keys) else lay.starts[-1]
        lay.months = self._month_positions(h, month_from - 2, lay.ket)
        if len(lay.months) != 12:
            raise PlanError(self.source, h.at + 1, "kolom bulan 1–12 grid RB tidak ditemukan "
                            "di bawah judul PELAKSANAAN (BULAN); coba berkas .pdf/.xlsx "
                            "aslinya atau format YAML")
        cut = p
        lay.starts, lay.labels = lay.starts[:cut], lay.labels[:cut]

    def _month_positions(self, h: Header, start: int, ket: int) -> list[int]:
        """Where the 12 month columns stand: from a row marked in all twelve months, else
        from the most evenly spaced run of 12 numbers under the header (``-layout``
        squeezes narrow digits, so the month-number row itself is often uneven)."""
        stop = next((x.at for x in self.found if x.at > h.at), len(self.lines))
        end = ket - 1 if ket > start else 10**6
        for line in self.lines[h.at + h.size: stop]:
            marks = [m.start() for m in re.finditer(r"\S+", line)
                     if start <= m.start() < end and m.group(0) in rb.MARKS]
            if len(marks) == 12:
                return marks
        best: list[int] = []
        spread = float("inf")
        for line in self.lines[h.at: h.at + h.size + 4]:
            nums = [m.start() for m in re.finditer(r"\d+", line) if m.start() >= start]
            for i in range(len(nums) - 11):
                run = nums[i:i + 12]
                gaps = [b - a for a, b in zip(run, run[1:], strict=False)]
                if min(gaps) <= 0:
                    continue
                score = max(gaps) - min(gaps)
                if score < spread:
                    best, spread = run, score
        return best

    def _header_lines(self, h: Header, lay: _Layout) -> list[Line]:
        if self.kind == "ZI":
            return [Line(h.at + 1, list(lay.labels), table=1)]
        nt = len(lay.labels)
        return [Line(h.at + 1, [*lay.labels, "PELAKSANAAN (BULAN)", *[""] * 11, "KET"],
                     table=1),
                Line(h.at + 2, [""] * nt + [str(m) for m in range(1, 13)] + [""], table=1)]

    def _months_line(self, raw: str, lay: _Layout) -> bool:
        return bool(lay.months) and bool(re.fullmatch(r"[\s\d]*", raw))

    def _cells(self, raw: str, lay: _Layout, no: int) -> tuple[list[str], bool]:
        """A line's text per column, and whether it carries RB month marks."""
        line = raw.replace("\f", " ")
        n = len(lay.starts)
        cells = [""] * (n + (13 if self.kind == "RB" else 0))
        marks = False
        limit = lay.months[0] - 1 if lay.months else 10**6
        chunks = list(_CHUNK.finditer(line))
        if self.kind == "ZI" and len(chunks) == 2 and self._column(chunks[0].start(), lay) == 0 \
                and _AREA.match(line.strip()) and chunks[1].end() < lay.starts[lay.target] - 2:
            # an area row: its name runs across the columns after NO
            cells[0], cells[1] = chunks[0].group(0), chunks[1].group(0)
            return cells, False
        for m in chunks:
            start, text = m.start(), m.group(0)
            if start >= limit - 1 and self.kind == "RB":
                marks |= self._marks(m, lay, cells, n, no)
                continue
            k = self._column(start, lay)
            end = m.end()
            nxt = lay.starts[k + 1] if k + 1 < n else limit
            crossing = [s for s in lay.starts[k + 1:] + ([limit] if lay.months else [])
                        if s <= end - 2]
            if len(crossing) == 1 and k + 1 < n:
                cut = self._cut(line, start, end, nxt)
                if cut is not None:
                    cells[k] = f"{cells[k]} {line[start:cut].strip()}".strip()
                    cells[k + 1] = f"{cells[k + 1]} {line[cut:end].strip()}".strip()
                    self.flags.setdefault(no, []).append(
                        f"teks kolom {lay.labels[k]} dan {lay.labels[k + 1]} bersinggungan; "
                        "dipisah pada spasi terdekat dengan batas kolom")
                    continue
            cells[k] = f"{cells[k]} {text}".strip()
        return cells, marks

    @staticmethod
    def _cut(line: str, start: int, end: int, edge: int) -> int | None:
        spaces = [i + 1 for i in range(start, end) if line[i] == " " and abs(i + 1 - edge) <= 3]
        return min(spaces, key=lambda i: abs(i - edge)) if spaces else None

    @staticmethod
    def _column(pos: int, lay: _Layout) -> int:
        k = 0
        for i, s in enumerate(lay.starts):
            if pos >= s - 2:
                k = i
        return k

    def _marks(self, m: re.Match[str], lay: _Layout, cells: list[str], n: int,
               no: int) -> bool:
        found = False
        for tok in re.finditer(r"\S+", m.group(0)):
            pos = m.start() + tok.start()
            if tok.group(0) not in rb.MARKS and tok.group(0) not in rb.MONTH_ONLY_MARKS:
                self.flags.setdefault(no, []).append(
                    f"teks '{tok.group(0)}' di kolom bulan diabaikan")
                continue
            best = min(range(12), key=lambda i: abs(lay.months[i] - pos))
            if lay.ket >= 0 and abs(lay.ket - pos) < abs(lay.months[best] - pos):
                cells[n + 12] = "√"
            else:
                if abs(lay.months[best] - pos) > 3:
                    self.flags.setdefault(no, []).append(
                        f"tanda √ di antara kolom bulan; dianggap bulan {best + 1}")
                cells[n + best] = "√"
            found = True
        return found

    # rows -----------------------------------------------------------------------------

    def _add(self, rows: list[tuple[int, list[str], bool, bool]], no: int, cells: list[str],
             marks: bool, page_break: bool) -> None:
        cur = rows[-1] if rows else None
        if cur is None or self._starts_row(cur[1], cells, marks):
            rows.append((no, cells, page_break, marks))
            return
        if self.kind == "ZI" and cur[1][0] and not any(cur[1][2:]) and not marks:
            # an area row's name wrapping onto the next line (it spans the columns)
            cur[1][1] = f"{cur[1][1]} {' '.join(c for c in cells if c)}".strip()
            return
        for k, text in enumerate(cells):
            if text and text != "√":
                cur[1][k] = join(cur[1][k], text)

    def _merged_overflow(self, rows: list[tuple[int, list[str], bool, bool]]) -> None:
        """A cell merged down over several rows (ZI: KOMPONEN; RB: AREA PERUBAHAN) whose
        text is taller than its first row runs into the next rows' lines: give that text
        back to the row that opened it (the one with a NO)."""
        col = 1
        opener: list[str] | None = None
        for _, cells, _, _ in rows:
            if cells[0]:
                opener = cells
            elif opener is not None and cells[col] and not (
                    self.kind == "ZI" and not any(opener[2:])):
                opener[col] = join(opener[col], cells[col])
                cells[col] = ""

    def _starts_row(self, cur: list[str], cells: list[str], marks: bool) -> bool:
        if cells[0]:  # NO
            return True
        if self.kind == "RB":
            return marks
        t = self.layout.target
        return bool(cells[t]) and not continues_target(cur[t], cells[t])
