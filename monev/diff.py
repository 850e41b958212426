"""What changed between two versions of a plan, matched by stable item identity."""

from __future__ import annotations

from dataclasses import dataclass, field

from monev.model import Item, Plan
from monev.periods import Period

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


def diff_plans(old: Plan, new: Plan) -> PlanDiff:
    old_by_key = {i.key: i for i in old.items}
    new_by_key = {i.key: i for i in new.items}
    result = PlanDiff()
    for item in new.items:
        before = old_by_key.get(item.key)
        if before is None:
            result.added.append(item)
            continue
        change = diff_item(before, item)
        if change.fields or change.periods_added or change.periods_removed:
            result.changed.append(change)
        else:
            result.unchanged += 1
    result.removed = [i for i in old.items if i.key not in new_by_key]
    return result


def diff_item(old: Item, new: Item) -> ItemChange:
    change = ItemChange(key=new.key, old=old, new=new)
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
