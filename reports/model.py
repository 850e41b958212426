"""What a report says, independent of its format. Every number comes from the SQL
aggregates of :mod:`reports.queries`; the renderers only lay it out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from reports.periods import ReportPeriod

# Where a checkpoint due in the period stands on the report date (exclusive).
CATEGORIES = ("tepat_waktu", "terlambat", "terkirim", "ditolak", "belum_ada",
              "belum_jatuh_tempo")
LABELS = {"tepat_waktu": "Terverifikasi tepat waktu", "terlambat": "Terverifikasi terlambat",
          "terkirim": "Terkirim, menunggu verifikasi", "ditolak": "Ditolak",
          "belum_ada": "Belum ada bukti", "belum_jatuh_tempo": "Belum jatuh tempo"}
UNMET = "Tidak tercapai"  # "belum ada bukti" of a plan that has closed


@dataclass
class Counts:
    """Checkpoints due in a period, by category, as of the report date."""

    tepat_waktu: int = 0
    terlambat: int = 0
    terkirim: int = 0
    ditolak: int = 0
    belum_ada: int = 0
    belum_jatuh_tempo: int = 0
    backlog: int = 0  # of belum_ada: overdue already when the plan was imported

    def add(self, category: str, n: int, backlog: int = 0) -> None:
        setattr(self, category, getattr(self, category) + n)
        self.backlog += backlog

    def merge(self, other: Counts) -> None:
        for name in (*CATEGORIES, "backlog"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def total(self) -> int:
        """Checkpoints due in the period."""
        return sum(getattr(self, c) for c in CATEGORIES)

    @property
    def verified(self) -> int:
        return self.tepat_waktu + self.terlambat

    @property
    def judged(self) -> int:
        """Due on or before the report date (what capaian is counted against)."""
        return self.total - self.belum_jatuh_tempo

    @property
    def percent(self) -> float | None:
        return 100.0 * self.verified / self.judged if self.judged else None

    def percent_text(self) -> str:
        p = self.percent
        return "-" if p is None else f"{p:.1f}%".replace(".", ",")


def delta_points(now: Counts, before: Counts | None) -> float | None:
    """Change of capaian since the previous period, in percentage points."""
    if before is None or now.percent is None or before.percent is None:
        return None
    return now.percent - before.percent


def delta_text(now: Counts, before: Counts | None) -> str:
    """Change of capaian in percentage points (``+4,2 poin``), ``-`` when unknown."""
    d = delta_points(now, before)
    return "-" if d is None else f"{d:+.1f} poin".replace(".", ",")


@dataclass
class Line:
    """One checkpoint of a row in the period."""

    id: int
    period: str
    due: date
    status: str  # stored code as of the report date
    category: str
    submitted_on: date | None
    verified_on: date | None
    link: str
    backlog: bool = False
    reason: str = ""
    escalations: str = ""
    pic: str = ""
    subbagian: str = ""


@dataclass
class Row:
    no: int
    komponen: str
    indikator: str
    langkah_aksi: str
    bukti_fisik: str
    target_text: str
    lines: list[Line] = field(default_factory=list)


@dataclass
class AreaPart:
    name: str
    counts: Counts
    rows: list[Row] = field(default_factory=list)


@dataclass(frozen=True)
class LkeLine:
    """An area (or pengungkit, hasil, total) of the LKE page: points now and projected."""

    name: str
    weight: float
    now: float
    ahead: float

    @property
    def share(self) -> float:
        return self.ahead / self.weight if self.weight else 0.0


@dataclass(frozen=True)
class LkeGate:
    name: str  # WBK | WBBM
    met_now: bool
    met_ahead: bool
    short: tuple[str, ...]  # why the projection misses it


@dataclass(frozen=True)
class LkePart:
    """The plan's satker on its LKE: saat ini (verified evidence only) and proyeksi
    (planned rows finish on time), the gates, the weakest sub-areas."""

    version: str
    lines: list[LkeLine]  # areas, then Pengungkit, Hasil, Total
    gates: list[LkeGate]
    worst: list[LkeLine]  # sub-areas furthest below their weight in the projection


@dataclass
class PlanPart:
    """One plan of the report: its header, numbers, charts' data and rows."""

    id: int
    ref: str
    satker: str
    kind: str
    year: int
    number: str
    decided_on: date | None
    status: str  # aktif | penutupan | selesai
    counts: Counts
    previous: Counts | None
    areas: list[AreaPart] = field(default_factory=list)
    late_by_pic: list[tuple[str, int]] = field(default_factory=list)
    late_by_subbagian: list[tuple[str, int]] = field(default_factory=list)
    backlog: list[tuple[str, Row, Line]] = field(default_factory=list)  # area, row, line
    lke: LkePart | None = None

    @property
    def label(self) -> str:
        return f"{self.kind} {self.year}"

    @property
    def closed(self) -> bool:
        return self.status == "selesai"


@dataclass
class RollupLine:
    rank: int
    satker: str
    province: str
    plans: int
    counts: Counts
    late: int  # past due without verified evidence (missing or rejected)


@dataclass
class Signer:
    title: str  # Sekretaris | Ketua Tim Zona Integritas | Ketua Tim Reformasi Birokrasi | …
    name: str  # "" when nobody is configured: a dotted line to write it in by hand
    nip: str = ""


@dataclass
class Report:
    scope: str  # rencana | satker | provinsi
    subject: str  # the satker, or the province
    period: ReportPeriod
    as_of: date
    title: str
    counts: Counts
    previous: Counts | None
    trend: list[tuple[str, Counts]]  # month label → counts of checkpoints due that month
    plans: list[PlanPart] = field(default_factory=list)
    rollup: list[RollupLine] = field(default_factory=list)
    place: str = ""
    signers: list[Signer] = field(default_factory=list)
    details: bool = True  # rows per area (plan and satker reports)

    @property
    def closed(self) -> bool:
        return bool(self.plans) and all(p.closed for p in self.plans)
