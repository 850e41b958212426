"""What changed between two versions of a plan, matched by stable item identity.

Rows are matched by their key first (what the row says, cell by cell). The same decree
read from another file (a PDF copy after the TAB export) may cut a row's text into its
cells differently, break a word in two or lose a komponen to the indikator: such rows
keep their identity when their whole text and target time say the same (``same_row``),
and the rest are paired in document order by how much of their words they share
(``match_items``), so only real changes show as changes. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from monev.model import Item, Plan, normalise_text
from monev.periods import Period

# Reader flags (monev.plans) that say a row's cells were cut by guess from copied text.
GUESSED_CELLS = "salinan PDF"
_MIN_SHARED = 0.6  # share of words two rows must have in common to be the same row

COMPARED_FIELDS = ("area", "komponen", "indikator", "langkah_aksi", "bukti_fisik",
                   "target_text")


@dataclass
class ItemChange:
    key: str
    old: Item
    new: Item
    fields: dict[str, tuple[str, str]] = field(default_factory=dict)
    periods_added: list[Period] = field(default_factory=list)
    periods_removed: list[Period] = field(default_factory=list)


@dataclass
class PlanDiff:
    added: list[Item] = field(default_factory=list)
    removed: list[Item] = field(default_factory=list)
    changed: list[ItemChange] = field(default_factory=list)
    unchanged: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _content(item: Item, komponen: bool = True) -> str:
    cells = (item.komponen if komponen else "", item.indikator, item.langkah_aksi,
             item.bukti_fisik)
    return normalise_text(" ".join(cells))


@dataclass(frozen=True)
class _Sig:
    """What ``same_row`` compares, computed once per row."""

    periods: frozenset[Period]
    target: str
    area: str
    texts: frozenset[str]  # the cells run together, with and without the komponen
    words: tuple[frozenset[str], frozenset[str]]  # the same as sets of words
    guessed: bool


def _sig(item: Item) -> _Sig:
    return _Sig(frozenset(item.periods), normalise_text(item.target_text),
                normalise_text(item.area), frozenset((_content(item), _content(item, False))),
                (_words(item), _words(item, False)), guessed_cells(item))


def _same_sig(a: _Sig, b: _Sig) -> bool:
    if (a.periods, a.target, a.area) != (b.periods, b.target, b.area):
        return False
    if a.texts & b.texts:
        return True
    if not (a.guessed or b.guessed):
        return False
    # copied text: lines of neighbouring cells interleaved, a few words in the row above
    return max(len(x & y) / max(len(x), len(y), 1) for x in a.words for y in b.words) >= 0.9


def same_row(a: Item, b: Item) -> bool:
    """Whether two readings of a row say the same, whatever cell each word landed in
    and wherever a line broke a word (a komponen may stand in the indikator of a row
    read from copied text, or be missing from the rows after its first); a row whose
    cells the reader guessed may differ in a few words (see ``_same_sig``)."""
    return _same_sig(_sig(a), _sig(b))


def guessed_cells(item: Item) -> bool:
    """Whether the reader cut this row's cells by guess (text copied out of a PDF)."""
    return any(GUESSED_CELLS in w for w in item.warnings)


def _words(item: Item, komponen: bool = True) -> frozenset[str]:
    text = " ".join((item.komponen if komponen else "", item.indikator, item.langkah_aksi,
                     item.bukti_fisik))
    return frozenset(w for w in re.findall(r"\w+", text.lower()) if len(w) > 2)


def _likeness(a: tuple[frozenset[str], _Sig], b: tuple[frozenset[str], _Sig]) -> float:
    """2 for the same row, else the share of words they have in common (0 below
    ``_MIN_SHARED``), half a point more when their checkpoints are the same."""
    (wa, sa), (wb, sb) = a, b
    if _same_sig(sa, sb):
        return 2.0
    if not wa or not wb:
        return 0.0
    shared = len(wa & wb) / min(len(wa), len(wb))
    if shared < _MIN_SHARED:
        return 0.0
    return shared + (0.5 if sa.periods == sb.periods else 0.0)


