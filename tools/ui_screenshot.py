"""Screenshots of the Prefect UI as an admin sees it after `make up`: the deployments,
a plan's upcoming runs, the flow runs named after what they do, and a sweep's artifact.

Starts `monev up --sink` on spare ports with a throwaway MONEV_HOME, logs into the UI
with the generated auth string, saves PNGs into docs/ (or the folder given), stops it.
Needs Debian's chromium (/usr/bin/chromium) and the `playwright` package."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def api(port: int, path: str, auth: str, body: object | None = None) -> object:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api{path}",
                                 data=json.dumps(body or {}).encode(),
                                 headers={"content-type": "application/json",
                                          "Authorization": "Basic " + base64.b64encode(
                                              auth.encode()).decode()})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)


def main(out_dir: Path) -> None:
    from playwright.sync_api import sync_playwright

    home = Path(tempfile.mkdtemp(prefix="monev-ui-"))
    port, http = 4391, 8391
    env = {**os.environ, "MONEV_HOME": str(home), "MONEV_PREFECT_PORT": str(port),
           "MONEV_HTTP_PORT": str(http), "MONEV_SMTP_SINK_PORT": "8392", "COLUMNS": "160"}
    log = (home / "up.log").open("w")
    proc = subprocess.Popen([str(ROOT / ".venv/bin/monev"), "up", "--sink"], cwd=ROOT,
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        auth_file = home / "prefect-auth"
        deadline = time.monotonic() + 300
        deployments: list[dict[str, object]] = []
        while time.monotonic() < deadline:
            if auth_file.exists():
                try:
                    deployments = api(port, "/deployments/filter",  # type: ignore[assignment]
                                      auth_file.read_text().strip())
                except OSError:
                    deployments = []
                if len(deployments) >= 14:
                    break
            time.sleep(1)
        time.sleep(8)  # the scheduler creates the upcoming runs
        auth = auth_file.read_text().strip()
        rb = [d for d in deployments if str(d["name"]).startswith("rb-2026")
              and d["schedules"] and "remind" in str(d.get("description", ""))][0]
        artifacts = api(port, "/artifacts/filter", auth)
        sweep = [a for a in artifacts  # type: ignore[union-attr]
                 if a["key"] == "kpu-kabupaten-muaro-jambi-rb-2026-sweep"][0]
        pages = {"prefect-ui-deployments": "deployments",
                 "prefect-ui-deployments-upcoming": f"deployments/deployment/{rb['id']}",
                 "prefect-ui-runs": "runs",
                 "prefect-ui-artifact-sweep": f"artifacts/artifact/{sweep['id']}"}
        out_dir.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/")
            page.evaluate("auth => localStorage.setItem('prefect-password', btoa(auth))", auth)
            for name, path in pages.items():
                page.goto(f"http://127.0.0.1:{port}/{path}")
                page.wait_for_load_state("networkidle")
                time.sleep(2)
                page.screenshot(path=str(out_dir / f"{name}.png"))
                print(out_dir / f"{name}.png")
            browser.close()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=90)
        log.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs")
