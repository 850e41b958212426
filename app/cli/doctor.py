"""``monev doctor``: is this installation ready? One line per check (OK, PERINGATAN,
GAGAL) with what to do; exit code 1 when a check failed. Read only: nothing is created,
migrated or started, and a check that breaks becomes its own GAGAL line."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from app.cli.app import app
from app.cli.common import describe_error, first_line, load_config, out
from app.cli.up import port_setting, running_state
from monev.config import MonevConfig
from monev.errors import MonevError

Status = Literal["ok", "warning", "fail"]
WORDS: dict[Status, str] = {"ok": "OK", "warning": "PERINGATAN", "fail": "GAGAL"}
STYLE: dict[Status, str] = {"ok": "green", "warning": "yellow", "fail": "bold red"}
TIMEOUT = 3.0  # seconds for each network question


@dataclass(frozen=True)
class Check:
    """One finding: which check (stable key), its Indonesian name, the verdict and the
    sentence saying what was found and what to do."""

    key: str
    label: str
    status: Status
    message: str

    def as_json(self) -> dict[str, str]:
        return {"check": self.key, "label": self.label, "status": self.status,
                "status_label": WORDS[self.status], "message": self.message}


@app.command("doctor")
def doctor_cmd(
    as_json: Annotated[bool, typer.Option(
        "--json", help="Keluaran JSON: larik objek (lihat docs/cli-json.md).")] = False,
) -> None:
    """Periksa kesiapan instalasi: MONEV_HOME, basis data, server Prefect, konfigurasi,
    kanal pesan, Chromium untuk PDF, dan port. Kode keluar 1 bila ada yang GAGAL."""
    from monev.store.db import monev_home

    home = monev_home()
    state = running_state(home)
    checks = [_guarded(key, label, run) for key, label, run in (
        ("home", "MONEV_HOME", lambda: _home(home)),
        ("database", "Basis data", lambda: _database(home)),
        ("prefect", "Server Prefect", lambda: _prefect(home, state)),
        ("config", "Konfigurasi", _config),
        ("channels", "Kanal pesan", lambda: _channels(state)),
        ("chromium", "Chromium (PDF)", _chromium),
        ("port_http", "Port HTTP", lambda: _http_port(state)),
        ("port_prefect", "Port Prefect", lambda: _prefect_port(state)),
    )]
    if as_json:
        print(json.dumps([c.as_json() for c in checks], ensure_ascii=False))
    else:
        width = max(len(w) for w in WORDS.values())
        for c in checks:
            out.print(f"[{STYLE[c.status]}]{WORDS[c.status]:<{width}}[/] {c.label}: {c.message}",
                      highlight=False, soft_wrap=True)
    if any(c.status == "fail" for c in checks):
        raise typer.Exit(code=1)


Finding = tuple[Status, str]


def _guarded(key: str, label: str, run: Callable[[], Finding]) -> Check:
    """A check that raised is a GAGAL line with the reason, never a traceback."""
    try:
        status, message = run()
    except Exception as exc:  # noqa: BLE001 - the doctor reports, it does not crash
        reason = str(exc) if isinstance(exc, MonevError) else describe_error(exc)
        status, message = "fail", reason or (
            f"pemeriksaan gagal ({type(exc).__name__}: {first_line(exc)})")
    return Check(key, label, status, message)


def _home(home: Path) -> Finding:
    if not home.exists():
        return "fail", (f"{home} belum ada; atur MONEV_HOME ke folder data monev, atau mulai "
                        "dengan `monev plan import` / `monev up`")
    if not home.is_dir():
        return "fail", f"{home} bukan folder; atur MONEV_HOME ke folder data monev"
    info = home.stat()
    mode = stat.S_IMODE(info.st_mode)
    if info.st_uid != os.getuid():
        return "warning", (f"{home} milik pengguna lain (uid {info.st_uid}); jalankan monev "
                           "sebagai pemilik folder datanya")
    if mode & 0o700 != 0o700:
        return "fail", (f"{home} berizin {mode:04o}: pemiliknya tidak dapat membaca, menulis "
                        f"atau membukanya; perbaiki dengan `chmod 700 {home}`")
    if mode & 0o077:
        return "warning", (f"{home} berizin {mode:04o}: rahasia dan bukti dapat dibaca "
                           f"pengguna lain; perbaiki dengan `chmod 700 {home}`")
    return "ok", f"{home} (izin {mode:04o})"


def _database(home: Path) -> Finding:
    from sqlalchemy import func, select
    from sqlalchemy.exc import SQLAlchemyError

    from monev.store import models as m
    from monev.store.db import display_url, make_engine, schema_revisions

    url = os.environ.get("MONEV_DATABASE_URL") or f"sqlite:///{home / 'monev.db'}"
    shown = display_url(url)
    if url.startswith("sqlite") and not os.environ.get("MONEV_DATABASE_URL") \
            and not (home / "monev.db").is_file():
        return "fail", (f"{shown} belum ada; impor rencana aksi dengan `monev plan import` "
                        "atau jalankan `monev up`")
    engine = make_engine(url)
    try:
        current, head, known = schema_revisions(engine)
        if current is None:
            return "warning", (f"{shown} terhubung tetapi skemanya belum dibuat; dibuat "
                               "otomatis oleh `monev plan import` atau `monev up`")
        if not known:
            return "fail", (f"{shown}: skema {current} dibuat oleh versi monev yang lebih "
                            "baru; pakai versi monev itu")
        if current != head:
            return "warning", (f"{shown}: skema {current}, terbaru {head}; diperbarui "
                               "otomatis pada perintah monev berikutnya")
        with engine.connect() as conn:
            plans = conn.scalar(select(func.count()).select_from(m.Plan))
    except SQLAlchemyError as exc:
        return "fail", f"{shown}: {describe_error(exc) or first_line(exc)}"
    finally:
        engine.dispose()
    return "ok", f"{shown} terhubung, skema terbaru ({head}), {plans} rencana aksi"


def _prefect_target(home: Path, state: dict[str, Any] | None) -> tuple[str, str | None, bool]:
    """The Prefect API this shell talks to, its auth string, and whether it was asked
    for (``PREFECT_API_URL`` set or a ``monev up`` running) rather than assumed."""
    url = os.environ.get("PREFECT_API_URL")
    auth = os.environ.get("PREFECT_API_AUTH_STRING")
    if auth is None and (home / "prefect-auth").is_file():
        auth = (home / "prefect-auth").read_text(encoding="utf-8").strip()
    if url:
        return url.rstrip("/"), auth, True
    port = int(state["prefect_port"]) if state and state.get("prefect_port") else \
        port_setting("MONEV_PREFECT_PORT", 4200)
    return f"http://127.0.0.1:{port}/api", auth, state is not None


def _get(url: str, auth: str | None) -> int:
    """The HTTP status of a GET (0 when nobody answers)."""
    import base64
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url)
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (OSError, ValueError):
        return 0


def _prefect(home: Path, state: dict[str, Any] | None) -> Finding:
    url, auth, asked = _prefect_target(home, state)
    if _get(f"{url}/health", None) != 200:
        if asked:
            return "fail", (f"{url} tidak menjawab; jalankan `monev up` atau periksa "
                            "PREFECT_API_URL")
        return "warning", (f"tidak ada server Prefect di {url} (monev up tidak berjalan); "
                           "jadwal dan pengingat berjalan hanya selama `monev up` aktif")
    code = _get(f"{url}/admin/settings", auth)
    if code == 401:
        return "fail", (f"{url} menolak akses (401); atur PREFECT_API_AUTH_STRING sama dengan "
                        f"isi {home / 'prefect-auth'} (kredensial server)")
    if code != 200:
        return "warning", f"{url} menjawab, tetapi pemeriksaan akses menjawab kode {code}"
    who = f" (monev up PID {state['pid']})" if state else ""
    return "ok", f"{url} terjangkau, akses diterima{who}"


CHANNEL_VARIABLES = {
    "email": ("MONEV_SMTP_HOST", "MONEV_SMTP_FROM"),
    "whatsapp": ("MONEV_WHATSAPP_URL",),
    "telegram": ("MONEV_TELEGRAM_TOKEN",),
}


def _config() -> Finding:
    from monev.config import default_config_path

    path = default_config_path()
    if not path.exists() and os.environ.get("MONEV_CONFIG"):
        return "fail", f"MONEV_CONFIG menunjuk {path}, yang tidak ditemukan"
    if not path.exists():
        return "warning", (f"{path} tidak ada: belum ada satker dan orang, jadi tidak ada "
                           "penerima pengingat; atur MONEV_CONFIG atau buat berkasnya")
    cfg = load_config(None)
    people = sum(len(sc.people) for sc in cfg.satkers)
    found = f"{path}: {len(cfg.satkers)} satker, {people} orang"
    missing = _without_verifier(cfg)
    if missing:
        listed = ", ".join(f"{name}: {n}" for name, n in sorted(missing.items()))
        return "warning", (f"{found}; baris yang tidak dapat diverifikasi siapa pun ({listed}): "
                           "tambahkan koordinator areanya atau Ketua Tim ZI/Sekretaris; "
                           "daftarnya di Papan monev")
    return "ok", found


def _without_verifier(cfg: MonevConfig) -> dict[str, int]:
    """Rows of the stored plans nobody can verify, per satker (nothing when there is no
    database yet or it cannot be read: the database check says why)."""
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    from monev.engine.review import rows_without_verifier
    from monev.store.db import make_engine, monev_home

    home = monev_home()
    url = os.environ.get("MONEV_DATABASE_URL") or f"sqlite:///{home / 'monev.db'}"
    if url.startswith("sqlite") and not os.environ.get("MONEV_DATABASE_URL") \
            and not (home / "monev.db").is_file():
        return {}
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            return rows_without_verifier(s, cfg)
    except SQLAlchemyError:
        return {}
    finally:
        engine.dispose()


def _channels(state: dict[str, Any] | None) -> Finding:
    """Which channels are configured in this environment (see notifiers/channels.py),
    against the channels the configured people use."""
    ready = [ch for ch, names in CHANNEL_VARIABLES.items()
             if all(os.environ.get(n) for n in names)]
    half = [f"{ch} ({', '.join(n for n in names if not os.environ.get(n))} belum diisi)"
            for ch, names in CHANNEL_VARIABLES.items()
            if any(os.environ.get(n) for n in names) and ch not in ready]
    try:
        satkers = load_config(None).satkers
    except MonevError:  # told by the configuration's own check
        satkers = []
    wanted = sorted({ch for sc in satkers for p in sc.people for ch in p.channels})
    missing = [ch for ch in wanted if ch not in ready]
    if half:
        return "fail", "setelan kanal tidak lengkap: " + "; ".join(half)
    if not ready and state and state.get("demo"):
        return "ok", (f"demo `monev up --sink` (PID {state['pid']}): pesan ke sink lokal "
                      "di MONEV_HOME/sink, tidak ke penerima sungguhan")
    if not ready:
        return "warning", ("tidak ada kanal yang diatur (MONEV_SMTP_HOST/MONEV_SMTP_FROM, "
                           "MONEV_WHATSAPP_URL, MONEV_TELEGRAM_TOKEN): pengingat tidak "
                           "terkirim dan tetap menunggu di antrean (`monev outbox`)")
    if missing:
        return "warning", (f"diatur: {', '.join(ready)}; dipakai di konfigurasi tetapi belum "
                           f"diatur: {', '.join(missing)} (pesannya tetap di antrean)")
    return "ok", f"diatur: {', '.join(ready)}"


def _chromium() -> Finding:
    from reports.pdf import CHROMIUM

    path = Path(CHROMIUM)
    if not path.is_file() or not os.access(path, os.X_OK):
        return "warning", (f"{CHROMIUM} tidak ada: laporan PDF tidak dapat dibuat (HTML, XLSX, "
                           "MD tetap); pasang paket chromium atau atur MONEV_CHROMIUM")
    try:
        version = subprocess.run([str(path), "--version"], capture_output=True, text=True,
                                 timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        version = ""
    return "ok", f"{CHROMIUM}" + (f" ({version})" if version else "")


def _port_finding(host: str, port: int, variable: str, ours: bool) -> Finding:
    from monev.processes import port_in_use

    if not port_in_use(host, port):
        return "ok", f"{host}:{port} bebas"
    if ours:
        return "ok", f"{host}:{port} dipakai monev up yang berjalan"
    return "fail", (f"{host}:{port} dipakai proses lain: monev up tidak dapat mulai; "
                    f"hentikan proses itu atau pilih port lain dengan {variable}")


def _http_port(state: dict[str, Any] | None) -> Finding:
    from monev.links import http_host

    port = port_setting("MONEV_HTTP_PORT", 8000)
    return _port_finding(http_host(), port, "MONEV_HTTP_PORT",
                         bool(state and state.get("http_port") == port))


def _prefect_port(state: dict[str, Any] | None) -> Finding:
    port = port_setting("MONEV_PREFECT_PORT", 4200)
    ours = bool(state and state.get("prefect_port") == port)
    url = os.environ.get("PREFECT_API_URL", "")
    if not ours and f":{port}/" in url and _get(f"{url.rstrip('/')}/health", None) == 200:
        return "ok", f"127.0.0.1:{port} dipakai server Prefect di PREFECT_API_URL"
    return _port_finding("127.0.0.1", port, "MONEV_PREFECT_PORT", ours)
