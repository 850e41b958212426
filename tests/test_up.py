"""`monev up` as an office runs it: a real Prefect server (ours, with auth), deployments,
HTTP app, sinks; busy ports refused before anything starts; TERM stops every child; a
dead child stops the whole; a restart never undoes a plan fixed through YAML."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.clock import LIVE_YEAR, live_plan
from tests.conftest import ROOT, ZI_KOTA, free_port


def _env(home: Path, ports: dict[str, int], today: str = "2026-11-02") -> dict[str, str]:
    env = {**os.environ, "MONEV_HOME": str(home), "COLUMNS": "200", "MONEV_TODAY": today,
           "MONEV_PREFECT_PORT": str(ports["prefect"]), "MONEV_HTTP_PORT": str(ports["http"]),
           "MONEV_SMTP_SINK_PORT": str(ports["smtp"]),
           "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5"}
    for name in ("MONEV_DATABASE_URL", "PREFECT_API_URL", "PREFECT_API_AUTH_STRING",
                 "MONEV_SMTP_HOST", "MONEV_WHATSAPP_URL"):
        env.pop(name, None)
    return env


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _ports() -> dict[str, int]:
    return {"prefect": free_port(), "http": free_port(), "smtp": free_port()}


@contextmanager
def running_up(env: dict[str, str], *args: str) -> Iterator[tuple[subprocess.Popen[str],
                                                               list[str]]]:
    """``monev up --sink`` until it prints "Tekan Ctrl-C"; stopped with INT afterwards
    (if still running)."""
    proc = subprocess.Popen([sys.executable, "-m", "app", "up", "--sink", *args], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 240
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Ctrl-C" in line:
                break
        assert any("Ctrl-C" in x for x in lines), "".join(lines)
        yield proc, lines
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise


def _auth(home: Path) -> str:
    return "Basic " + base64.b64encode((home / "prefect-auth").read_text().strip().encode()
                                       ).decode()


def _api(port: int, path: str, body: dict[str, object], home: Path | None) -> object:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api{path}",
                                 data=json.dumps(body).encode(),
                                 headers={"content-type": "application/json"})
    if home is not None:
        req.add_header("Authorization", _auth(home))
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _children_of(pid: int) -> list[int]:
    """PIDs of every process whose parent chain leads to ``pid``."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        kids = [p for p, parent in parents.items() if parent == current]
        found += kids
        frontier += kids
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and \
        Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"