def match_items(old: list[Item], new: list[Item]) -> dict[int, int]:
    """Which old row each new row is (index → index): the same key, else the best
    pairing in document order of the rows left (the same text, else most words shared)."""
    pairs: dict[int, int] = {}
    old_at = {i.key: k for k, i in enumerate(old)}
    taken: set[int] = set()
    for j, item in enumerate(new):
        k = old_at.get(item.key)
        if k is not None and k not in taken:
            pairs[j] = k
            taken.add(k)
    rest_old = [k for k in range(len(old)) if k not in taken]
    rest_new = [j for j in range(len(new)) if j not in pairs]
    if not rest_old or not rest_new:
        return pairs
    wo = {k: (_words(old[k]), _sig(old[k])) for k in rest_old}
    wn = {j: (_words(new[j]), _sig(new[j])) for j in rest_new}
    n, m = len(rest_old), len(rest_new)
    # best total likeness of an order-keeping pairing (a weighted longest common subsequence)
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    like = [[0.0] * m for _ in range(n)]
    for x in range(n - 1, -1, -1):
        for y in range(m - 1, -1, -1):
            v = like[x][y] = _likeness(wo[rest_old[x]], wn[rest_new[y]])
            best[x][y] = max(best[x + 1][y], best[x][y + 1],
                             best[x + 1][y + 1] + v if v > 0 else 0.0)
    x = y = 0
    while x < n and y < m:
        v = like[x][y]
        if v > 0 and best[x][y] == best[x + 1][y + 1] + v:
            pairs[rest_new[y]] = rest_old[x]
            x, y = x + 1, y + 1
        elif best[x + 1][y] >= best[x][y + 1]:
            x += 1
        else:
            y += 1
    return pairs


def diff_plans(old: Plan, new: Plan) -> PlanDiff:
    pairs = match_items(old.items, new.items)
    result = PlanDiff()
    for j, item in enumerate(new.items):
        if j not in pairs:
            result.added.append(item)
            continue
        before = old.items[pairs[j]]
        change = diff_item(before, item)
        if (change.fields or change.periods_added or change.periods_removed) and \
                not same_row(before, item):
            result.changed.append(change)
        else:
            result.unchanged += 1
    matched = set(pairs.values())
    result.removed = [i for k, i in enumerate(old.items) if k not in matched]
    return result


def diff_item(old: Item, new: Item) -> ItemChange:
    change = ItemChange(key=old.key, old=old, new=new)
    for f in COMPARED_FIELDS:
        a, b = getattr(old, f), getattr(new, f)
        if a != b:
            change.fields[f] = (a, b)
    change.periods_added = sorted(set(new.periods) - set(old.periods))
    change.periods_removed = sorted(set(old.periods) - set(new.periods))
    return change


KEPT = "dipertahankan, sudah lewat atau sudah dikerjakan"


def render_diff(diff: PlanDiff, kept: dict[str, list[str]] | None = None,
                reactivated: list[str] | None = None) -> list[str]:
    """The diff as lines for people (Bahasa Indonesia). ``kept`` (item key → periods) and
    ``reactivated`` (item keys) come from an import into the store: checkpoints that
    stay because they are past or worked on are named as kept, not as removed."""
    kept, back = kept or {}, set(reactivated or ())
    out: list[str] = []
    for item in diff.added:
        out.append(f"+ baris baru (baris {item.source_line}): {item.indikator[:70]} "
                   f"[{', '.join(str(p) for p in item.periods)}]")
    for item in diff.removed:
        out.append(f"- baris dihapus (baris {item.source_line}): {item.indikator[:70]}")
        if kept.get(item.key):
            out.append(f"    checkpoint {KEPT}: {', '.join(sorted(kept[item.key]))}")
    for ch in diff.changed:
        mark = "↺ baris aktif kembali" if ch.key in back else "~ baris berubah"
        out.append(f"{mark} (baris {ch.new.source_line}): {ch.new.indikator[:70]}")
        for f, (a, b) in ch.fields.items():
            out.append(f"    {f}: '{a[:60]}' → '{b[:60]}'")
        if ch.periods_added:
            out.append(f"    checkpoint baru: {', '.join(map(str, ch.periods_added))}")
        stays = set(kept.get(ch.key, ()))
        dropped = [str(p) for p in ch.periods_removed if str(p) not in stays]
        if dropped:
            out.append(f"    checkpoint dihapus: {', '.join(dropped)}")
        if stays:
            out.append(f"    checkpoint {KEPT}: {', '.join(sorted(stays))}")
    out.append(f"ringkasan: {len(diff.added)} baru, {len(diff.removed)} dihapus, "
               f"{len(diff.changed)} berubah, {diff.unchanged} tetap")
    return out


def carry_identity(old: list[Item], new: list[Item]) -> None:
    """Give each row of a new reading the key of the old row it is (``match_items``), so
    its checkpoints and evidence stay with it; a row whose cells the new reader guessed
    and that says the same as an old row read cell by cell keeps the old row's cells."""
    for j, k in match_items(old, new).items():
        before, item = old[k], new[j]
        item.key = before.key
        if guessed_cells(item) and not guessed_cells(before) and same_row(before, item):
            item.area, item.komponen, item.indikator = before.area, before.komponen, \
                before.indikator
            item.langkah_aksi, item.bukti_fisik = before.langkah_aksi, before.bukti_fisik
            item.warnings = [w for w in item.warnings if GUESSED_CELLS not in w]
