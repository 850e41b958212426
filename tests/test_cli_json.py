"""Listing commands for scripts and small terminals: ``--json`` prints exactly the keys
docs/cli-json.md documents, and the human output stays readable at 80 columns (ids
and dates whole, no cell cut to "K…") while 200 columns still show the full table."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ALL_PLANS, ROOT

LISTINGS = {
    "plan list": ["plan", "list"],
    "tasks": ["tasks", "--limit", "40"],
    "outbox": ["outbox", "--limit", "20"],
    "feed list": ["feed", "list"],
    "portal list": ["portal", "list"],
}
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
STUB = re.compile(r"(?:^|[\s│┃])\S?…(?=[\s│┃]|$)")  # a cell reduced to "…" or "K…"


def _monev(home: Path, *args: str, columns: int = 200) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MONEV_HOME": str(home), "COLUMNS": str(columns),
           "MONEV_TODAY": "2025-10-01", "MONEV_CONFIG": str(ROOT / "config" / "monev.yaml")}
    for name in ("MONEV_DATABASE_URL", "MONEV_SMTP_HOST", "MONEV_WHATSAPP_URL",
                 "MONEV_TELEGRAM_TOKEN", "PREFECT_API_URL", "LINES"):
        env.pop(name, None)
    res = subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=180)
    assert "Traceback" not in res.stdout + res.stderr, res.stderr
    return res


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real home: the example plans imported, swept on 1 Oct 2025 (the outbox filled
    by the engine), one send attempt without channels (real failure reasons), one
    calendar feed and one portal link."""
    from monev.config import load_config
    from monev.engine.sweep import sweep_plan
    from monev.store.db import open_session_factory
    from monev.store.queries import all_plans

    path = tmp_path_factory.mktemp("listing") / "home"
    assert _monev(path, "plan", "import", *map(str, ALL_PLANS), "-q").returncode == 0
    cfg = load_config(ROOT / "config" / "monev.yaml")
    factory = open_session_factory(f"sqlite:///{path / 'monev.db'}")
    with factory.begin() as s:
        for plan, satker in all_plans(s):
            sc = cfg.satker(satker.name)
            assert sc is not None
            sweep_plan(s, plan.id, date(2025, 10, 1), sc.calendar(), sc.settings(), sc,
                       now=datetime(2025, 10, 1, 2, tzinfo=UTC))
    factory.kw["bind"].dispose()
    assert _monev(path, "notify", "send").returncode == 0
    assert _monev(path, "feed", "create", "--for", "Tim ZI Kota",
                  "--plan", "kpu-kota-jambi/zi-2025").returncode == 0
    assert _monev(path, "portal", "link", "Ketua Contoh").returncode == 0
    return path


def _documented_keys() -> dict[str, list[str]]:
    """Each command's keys as docs/cli-json.md lists them, in order."""
    text = (ROOT / "docs" / "cli-json.md").read_text(encoding="utf-8")
    keys: dict[str, list[str]] = {}
    for section in re.split(r"^## ", text, flags=re.M)[1:]:
        title = re.match(r"`monev ([a-z ]+?) --json`", section)
        if title:
            keys[title.group(1)] = re.findall(r"^\| `(\w+)` \|", section, flags=re.M)
    return keys


def _json(home: Path, command: str, *extra: str) -> list[dict[str, Any]]:
    res = _monev(home, *LISTINGS[command], "--json", *extra)
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)  # nothing else on stdout
    assert isinstance(rows, list) and rows, command
    return rows


@pytest.mark.parametrize("command", sorted(LISTINGS))
def test_json_keys_are_the_documented_ones(home: Path, command: str) -> None:
    documented = _documented_keys()[command]
    optional = {"url"}  # only with --links
    for row in _json(home, command):
        assert set(row) == set(documented) - optional, (command, sorted(row))
    if "url" in documented:
        with_links = _json(home, command, "--links")
        assert all(set(r) == set(documented) for r in with_links)
        assert any(isinstance(r["url"], str) and r["url"].startswith("http")
                   for r in with_links)


