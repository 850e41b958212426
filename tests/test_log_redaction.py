"""No token in any log (issue 24): every channel failing against real local servers,
in a process logging the way ``monev up`` does (Prefect's logging at DEBUG with Apprise
and the HTTP clients as extra loggers, monev's one-line console and ``run/up.log``),
with token-shaped secrets; then every output and every file is searched for them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.conftest import ROOT, Sink, free_port, fresh_database
from tests.test_notify import http_server

TG = "7123456789:AAFq3ZxYtokenTELEGRAM0secret-abcdefg"  # in the environment
WA = "EAAGwhatsappCLOUDtoken0123456789abcdefXYZ"
PASSWORD = "sandi-SMTP-0123456789-rahasia"
GATEWAY = "wagatewayTOKEN-9f8e7d6c5b4a39281706"  # only in an explicit env (not os.environ)
TG_DOWN = "6987654321:AAGotherTELEGRAMtoken1secret-hijklmn"
SECRETS = (TG, WA, PASSWORD, GATEWAY, TG_DOWN)


class Refusing(BaseHTTPRequestHandler):
    """Telegram, the Cloud API and a gateway refusing the token: 401 with a reason."""

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": false, "status": false, "description": "Unauthorized", '
                         b'"error": {"message": "invalid token"}}')

    def log_message(self, *args: Any) -> None:
        pass


def _refuse(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    return AuthResult(success=False, handled=False)  # "535 credentials invalid"


@pytest.fixture
def refusing_smtp() -> Iterator[int]:
    """An SMTP server refusing every login (AUTH over plain text, as the URL asks)."""
    port = free_port()
    ctl = Controller(Sink(), hostname="127.0.0.1", port=port, auth_require_tls=False,
                     authenticator=_refuse)
    ctl.start()
    try:
        yield port
    finally:
        ctl.stop()


SCRIPT = textwrap.dedent("""
    import json, logging, os, sys
    from datetime import date, datetime
    from pathlib import Path
    from prefect.logging.configuration import setup_logging
    setup_logging()  # Prefect's console on the root, extra loggers, DEBUG
    from app.cli.console_logs import keep_tracebacks_in
    from monev.store import models as m
    from monev.store.db import open_session_factory
    from notifiers.dispatch import dispatch
    args = json.loads(sys.argv[1])
    keep_tracebacks_in(Path(os.environ["MONEV_HOME"]) / "run" / "up.log")
    api = f"http://127.0.0.1:{args['http']}"
    os.environ["MONEV_WHATSAPP_GRAPH_URL"] = api + "/v21.0"
    os.environ["MONEV_TELEGRAM_API_URL"] = api
    factory = open_session_factory(args["url"])
    n = [0]
    def send(channels, env=None):
        with factory.begin() as s:
            rows = []
            for channel in channels:
                n[0] += 1
                address = {"email": "a@example.org", "whatsapp": "+6281234567890",
                           "telegram": "12345678"}[channel]
                rows.append(m.Outbox(idem_key=f"k{n[0]}", person="P", channel=channel,
                    address=address, kind="harian", day=date(2025, 10, 28), items=[],
                    subject="s", body="isi", status="pending", not_before=datetime(2025, 1, 1)))
            s.add_all(rows)
            s.flush()
            ids = [r.id for r in rows]
        r = dispatch(factory, env=env, only=ids, max_attempts=1)
        print("gagal:", len(r.failed), "tidak pasti:", len(r.uncertain), r.failed)
    send(["email", "telegram", "whatsapp"])  # secrets in the environment
    gateway = {"MONEV_WHATSAPP_TOKEN": args["gateway"]}
    send(["whatsapp"], {**gateway, "MONEV_WHATSAPP_URL": api.replace("http://", "json://")
                        + "/api/sendText?+X-Api-Key={token}&:chatId={phone_digits}@c.us"})
    send(["whatsapp"], {**gateway, "MONEV_WHATSAPP_URL": api.replace("http://", "wajson://")
                        + "/send/{token}/text?:to={phone_digits}"})
    os.environ["MONEV_TELEGRAM_API_URL"] = f"http://127.0.0.1:{args['down']}"
    send(["telegram"], {"MONEV_TELEGRAM_TOKEN": args["tg_down"]})
    import requests
    try:  # a library error carrying the URL, logged with its traceback
        requests.post(f"http://127.0.0.1:{args['down']}/bot{args['tg_down']}/getMe", timeout=5)
    except requests.RequestException:
        logging.getLogger("monev.uji").exception("permintaan gagal")
""")


def test_no_secret_in_any_output_or_log_file(tmp_path: Path, refusing_smtp: int) -> None:
    home = tmp_path / "home"
    (home / "run").mkdir(parents=True)
    url = fresh_database("sqlite", tmp_path)
    with http_server(Refusing) as http:
        env = {**os.environ, "MONEV_HOME": str(home), "PYTHONPATH": str(ROOT),
               "PREFECT_LOGGING_LEVEL": "DEBUG", "PREFECT_LOGGING_ROOT_LEVEL": "DEBUG",
               "PREFECT_LOGGING_EXTRA_LOGGERS": "apprise,httpx,urllib3",
               "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
               "MONEV_SMTP_HOST": "127.0.0.1", "MONEV_SMTP_PORT": str(refusing_smtp),
               "MONEV_SMTP_MODE": "plain", "MONEV_SMTP_FROM": "monev@example.org",
               "MONEV_SMTP_USER": "monev", "MONEV_SMTP_PASSWORD": PASSWORD,
               "MONEV_TELEGRAM_TOKEN": TG, "MONEV_WHATSAPP_TOKEN": WA,
               "MONEV_WHATSAPP_URL": "whatsapp://{token}@1234567890/{phone}"}
        env.pop("PREFECT_API_URL", None)
        args = {"url": url, "http": http, "down": free_port(), "gateway": GATEWAY,
                "tg_down": TG_DOWN}
        done = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(args)], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=120)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert output.count("gagal: 1") == 3 and "gagal: 3" in output, output[-3000:]
    assert "535" in output, "the SMTP server refused the password"
    # the failures were logged, at length: what is searched is really there
    for line in ("Telegram menjawab HTTP 401", "Cloud API menjawab HTTP 401",
                 "Loaded WhatsApp gateway", "HTTP Request: POST", "/sendMessage", "X-Api-Key",
                 "permintaan gagal"):
        assert line in output, line
    logs = {p: p.read_text(encoding="utf-8", errors="replace")
            for p in home.rglob("*") if p.is_file()}
    assert "Traceback" in logs[home / "run" / "up.log"]
    from sqlalchemy import create_engine, text

    with create_engine(url).connect() as conn:
        errors = "\n".join(conn.execute(text("SELECT last_error FROM outbox")).scalars())
    for secret in SECRETS:
        for name, content in {"output": output, "outbox": errors,
                              **{str(p): c for p, c in logs.items()}}.items():
            assert secret not in content, f"{secret} in {name}"
            assert secret.split(":")[-1][:16] not in content, f"part of {secret} in {name}"
