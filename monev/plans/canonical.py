"""The canonical, human-editable YAML form of a plan (``format: monev-plan/1``).

An admin exports a plan read from any format, fixes the flagged rows by hand (the
``target`` text, or an explicit ``checkpoints`` list that overrides the grammar) and
imports it again. Every flagged row carries a ``# PERINGATAN: …`` comment above it;
the comments are read back, so a flag stays until the person deletes it (a row given
``checkpoints`` by hand drops them). Export → import → export is byte-identical."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

import yaml

from monev import safe_yaml
from monev.errors import PlanError
from monev.grammar import RANGE_POLICIES
from monev.model import KINDS, Item, Plan, PlanHeader, override_texts
from monev.periods import Period, parse_checkpoint

FORMAT = "monev-plan/1"
WARNING = "# PERINGATAN: "
_ITEM_FIELDS = ("area", "komponen", "indikator", "langkah_aksi", "bukti_fisik")


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)


def flag_text(warning: str, source: str) -> str:
    """A flag without its ``file:line (where):`` prefix, on one line."""
    text = warning.removeprefix(f"{source}:")
    text = re.sub(r"^\d+(?: \([^)]*\))?: ", "", text)
    return " ".join(text.split())


def _comments(warnings: Iterable[str], source: str) -> str:
    seen = dict.fromkeys(flag_text(w, source) for w in warnings)
    return "".join(f"{WARNING}{w}\n" for w in seen)


def dump_plan(plan: Plan) -> str:
    """The plan as canonical YAML text, a ``# PERINGATAN`` comment above each flag."""
    h = plan.header
    doc: dict[str, Any] = {
        "format": FORMAT,
        "plan": {
            "satker": h.satker, "kind": h.kind, "year": h.year, "number": h.number,
            "decided_on": h.decided_on.isoformat() if h.decided_on else None,
            "range_policy": plan.range_policy,
        },
    }
    header = ("# Rencana aksi monev — format kanonik. Perbaiki baris bertanda lalu impor "
              "ulang:\n#   monev plan import BERKAS.yaml\n# 'target' dibaca dengan tata "
              "bahasa target waktu; 'checkpoints' (mis. [2025-10, 2026-01-W2])\n"
              "# menggantikan hasil bacaan itu untuk baris tersebut.\n")
    out = [header, _comments(plan.warnings, plan.source), _dump(doc), "items:\n"]
    for item in plan.items:
        entry: dict[str, Any] = {f: getattr(item, f) for f in _ITEM_FIELDS}
        entry["target"] = item.target_text
        if item.pic:  # only when the decree names one (a PENANGGUNG JAWAB column)
            entry["pic"] = item.pic
        if item.override is not None:
            entry["checkpoints"] = override_texts(item)
        entry["source_line"] = item.source_line
        out.append(_comments(item.warnings, plan.source))
        out.append(_dump([entry]))
    return "".join(out)


def _dump(data: object) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def _carried(text_lines: list[str], first: int, source: str) -> list[str]:
    """The ``# PERINGATAN`` comments right above line ``first`` (1-based), as flags."""
    found: list[str] = []
    i = first - 2
    while i >= 0 and text_lines[i].startswith(WARNING):
        found.insert(0, f"{source}:{first}: {text_lines[i][len(WARNING):].strip()}")
        i -= 1
    return found


def _line_marks(text: str) -> list[int]:
    """1-based line of each item in the ``items`` list, read from the YAML nodes."""
    try:
        node = safe_yaml.compose(text)
    except yaml.YAMLError:
        return []
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if key.value == "items" and isinstance(value, yaml.SequenceNode):
            return [child.start_mark.line + 1 for child in value.value]
    return []


_DOC_KEYS = ("format", "plan", "items")
_PLAN_KEYS = ("satker", "kind", "year", "number", "decided_on", "range_policy")
_ENTRY_KEYS = (*_ITEM_FIELDS, "target", "pic", "checkpoints", "source_line")


def _unknown(found: dict[Any, Any], known: tuple[str, ...], prefix: str, source: str,
             line: int) -> list[str]:
    """A flag for each key monev does not read (a typo would otherwise vanish)."""
    return [f"{source}:{line}: kunci '{prefix}{k}' tidak dikenal dan diabaikan; yang dikenal: "
            f"{', '.join(known)}" for k in found if k not in known]