def test_json_values_iso_dates_codes_and_full_text(home: Path) -> None:
    tasks = _json(home, "tasks")
    assert all(ISO_DAY.match(t["due"]) for t in tasks)
    assert {t["status"] for t in tasks} <= {"scheduled", "open", "submitted", "verified",
                                             "rejected", "backlog", "cancelled"}
    assert any(len(t["bukti_fisik"]) > 50 for t in tasks), "JSON text is never cut"
    plans = {p["plan_id"]: p for p in _json(home, "plan list")}
    kota = plans["kpu-kota-jambi/zi-2025"]
    assert kota["year"] == 2025 and kota["as_of"] == "2025-10-01"
    assert kota["checkpoints_due"] > 0 and kota["achievement_percent"] == 0.0
    outbox = _json(home, "outbox")
    assert all(r["status"] in ("pending", "failed") for r in outbox)
    assert any("MONEV_SMTP_HOST" in r["last_error"] for r in outbox)
    assert all(datetime.fromisoformat(r["not_before"]).tzinfo is not None for r in outbox)
    portal = _json(home, "portal list")
    assert [p["link"] for p in portal if p["person"] == "Ketua Contoh"] == ["active"]
    feeds = _json(home, "feed list")
    assert feeds[0]["scope"] == "plan" and ISO_DAY.match(feeds[0]["created"])


@pytest.mark.parametrize("command", sorted(LISTINGS))
def test_readable_at_80_columns(home: Path, command: str) -> None:
    """Every id and date the JSON holds appears whole in the 80-column output; no line
    is wider than the terminal; no cell is reduced to an ellipsis."""
    rows = _json(home, command)
    res = _monev(home, *LISTINGS[command], columns=80)
    assert res.returncode == 0, res.stderr
    text = res.stdout
    assert max(len(line) for line in text.splitlines()) <= 80
    assert not STUB.search(text), STUB.search(text)
    whole = {"plan list": ["plan_id", "kind", "status"],
             "tasks": ["checkpoint", "due", "status_label"],
             "outbox": ["day", "channel", "status_label"],
             "feed list": ["created", "scope"],
             "portal list": ["person", "link"]}[command]
    for key in whole:
        values = [str(row[key]) for row in rows]
        if command == "portal list" and key == "link":
            values = [{"none": "belum ada", "active": "aktif", "revoked": "dicabut"}[v]
                      for v in values]
        if command == "portal list" and key == "person":  # names may wrap between words
            assert all(w in text for v in values for w in v.split())
            continue
        for value in set(values):  # whole, once per row at least: never split or cut
            found = re.findall(rf"(?<![\w-]){re.escape(value)}(?![\w-])", text)
            assert len(found) >= values.count(value), (key, value, len(found))


def test_wide_terminal_shows_the_full_table(home: Path) -> None:
    """At 200 columns the table is kept (one line per task) with its full text."""
    tasks = _json(home, "tasks")
    res = _monev(home, *LISTINGS["tasks"], columns=200)
    assert "┃ Checkpoint" in res.stdout and "Bukti fisik" in res.stdout
    lines = res.stdout.splitlines()
    for t in tasks:
        line = next(x for x in lines if t["checkpoint"] in x)
        assert t["due"] in line and t["satker"] in line and t["bukti_fisik"][:50] in line
    narrow = _monev(home, *LISTINGS["tasks"], columns=80).stdout
    assert "┃ Checkpoint" not in narrow, "80 columns: records are stacked"
    for t in tasks:  # the same content, laid out differently
        assert t["checkpoint"] in narrow and t["due"] in narrow


def test_plan_list_at_80_columns_keeps_names_and_counts(home: Path) -> None:
    narrow = _monev(home, "plan", "list", columns=80).stdout
    for p in _json(home, "plan list"):
        assert p["satker"] in narrow, p["satker"]  # whole on one line, not "K…"
        assert f"{p['checkpoints_verified']}/{p['checkpoints_due']}" in narrow or \
            not p["checkpoints_due"]
