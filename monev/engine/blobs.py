"""Evidence files: hostile until checked. Streamed to disk with a size limit enforced
while streaming, typed by their content (never by their name) against an allow-list,
hashed (SHA-256) and stored by hash under ``MONEV_HOME/evidence`` — the same content
sent twice is one blob. The portal upload and ``monev evidence submit`` both come
through here."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from monev.errors import MonevError

CHUNK = 1 << 20
HEAD = 64 * 1024  # what the sniffer reads of a file
# ZIP/ODF typing: inflated bytes read at most (ODF's mimetype member), and what the
# central directory may declare (zip bombs inflate ~1000:1; Office XML ~10-40:1)
ZIP_READ_CAP = 256
ZIP_MAX_RATIO = 200
ZIP_RATIO_FLOOR = 1024 * 1024  # smaller members may compress as they like
ZIP_MAX_TOTAL = 2 * 1024 * 1024 * 1024


def max_evidence_bytes() -> int:
    """Per-file limit: ``MONEV_MAX_UPLOAD_MB`` (default 25 MB)."""
    return int(float(os.environ.get("MONEV_MAX_UPLOAD_MB", "25")) * 1024 * 1024)


class EvidenceTooLarge(MonevError):
    """A file passed the size limit (nothing of it is kept)."""


class EvidenceRefused(MonevError):
    """A file whose content is not an allowed kind of evidence."""


@dataclass(frozen=True)
class Kind:
    mime: str
    ext: str  # the suffix the download gets
    family: str  # what a name's suffix must agree with


# Suffixes people give their files, by the family their content must belong to.
SUFFIX_FAMILY = {
    ".pdf": "pdf", ".png": "image", ".jpg": "image", ".jpeg": "image", ".webp": "image",
    ".heic": "image", ".doc": "office", ".docx": "office", ".xls": "office",
    ".xlsx": "office", ".ppt": "office", ".pptx": "office", ".odt": "office",
    ".ods": "office", ".odp": "office", ".zip": "zip", ".txt": "text", ".csv": "text",
    ".mp4": "video", ".mov": "video", ".m4v": "video",
}
ALLOWED_WORDS = "PDF, JPG/PNG/WEBP/HEIC, Word/Excel/PowerPoint/ODF, ZIP, MP4, TXT/CSV"
_OOXML = (("word/", Kind("application/vnd.openxmlformats-officedocument."
                         "wordprocessingml.document", ".docx", "office")),
          ("xl/", Kind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       ".xlsx", "office")),
          ("ppt/", Kind("application/vnd.openxmlformats-officedocument.presentationml."
                        "presentation", ".pptx", "office")))
_ODF = {"application/vnd.oasis.opendocument.text": ".odt",
        "application/vnd.oasis.opendocument.spreadsheet": ".ods",
        "application/vnd.oasis.opendocument.presentation": ".odp"}
_OLE = {".doc": "application/msword", ".xls": "application/vnd.ms-excel",
        ".ppt": "application/vnd.ms-powerpoint"}
_MARKUP = re.compile(rb"<\s*(!doctype|html|head|body|script|iframe|svg|object|embed|meta|"
                     rb"\?xml|a\s|img\s|form|style|link)", re.IGNORECASE)


def sniff(path: Path, name: str = "") -> Kind:
    """The kind of evidence in ``path`` from its bytes; refuses anything not allowed,
    and a name whose suffix claims another kind than the content is."""
    with path.open("rb") as f:
        head = f.read(HEAD)
    kind = _kind_of(path, head, Path(name).suffix.lower())
    claimed = SUFFIX_FAMILY.get(Path(name).suffix.lower())
    if claimed and claimed != kind.family:
        raise EvidenceRefused(f"isi berkas '{name}' bukan {Path(name).suffix.lower()[1:].upper()}"
                              f" (isinya {kind.ext[1:].upper()}); kirim berkas aslinya")
    return kind


def _kind_of(path: Path, head: bytes, suffix: str) -> Kind:
    if head.startswith(b"%PDF-"):
        return Kind("application/pdf", ".pdf", "pdf")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Kind("image/png", ".png", "image")
    if head.startswith(b"\xff\xd8\xff"):
        return Kind("image/jpeg", ".jpg", "image")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Kind("image/webp", ".webp", "image")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
            return Kind("image/heic", ".heic", "image")
        if brand == b"qt  ":
            return Kind("video/quicktime", ".mov", "video")
        return Kind("video/mp4", ".mp4", "video")
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # old Office (OLE2)
        if suffix in _OLE:
            return Kind(_OLE[suffix], suffix, "office")
        raise EvidenceRefused("dokumen Office lama tanpa akhiran .doc/.xls/.ppt tidak "
                              "diterima; simpan ulang sebagai PDF atau .docx/.xlsx")
    if head.startswith((b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"#!")):
        raise EvidenceRefused("berkas program atau skrip tidak diizinkan sebagai bukti")
    if _is_text(head):
        if _MARKUP.search(head):
            raise EvidenceRefused("halaman web (HTML/SVG/XML) tidak diizinkan sebagai bukti; "
                                  "kirim PDF atau tautan")
        return Kind("text/csv", ".csv", "text") if suffix == ".csv" else \
            Kind("text/plain", ".txt", "text")
    raise EvidenceRefused(f"jenis berkas tidak dikenali; yang diterima: {ALLOWED_WORDS}")


def _zip_kind(path: Path) -> Kind:
    """OOXML, ODF or a plain ZIP, from the central directory's names and at most
    ``ZIP_READ_CAP`` inflated bytes (ODF's ``mimetype``). Members whose declared sizes
    make a bomb (a ratio past ``ZIP_MAX_RATIO``, or past ``ZIP_MAX_TOTAL`` in all) are
    refused before anything is inflated: the file is stored and later opened by people."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            _refuse_bomb(infos)
            names = [i.filename for i in infos]
            if names and names[0] == "mimetype" and infos[0].file_size <= ZIP_READ_CAP:
                with z.open(infos[0]) as member:
                    mime = member.read(ZIP_READ_CAP).decode("ascii", "replace").strip()
                if mime in _ODF:
                    return Kind(mime, _ODF[mime], "office")
    except (zipfile.BadZipFile, OSError, KeyError, EOFError, NotImplementedError,
            RuntimeError, zlib.error) as exc:
        raise EvidenceRefused("berkas ZIP/Office rusak atau tidak lengkap") from exc
    if "[Content_Types].xml" in names:
        for prefix, kind in _OOXML:
            if any(n.startswith(prefix) for n in names):
                return kind
    return Kind("application/zip", ".zip", "zip")


def _refuse_bomb(infos: list[zipfile.ZipInfo]) -> None:
    """Sizes declared by the central directory, per member and in all, before any
    member is inflated (what is read later is bounded by these declared sizes)."""
    total = packed = 0
    for info in infos:
        total, packed = total + info.file_size, packed + info.compress_size
        if _bomb(info.file_size, info.compress_size) or total > ZIP_MAX_TOTAL:
            break
    else:
        if not _bomb(total, packed):
            return
    raise EvidenceRefused(
        "isi berkas ZIP/Office ini mengembang jauh melebihi ukurannya saat dibuka (ciri "
        "bom ZIP) sehingga ditolak; kirim dokumen aslinya, PDF, atau bagi menjadi "
        "beberapa berkas")


def _bomb(size: int, packed: int) -> bool:
    return size > ZIP_RATIO_FLOOR and size > ZIP_MAX_RATIO * max(packed, 1)


def _is_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:  # a multi-byte character cut at the end is fine
        if exc.start < len(head) - 4:
            return False
    return True


def safe_name(name: str) -> str:
    """A file name fit for display and Content-Disposition: no folders, no control or
    quote characters, no leading dots, at most 120 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(c for c in base if c.isprintable() and c not in '"<>:|?*;')
    base = base.strip().lstrip(".").strip()
    if len(base) > 120:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 110] + dot + ext[:9]) if dot and len(ext) < 10 else base[:120]
    return base or "berkas"


@dataclass(frozen=True)
class Blob:
    """One stored evidence file."""

    sha256: str
    size: int
    mime: str
    name: str  # safe original name, with the suffix of its real kind

    def relative(self) -> str:
        return blob_relative(self.sha256)


def blob_relative(sha256: str) -> str:
    return f"evidence/{sha256[:2]}/{sha256}"


class BlobWriter:
    """Receives one file in chunks: counts, hashes and writes them to a temporary file
    in the store; past the limit it raises and keeps nothing. ``finish`` types the
    content and moves it to its content address."""

    def __init__(self, home: Path, name: str, limit: int | None = None) -> None:
        self.home, self.name = home, name
        self.limit = max_evidence_bytes() if limit is None else limit
        tmp_dir = home / "evidence" / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = _mkstemp(tmp_dir)
        self.tmp = Path(tmp)
        self._file = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            self.discard()
            raise EvidenceTooLarge(f"berkas '{safe_name(self.name)}' melebihi batas "
                                   f"{self.limit // (1024 * 1024)} MB")
        self._hash.update(chunk)
        self._file.write(chunk)

    def check(self) -> Kind:
        """Close the file and type it by its content (refused kinds raise)."""
        if not self._file.closed:
            self._file.close()
        try:
            if self.size == 0:
                raise EvidenceRefused(f"berkas '{safe_name(self.name)}' kosong")
            return sniff(self.tmp, self.name)
        except BaseException:
            self.discard()
            raise

    def commit(self, kind: Kind) -> tuple[Blob, bool]:
        """Move the checked file to its content address; True when the blob is new
        (the same content already stored is kept once)."""
        digest = self._hash.hexdigest()
        target = self.home / blob_relative(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        created = not target.exists()
        if created:
            os.chmod(self.tmp, 0o640)
            os.replace(self.tmp, target)
        else:
            self.tmp.unlink(missing_ok=True)
        stem = Path(safe_name(self.name)).stem if Path(self.name).suffix else \
            safe_name(self.name)
        return Blob(digest, self.size, kind.mime, f"{stem}{kind.ext}"), created

    def finish(self) -> Blob:
        return self.commit(self.check())[0]

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        self.tmp.unlink(missing_ok=True)


PARTIAL_MAX_AGE = 600.0  # seconds: an upload writes far more often than this


def clean_partial_uploads(home: Path, older_than: float = PARTIAL_MAX_AGE) -> int:
    """Remove what uploads of a killed process left in ``evidence/tmp``: files
    untouched for ``older_than`` seconds (a running upload writes every chunk, so its
    file is always younger). Returns how many were removed."""
    import time

    folder = home / "evidence" / "tmp"
    if not folder.is_dir():
        return 0
    limit = time.time() - older_than
    removed = 0
    for entry in os.scandir(folder):
        with contextlib.suppress(OSError):  # finished or removed meanwhile
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < limit:
                os.unlink(entry.path)
                removed += 1
    return removed


def _mkstemp(directory: Path) -> tuple[int, str]:
    import tempfile

    return tempfile.mkstemp(dir=directory, prefix="up-", suffix=".part")


def store_file(home: Path, path: Path, limit: int | None = None) -> Blob:
    """Store a file from disk the way an upload is stored (``monev evidence submit``)."""
    if not path.is_file():
        raise MonevError(f"berkas bukti tidak ada: {path}")
    writer = BlobWriter(home, path.name, limit)
    try:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                writer.write(chunk)
    except EvidenceTooLarge:
        raise
    except BaseException:
        writer.discard()
        raise
    return writer.finish()


def blob_path(home: Path, evidence_location: str, sha256: str | None) -> Path | None:
    """Where a stored evidence file is (older rows hold an absolute path)."""
    if sha256 and (home / blob_relative(sha256)).is_file():
        return home / blob_relative(sha256)
    old = Path(evidence_location)
    if old.is_absolute() and old.is_file():
        return old
    return None
