"""A picture of a PDF's first page, for verifiers looking at evidence on a phone.

The PDF is hostile, so it is rendered (pypdfium2, which ships its own PDFium: no
external binary) in a child process with a memory and CPU limit and a wall-clock
timeout, at a capped pixel size; whatever goes wrong — a broken file, a crash of the
renderer, a page too slow to draw — gives "no preview", never an error. Results are
kept by the blob's SHA-256 under ``MONEV_HOME/previews``: a PNG, or a marker that this
file has no preview (so a hostile file costs one attempt, not one per page view)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

MAX_WIDTH = 900  # px: a 390 px phone at 2-3x, and still small to send
MAX_HEIGHT = 1800
MAX_SCALE = 3.0  # never more than 216 dpi, whatever the page claims
TIMEOUT = 15.0  # s, for the whole child (start-up included)
CPU_SECONDS = 10
MEMORY = 1 << 30  # bytes of address space for the child
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_RUNNING = threading.BoundedSemaphore(2)  # renders at once: the rest wait their turn


def cached(home: Path, sha256: str) -> Path:
    return home / "previews" / sha256[:2] / f"{sha256}.png"


def _marker(home: Path, sha256: str) -> Path:
    return cached(home, sha256).with_suffix(".none")


def known_missing(home: Path, sha256: str) -> bool:
    """This file was tried and has no preview."""
    return _marker(home, sha256).exists()


def pdf_preview(home: Path, source: Path, sha256: str) -> Path | None:
    """The PNG of ``source``'s first page (rendered now unless cached), or None."""
    out = cached(home, sha256)
    if out.exists():
        return out
    if known_missing(home, sha256):
        return None
    if not _RUNNING.acquire(timeout=TIMEOUT):
        return None  # busy: try again on the next view, nothing is marked
    try:
        if out.exists():
            return out
        out.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = out.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        ok = _render(source, tmp)
        if ok:
            tmp.replace(out)
            return out
        tmp.unlink(missing_ok=True)
        _marker(home, sha256).touch()
        return None
    finally:
        _RUNNING.release()


def _render(source: Path, target: Path) -> bool:
    try:
        done = subprocess.run([sys.executable, "-m", "monev.engine.preview", str(source),
                               str(target)], capture_output=True, timeout=TIMEOUT,
                              stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.SubprocessError):  # timeout included
        return False
    if done.returncode != 0 or not target.is_file():
        return False
    with target.open("rb") as f:
        return f.read(8) == PNG_SIGNATURE


def _limit_self() -> None:
    """The child's own limits (set in the child: no pre-exec hook in a threaded app)."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def render_first_page(source: Path, target: Path) -> None:
    """Draw page 1 of ``source`` into ``target`` (PNG), at most MAX_WIDTH×MAX_HEIGHT."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(source))
    try:
        if len(doc) < 1:
            raise ValueError("no page")
        page = doc[0]
        width, height = page.get_size()
        if not (width > 0 and height > 0):
            raise ValueError("empty page")
        scale = min(MAX_WIDTH / width, MAX_HEIGHT / height, MAX_SCALE)
        image = page.render(scale=scale, may_draw_forms=False).to_pil()
        image.save(target, format="PNG", optimize=True)
    finally:
        doc.close()


def main(argv: list[str]) -> int:
    _limit_self()
    try:
        render_first_page(Path(argv[0]), Path(argv[1]))
    except Exception:  # noqa: BLE001 - any failure is "no preview"; the parent decides
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
