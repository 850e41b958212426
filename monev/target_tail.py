"""Finding where a target-time text ends a line of text copied out of a PDF table.

Copy-paste and ``pdftotext -layout`` flatten the TARGET WAKTU cell onto the end of the
row's first line; this tells where it begins. Pure, like the grammar it serves."""

from __future__ import annotations

import re

from monev.grammar import fuzzy_month

_TAIL_PART = (
    r"(?:januari|februari|pebruari|maret|april|mei|juni|juli|agustus|september|oktober"
    r"|november|nopember|desember|jan|feb|peb|mar|apr|jun|jul|agt|agu|ags|agst|sep|sept"
    r"|okt|nov|nop|des|tahun|thn|th|setiap|tiap|per|perbulan|bulan|bulanan|bln|minggu|pekan"
    r"|ke|kedua|ketiga|keempat|pertama|terakhir|akhir|awal|paling|lambat|selambat"
    r"|selambatnya|lambatnya|triwulan|tw|semester|kuartal|q[1-4]|i{1,3}|iv|dan|serta|atau"
    r"|s/d|s\.d\.?|sd|sampai|dengan|hingga|mulai|sejak|kecuali|selain|pertengahan|mingguan"
    r"|\d{4}|\d{1,2}|[-\u2013\u2014,/&;~().:])")
_TAIL_WORD = re.compile(f"(?:{_TAIL_PART})+", re.IGNORECASE)
_TAIL_ANCHOR = re.compile(
    r"januari|februari|pebruari|maret|april|mei|juni|juli|agustus|september|oktober"
    r"|november|nopember|desember|triwulan|semester|kuartal|perbulan|bulanan|lambat"
    r"|^(?:jan|feb|peb|mar|apr|jun|jul|agt|agu|ags|agst|sep|sept|okt|nov|nop|des|tw|q[1-4]"
    r"|bulan)$", re.IGNORECASE)
_TAIL_LEAD = re.compile(r"(?:[-\u2013\u2014,/&;~.):]+|dan|serta|atau|s/d|sampai|dengan|hingga"
                        r"|ke|i{1,3}|iv)", re.IGNORECASE)


def _tail_word(word: str) -> bool:
    """A word of target-time text, an obvious month typo (``Okttober-Desember``) too."""
    if _TAIL_WORD.fullmatch(word):
        return True
    parts = [p for p in re.split(r"[-\u2013\u2014,/&;~().:]+", word.lower()) if p]
    return bool(parts) and all(_TAIL_WORD.fullmatch(p) or fuzzy_month(p) for p in parts)


def target_tail(text: str, keep_lead: bool = False) -> int:
    """Where a target-time text that ends ``text`` begins, or -1.

    For text copied out of a PDF table, where the TARGET WAKTU cell's first line ends the
    row's first line: the longest run of target-time words at the end that names a month,
    quarter, semester or monthly cadence, without a connector or number dangling at its
    start (``keep_lead``: with it, to tell a continuation like ``dan Juni 2027``). Pure;
    the result is a character offset into ``text``."""
    words = list(re.finditer(r"\S+", text))
    start = len(words)
    while start > 0 and _tail_word(words[start - 1].group(0)):
        start -= 1
    while not keep_lead and start < len(words) and _TAIL_LEAD.fullmatch(words[start].group(0)):
        start += 1
    tail = words[start:]
    said = " ".join(w.group(0) for w in tail).lower()
    week = re.search(r"\b(?:minggu|pekan)\b", said) and re.search(
        r"\bke\b|\d|pertama|kedua|ketiga|keempat|terakhir", said)
    if not tail or not (week or any(
            _TAIL_ANCHOR.search(part) or fuzzy_month(part.lower()) for w in tail
            for part in re.split(r"[-\u2013\u2014,/&;~().:]+", w.group(0)) if part)):
        return -1
    return tail[0].start()