def test_up_serves_refuses_a_second_instance_and_stops_on_term(tmp_path: Path) -> None:
    ports = _ports()
    home = tmp_path / "home"
    env = _env(home, ports)
    with running_up(env) as (proc, lines):
        output = "".join(lines)
        assert f"http://127.0.0.1:{ports['prefect']}/deployments" in output, output
        # the ZI 2025 plans closed (end of January 2026) with their year-end report; only
        # the RB 2026 plan is live: its 4 deployments, the safety net and the dispatcher
        assert "7 deployment" in output and "untuk 1 rencana aksi" in output, output
        for satker in ("kpu-kabupaten-muaro-jambi", "kpu-kota-jambi"):
            final = home / "reports" / satker / "zi-2025" / "laporan-2025.pdf"
            assert final.read_bytes().startswith(b"%PDF")
            assert f"— selesai sejak 01-02-2026; laporan akhir: {final}" in output, output
        assert "Rencana    : RB 2026 KPU Kabupaten Muaro Jambi — aktif" in output
        arrived = [x for x in lines if x.startswith("diterima")]
        sink = home / "sink"
        from email import message_from_bytes

        mails = [message_from_bytes(p.read_bytes()) for p in sorted(sink.glob("*-email.eml"))]
        attached = {(str(mail["To"]), part.get_filename()) for mail in mails
                    for part in mail.walk() if part.get_filename()}
        for who in ("ketua.tim@example.org", "sekretaris@example.org"):
            assert (who, "laporan-2025.pdf") in attached and \
                (who, "laporan-2025.xlsx") in attached, attached
        # no flood: long lists are summed up per plan and area, never a wall
        for mail in mails:
            text = next(p for p in mail.walk() if p.get_content_type() == "text/plain")
            body = text.get_payload(decode=True).decode()
            assert len(body) < 6000, body[:2000]
        assert not [x for x in arrived if "571" in x]
        assert len([x for x in arrived if x.startswith("diterima email")]) == len(
            list(sink.glob("*-email.eml"))) > 0
        assert len([x for x in arrived if x.startswith("diterima whatsapp")]) == len(
            list(sink.glob("*-whatsapp.json"))) > 0
        assert any("sekretaris@example.org" in x for x in arrived)
        port = ports["prefect"]
        # our server wants our credentials: without them nothing is readable
        try:
            _api(port, "/block_documents/filter", {"include_secrets": True}, None)
            raise AssertionError("the Prefect API answered without credentials")
        except urllib.error.HTTPError as exc:
            assert exc.code == 401
        deployments: list[dict[str, object]] = []
        for _ in range(90):  # the runner registers the deployments one by one
            deployments = _api(port, "/deployments/filter", {}, home)  # type: ignore[assignment]
            if len(deployments) >= 7:
                break
            time.sleep(1)
        names = {str(d["name"]) for d in deployments}
        assert names == {"rb-2026-kpu-kab-muaro-jambi", "harian", "antrean", "ulang"}, names
        dispatcher = [d for d in deployments if d["name"] == "antrean"][0]
        assert dispatcher["schedules"] == [], "no empty dispatch run every 5 minutes"
        with urllib.request.urlopen(f"http://127.0.0.1:{ports['http']}/health", timeout=10) as r:
            assert json.load(r) == {"status": "ok", "plans": 3}
        feeds = {x.split(": ", 1)[1].rsplit(": ", 1)[0]: x.rsplit(": ", 1)[1].strip()
                 for x in lines if x.startswith("Kalender")}
        assert len(feeds) == 3, feeds
        from ical.calendar_stream import IcsCalendarStream

        for plan, url in feeds.items():
            with urllib.request.urlopen(url, timeout=30) as r:
                assert r.headers["Content-Type"] == "text/calendar; charset=utf-8"
                shown = len(IcsCalendarStream.calendar_from_ics(r.read().decode()).events)
            if plan.startswith("ZI 2025"):  # closed, nothing verified: no open work left
                assert shown == 0, (plan, shown)
            else:
                assert shown > 200, (plan, shown)
        from monev.config import load_config

        people = sum(len(sc.people) for sc in load_config(ROOT / "config" / "monev.yaml").satkers)
        portal = [x.rsplit(": ", 1)[1].strip() for x in lines if x.startswith("Portal")]
        assert len(portal) == people, "every configured person of a stored satker"
        assert all(u.startswith(f"http://127.0.0.1:{ports['http']}/p/") for u in portal)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            opener.open(portal[0], timeout=30)
            raise AssertionError("a personal link redirects to its sign-in page")
        except urllib.error.HTTPError as exc:
            assert exc.code == 303 and exc.headers["Location"] == "/portal/masuk"
            assert "monev_masuk=" in exc.headers["Set-Cookie"]
            assert "monev_sesi" not in exc.headers["Set-Cookie"], "only its button opens one"
        # the dispatcher was registered before the first sweep queued anything: the sweep
        # asked it for a send run, named after the minute it sends
        assert "belum terdaftar" not in output, output
        runs = _api(port, "/flow_runs/filter", {}, home)
        sends = [str(r["name"]) for r in runs  # type: ignore[union-attr]
                 if r["deployment_id"] == dispatcher["id"]]
        assert sends and all(n.startswith("dispatch · ") for n in sends), sends
        # the catch-up runs are named after what they do and report in words
        run_names = {str(r["name"]) for r in runs}  # type: ignore[union-attr]
        assert "sweep_all · 2026-11-02" in run_names, run_names
        artifacts = _api(port, "/artifacts/filter", {}, home)
        sweep = [a for a in artifacts  # type: ignore[union-attr]
                 if a["key"] == "kpu-kabupaten-muaro-jambi-rb-2026-sweep"][0]
        table = json.loads(str(sweep["data"]))
        from monev.status import CHECKPOINT_WORDS

        rows = [r for r in table if r.get("kode", "-") != "-"]
        assert rows and {r["status"] for r in rows} <= set(CHECKPOINT_WORDS.values())
        assert all(r["bukti fisik"] and r["area"] for r in rows)
        capaian = [a for a in artifacts  # type: ignore[union-attr]
                   if a["key"] == "kpu-kabupaten-muaro-jambi-rb-2026-capaian"][0]
        assert "dari 399 checkpoint terverifikasi" in str(capaian["description"])

        # a second instance on the same ports (another home) refuses before touching any
        other = subprocess.run([sys.executable, "-m", "app", "up", "--sink"], cwd=ROOT,
                               env=_env(tmp_path / "other", ports), capture_output=True,
                               text=True, timeout=60)
        assert other.returncode != 0
        assert "sudah dipakai" in other.stderr and "Traceback" not in other.stderr
        assert len(other.stderr.strip().splitlines()) == 1, other.stderr
        assert not (tmp_path / "other" / "monev.db").exists()
        with urllib.request.urlopen(f"http://127.0.0.1:{ports['http']}/health", timeout=10) as r:
            assert json.load(r)["plans"] == 3, "the first instance is untouched"
        # a second instance on the same home with other ports: refused by the home's lock,
        # naming the running one; it starts nothing and leaves the first's state alone
        state = (home / "run" / "up.json").read_bytes()
        others = _ports()
        same_home = subprocess.run([sys.executable, "-m", "app", "up", "--sink"], cwd=ROOT,
                                   env=_env(home, others), capture_output=True, text=True,
                                   timeout=60)
        assert same_home.returncode != 0
        refused = same_home.stderr.strip()
        assert len(refused.splitlines()) == 1 and "Traceback" not in refused, refused
        assert "sudah berjalan" in refused and f"pid {proc.pid}" in refused, refused
        assert f"Prefect {ports['prefect']}" in refused and f"HTTP {ports['http']}" in refused
        assert not any(_listening(p) for p in others.values()), "nothing started"
        assert (home / "run" / "up.json").read_bytes() == state

        _live_plan_is_served_without_a_restart(tmp_path, env, port, home)

        children = _children_of(proc.pid)
        assert children  # the Prefect server (the runner is a thread of monev up)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=90) == 0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(p) for p in children):
        time.sleep(0.5)
    assert not [p for p in children if _alive(p)], "no child left behind"
    for port in ports.values():
        assert not _listening(port), f"port {port} was freed"
    assert not (home / "run" / "up.json").exists()