def load_canonical(text: str, source: str) -> tuple[Plan, list[int]]:
    """Read canonical YAML. Returns the plan and each item's line in the YAML file."""
    try:
        doc = safe_yaml.load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise PlanError(source, line, f"YAML tidak sah: {getattr(exc, 'problem', exc)}") \
            from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise PlanError(source, 1, f"bukan rencana aksi kanonik: diharapkan 'format: {FORMAT}'")
    lines = _line_marks(text)
    text_lines = text.split("\n")
    items_at = next((i for i, t in enumerate(text_lines) if t.startswith("items:")), 0)
    plan_flags = [f"{source}:{i + 1}: {t[len(WARNING):].strip()}"
                  for i, t in enumerate(text_lines[:items_at]) if t.startswith(WARNING)]
    meta = doc.get("plan")
    if not isinstance(meta, dict):
        raise PlanError(source, 1, "bagian 'plan' tidak ada atau bukan pemetaan")
    plan_flags += _unknown(doc, _DOC_KEYS, "", source, 1)
    plan_flags += _unknown(meta, _PLAN_KEYS, "plan.", source, 1)
    kind = meta.get("kind")
    if kind not in KINDS:
        raise PlanError(source, 1, f"plan.kind harus ZI atau RB, bukan {kind!r}")
    year = meta.get("year")
    if not isinstance(year, int) or not 1990 <= year <= 2200:
        raise PlanError(source, 1, f"plan.year harus tahun empat angka, bukan {year!r}")
    satker = meta.get("satker")
    if not isinstance(satker, str) or not satker.strip():
        raise PlanError(source, 1, "plan.satker wajib diisi")
    policy = meta.get("range_policy", "monthly")
    if policy not in RANGE_POLICIES:
        raise PlanError(source, 1, f"plan.range_policy harus monthly atau end, bukan {policy!r}")
    decided = meta.get("decided_on")
    if isinstance(decided, str):
        try:
            decided = date.fromisoformat(decided)
        except ValueError as exc:
            raise PlanError(source, 1, f"plan.decided_on bukan tanggal ISO: {decided!r}") \
                from exc
    if decided is not None and not isinstance(decided, date):
        raise PlanError(source, 1, f"plan.decided_on bukan tanggal: {decided!r}")
    number = meta.get("number")
    header = PlanHeader(satker=satker.strip(), kind=kind, year=year,
                        number=None if number is None else str(number), decided_on=decided)
    raw_items = doc.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise PlanError(source, 1, "daftar 'items' kosong atau tidak ada")
    items: list[Item] = []
    for i, raw in enumerate(raw_items):
        line = lines[i] if i < len(lines) else 0
        if not isinstance(raw, dict):
            raise PlanError(source, line, "setiap item harus pemetaan (area, komponen, …)")
        values = {}
        for f in (*_ITEM_FIELDS, "target", "pic"):
            v = raw.get(f, "")
            if v is None:
                v = ""
            if not isinstance(v, str | int):
                raise PlanError(source, line, f"item.{f} harus teks")
            values[f] = str(v)
        override = None
        days: dict[Period, date] = {}
        if "checkpoints" in raw:
            cps = raw["checkpoints"]
            if not isinstance(cps, list):
                raise PlanError(source, line, "item.checkpoints harus daftar periode")
            try:
                parsed = [parse_checkpoint(str(p)) for p in cps]
            except ValueError as exc:
                raise PlanError(source, line, str(exc)) from exc
            override = tuple(sorted({p for p, _ in parsed}))
            days = {p: d for p, d in sorted(parsed, key=lambda x: (x[0], x[1] or date.min))
                    if d is not None}
        unknown = _unknown(raw, _ENTRY_KEYS, "item.", source, line)
        src_line = raw.get("source_line", line)
        if isinstance(src_line, int) and not 0 <= src_line < 2 ** 31:
            raise PlanError(source, line, f"item.source_line {src_line} bukan nomor baris")
        items.append(Item(area=values["area"], komponen=values["komponen"],
                          indikator=values["indikator"], langkah_aksi=values["langkah_aksi"],
                          bukti_fisik=values["bukti_fisik"], target_text=values["target"],
                          pic=values["pic"],
                          source_line=int(src_line) if isinstance(src_line, int) else line,
                          override=override, days=days,
                          warnings=unknown + ([] if override else
                                              _carried(text_lines, line, source))))
    return Plan(header=header, items=items, source=source, range_policy=policy,
                warnings=plan_flags), lines
