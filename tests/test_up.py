"""`monev up` as a user runs it: a real Prefect server, deployments, HTTP app, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.conftest import ROOT, free_port


def _post(url: str, body: dict[str, object]) -> list[dict[str, object]]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        data: list[dict[str, object]] = json.load(resp)
        return data


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def test_up_serves_deployments_and_stops_cleanly(tmp_path: Path) -> None:
    prefect_port, http_port, smtp_port = free_port(), free_port(), free_port()
    env = {**os.environ, "MONEV_HOME": str(tmp_path / "home"), "COLUMNS": "200",
           "MONEV_PREFECT_PORT": str(prefect_port), "MONEV_HTTP_PORT": str(http_port),
           "MONEV_SMTP_SINK_PORT": str(smtp_port), "MONEV_TODAY": "2026-11-02"}
    env.pop("MONEV_DATABASE_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "monev", "up", "--sink"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 180
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Ctrl-C" in line:
                break
        output = "".join(lines)
        assert f"http://127.0.0.1:{prefect_port}/deployments" in output, output
        assert "14 deployment" in output
        # reminders of the example plans arrived in the local sinks, each once
        arrived = [x for x in lines if x.startswith("diterima")]
        sink = tmp_path / "home" / "sink"
        assert len([x for x in arrived if x.startswith("diterima email")]) == len(
            list(sink.glob("*-email.eml"))) > 0
        assert len([x for x in arrived if x.startswith("diterima whatsapp")]) == len(
            list(sink.glob("*-whatsapp.json"))) > 0
        assert any("Sekretaris Contoh" in x or "sekretaris@example.org" in x for x in arrived)
        api = f"http://127.0.0.1:{prefect_port}/api"
        for _ in range(90):  # serve() registers the deployments one by one
            deployments = _post(f"{api}/deployments/filter", {})
            if len(deployments) >= 14:
                break
            time.sleep(1)
        names = {str(d["name"]) for d in deployments}
        assert {"kpu-kabupaten-muaro-jambi-zi-2025", "kpu-kabupaten-muaro-jambi-rb-2026",
                "kpu-kota-jambi-zi-2025", "harian", "antrean"} <= names
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/health", timeout=10) as r:
            assert json.load(r) == {"status": "ok", "plans": 3}
        # a printed feed URL can be pasted into a calendar client: fetch and parse it
        feeds = [x.rsplit(": ", 1)[1].strip() for x in lines if x.startswith("Kalender")]
        assert len(feeds) == 3
        from ical.calendar_stream import IcsCalendarStream

        for url in feeds:
            assert url.startswith(f"http://127.0.0.1:{http_port}/feeds/") and url.endswith(".ics")
            with urllib.request.urlopen(url, timeout=30) as r:
                assert r.headers["Content-Type"] == "text/calendar; charset=utf-8"
                cal = IcsCalendarStream.calendar_from_ics(r.read().decode("utf-8"))
            assert len(cal.events) > 200
        portal = [x.rsplit(": ", 1)[1].strip() for x in lines if x.startswith("Portal")]
        assert len(portal) == 15, "every configured person of a stored satker"
        assert all(u.startswith(f"http://127.0.0.1:{http_port}/p/") for u in portal)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            opener.open(portal[0], timeout=30)
            raise AssertionError("a personal link redirects into the portal")
        except urllib.error.HTTPError as exc:
            assert exc.code == 303 and exc.headers["Location"] == "/portal/"
            assert "monev_sesi=" in exc.headers["Set-Cookie"]
        index = [x.rsplit(": ", 1)[1].strip() for x in lines if x.startswith("Indeks")]
        with urllib.request.urlopen(index[0], timeout=30) as r:
            assert "webcal://" in r.read().decode("utf-8")
        scheduled = [d for d in deployments if d["schedules"]]
        assert scheduled
        for _ in range(60):
            runs = _post(f"{api}/flow_runs/filter",
                         {"flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}})
            if {r["deployment_id"] for r in runs} >= {d["id"] for d in scheduled}:
                break
            time.sleep(1)
        assert {r["deployment_id"] for r in runs} >= {d["id"] for d in scheduled}
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", prefect_port)) != 0, "Prefect server stopped"