def _live_plan_is_served_without_a_restart(tmp_path: Path, env: dict[str, str], port: int,
                                           home: Path) -> None:
    """A plan imported while ``monev up`` runs gets its deployments, and Prefect's
    scheduler (the real clock) its next run of each, named like the runs that ran. The
    plan is of the year after the real one, so it has runs to schedule on any date."""
    imported = subprocess.run([sys.executable, "-m", "app", "plan", "import",
                               str(live_plan(tmp_path)), "-q"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
    assert imported.returncode == 0, imported.stderr
    name = f"rb-{LIVE_YEAR}-kpu-kab-muaro-jambi"
    waiting: dict[str, list[str]] = {}
    for _ in range(150):
        flows = {f["id"]: f["name"] for f in _api(port, "/flows/filter", {}, home)}  # type: ignore[union-attr]
        mine = {d["id"]: f"{flows.get(d['flow_id'])}/{d['name']}"  # type: ignore[index]
                for d in _api(port, "/deployments/filter", {}, home)  # type: ignore[union-attr]
                if d["name"] == name}
        runs = _api(port, "/flow_runs/filter",
                    {"flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}}, home)
        waiting = {label: [str(r["name"]) for r in runs  # type: ignore[union-attr]
                           if r["deployment_id"] == dep_id] for dep_id, label in mine.items()}
        if len(waiting) == 4 and all(names and all(" · " in n for n in names)
                                     for names in waiting.values()):
            break
        time.sleep(1)
    assert len(waiting) == 4, f"deployments of {name}: {sorted(waiting)}"
    for label, names in waiting.items():
        flow = label.split("/")[0]
        assert names, f"no scheduled run of {label}"
        assert all(n.startswith(f"{flow} · kpu-kab-muaro-jambi rb-{LIVE_YEAR} · {LIVE_YEAR}-")
                   for n in names), f"{label}: {names}"


def test_restart_keeps_a_yaml_fix_and_a_dead_server_stops_up(tmp_path: Path) -> None:
    ports = _ports()
    home = tmp_path / "home"
    env = _env(home, ports)
    with running_up(env):
        pass  # first start: the examples are imported
    fixed = tmp_path / "kota.yaml"
    monev = [sys.executable, "-m", "app"]
    exported = subprocess.run([*monev, "plan", "export", str(ZI_KOTA), "--format", "yaml",
                               "-o", str(fixed)], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=60)
    assert exported.returncode == 0, exported.stderr
    text = fixed.read_text(encoding="utf-8")
    assert "Okttober" in text
    fixed.write_text(text.replace("Okttober", "Oktober", 1), encoding="utf-8")
    imported = subprocess.run([*monev, "plan", "import", str(fixed), "-q"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
    assert imported.returncode == 0, imported.stderr
    # importing the original text again would undo the fix: refused, with the reason
    again = subprocess.run([*monev, "plan", "import", str(ZI_KOTA), "-q"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 2 and "--force" in again.stderr, again.stderr
    with running_up(env) as (proc, lines):
        assert any("sudah tersimpan" in x for x in lines)
        listed = subprocess.run([*monev, "plan", "list"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=60)
        row = [x for x in listed.stdout.splitlines() if "kpu-kota-jambi/zi-2025" in x][0]
        assert "│ 2      │" in row, row  # revision 2 (the YAML fix) kept
        server = [p for p in _children_of(proc.pid)
                  if "prefect" in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="ignore")
                  and "server" in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="ignore")]
        assert server
        os.kill(server[0], signal.SIGKILL)
        assert proc.wait(timeout=60) == 1
        rest = proc.stdout.read() if proc.stdout else ""
        assert "server Prefect berhenti tiba-tiba" in rest and "Traceback" not in rest, rest
    for port in ports.values():
        assert not _listening(port)
