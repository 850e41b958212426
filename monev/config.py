"""Configuration (YAML in ``config/``): satkers, their people and escalation ladder.

Validated with pydantic; errors name the file, the line and the field."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from monev import safe_yaml
from monev.engine.rules import EngineSettings
from monev.errors import ConfigError
from monev.workdays import INDONESIAN_TIMEZONES, DueRule, WorkCalendar, timezone_for_province

# ``tpi``: the Tim Penilai Internal (Inspektorat) — fills the TPI column of the LKE in the
# portal and reads the satker's rows; holds no row and verifies nothing.
Role = Literal["pic", "koordinator", "ketua_tim", "kasubbag", "sekretaris", "ketua", "admin",
               "tpi"]
PlanKind = Literal["ZI", "RB"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Person(_Strict):
    name: str
    role: Role
    email: str | None = None
    whatsapp: str | None = Field(default=None, pattern=r"^\+62\d{8,13}$")
    telegram: str | None = Field(default=None, pattern=r"^-?\d{3,20}$")
    subbagian: str | None = None
    areas: list[str] = []
    komponen: list[str] = []
    channels: list[Literal["email", "whatsapp", "telegram"]] = ["email"]
    admin: bool = False  # sees the Papan and every row of the satker in the portal


class EscalationStep(_Strict):
    after_working_days: int = Field(ge=0, le=60)
    roles: list[Role]


DEFAULT_LADDER = [
    EscalationStep(after_working_days=1, roles=["pic", "koordinator"]),
    EscalationStep(after_working_days=3, roles=["ketua_tim"]),
    EscalationStep(after_working_days=7, roles=["sekretaris"]),
]


# What a verifier can tick when sending evidence back (a free note may add to them).
DEFAULT_REASONS = (
    "Bukti tidak sesuai dengan bukti fisik yang diminta",
    "Dokumen belum ditandatangani/disahkan",
    "Periode/tanggal tidak sesuai",
    "Berkas tidak terbaca atau tidak lengkap",
    "Tautan tidak dapat dibuka oleh Tim ZI",
)
ABOVE_TIERS: tuple[Role, ...] = ("sekretaris", "ketua")  # who stands in past the last tier


class ReviewConfig(_Strict):
    """Review in tiers: each tier's verifier accepts in turn (a row is verified when the
    last accepts); a tier nobody can act in passes to the next role of ``escalation``."""

    tiers: list[Role] | None = None  # default: ``portal.verifiers``
    escalation: list[Role] | None = None  # default: the tiers, then sekretaris, ketua
    reasons: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=lambda: list(DEFAULT_REASONS), max_length=20)


class PortalConfig(_Strict):
    """Who verifies evidence in the portal (in which tiers), whether they may verify
    their own, and the reasons a rejection offers."""

    verifiers: list[Role] = Field(default=["koordinator", "ketua_tim"], min_length=1)
    self_verification: bool = False
    review: ReviewConfig = Field(default_factory=ReviewConfig)

    def tiers(self) -> list[Role]:
        """The review tiers, lowest first."""
        return list(self.review.tiers or self.verifiers)

    def chain(self) -> list[Role]:
        """Every role that may verify, lowest first: the tiers and who stands in."""
        if self.review.escalation:
            return list(self.review.escalation)
        return list(dict.fromkeys([*self.tiers(), *ABOVE_TIERS]))

    @model_validator(mode="after")
    def _tiers_on_the_chain(self) -> PortalConfig:
        tiers, chain = self.tiers(), self.chain()
        if "pic" in tiers or "pic" in chain:
            raise ValueError("review: peran pic tidak dapat menjadi verifikator")
        if "tpi" in tiers or "tpi" in chain:
            raise ValueError("review: peran tpi (penilai) tidak dapat menjadi verifikator")
        if len(set(tiers)) != len(tiers):
            raise ValueError("review.tiers: setiap peran hanya sekali")
        missing = [t for t in tiers if t not in chain]
        if missing:
            raise ValueError(f"review.tiers: {', '.join(missing)} tidak ada di "
                             "review.escalation")
        if [chain.index(t) for t in tiers] != sorted(chain.index(t) for t in tiers):
            raise ValueError("review.tiers harus mengikuti urutan review.escalation")
        return self


class EngineConfig(_Strict):
    reminder_days: list[int] = Field(default=[7, 3, 1])
    remind_on_due_day: bool = True
    backlog_after_days: int = Field(default=0, ge=0)
    run_hour: int = Field(default=8, ge=0, le=23)
    # months of *penutupan* after the month of a plan's last checkpoint (1: a plan
    # ending in December closes at the end of January); then *selesai*
    closing_grace_months: int = Field(default=1, ge=0, le=24)


class Signatory(_Strict):
    """One signature under a monev report: the title printed, and the name under it
    (``name``, else the configured person holding ``role``, else a dotted line)."""

    title: str = Field(min_length=1)
    role: Role | None = None
    name: str | None = None
    nip: str | None = None


# A ZI plan and an RB plan are led by different teams: each report names its own.
DEFAULT_SIGNATORIES: dict[str, tuple[Signatory, ...]] = {
    "ZI": (Signatory(title="Sekretaris", role="sekretaris"),
           Signatory(title="Ketua Tim Zona Integritas", role="ketua_tim")),
    "RB": (Signatory(title="Sekretaris", role="sekretaris"),
           Signatory(title="Ketua Tim Reformasi Birokrasi", role="ketua_tim")),
}


class ReportConfig(_Strict):
    """The satker's monev reports: who signs them, per plan kind (the defaults above
    for a kind not listed)."""

    signatories: dict[PlanKind, Annotated[list[Signatory],
                                          Field(min_length=1, max_length=3)]] = {}

    def signers(self, kind: str) -> list[Signatory]:
        own = next((v for k, v in self.signatories.items() if k == kind), None)
        return list(own or DEFAULT_SIGNATORIES.get(kind, DEFAULT_SIGNATORIES["ZI"]))


class SatkerConfig(_Strict):
    name: str
    province: str | None = None
    place: str | None = None  # where reports are signed (bawaan: dari nama satker)
    timezone: str | None = None
    due_rule: DueRule = "last_working_day"
    extra_days_off: list[date] = []
    extra_working_days: list[date] = []
    people: list[Person] = []
    escalation: list[EscalationStep] = Field(default_factory=lambda: list(DEFAULT_LADDER))
    engine: EngineConfig = Field(default_factory=EngineConfig)
    portal: PortalConfig = Field(default_factory=PortalConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str | None) -> str | None:
        if v is not None and v not in INDONESIAN_TIMEZONES:
            raise ValueError(f"zona waktu harus salah satu dari {', '.join(INDONESIAN_TIMEZONES)}")
        return v

    @property
    def tz(self) -> str:
        return self.timezone or timezone_for_province(self.province)

    def settings(self) -> EngineSettings:
        e = self.engine
        return EngineSettings(
            reminder_days=tuple(sorted(set(e.reminder_days), reverse=True)),
            remind_on_due_day=e.remind_on_due_day,
            ladder=tuple((s.after_working_days, tuple(s.roles)) for s in self.escalation),
            backlog_after_days=e.backlog_after_days, run_hour=e.run_hour,
            closing_grace_months=e.closing_grace_months)

    def calendar(self) -> WorkCalendar:
        return WorkCalendar.build(self.extra_days_off, self.extra_working_days, self.due_rule)


class MonevConfig(_Strict):
    satkers: list[SatkerConfig] = []

    def satker(self, name: str) -> SatkerConfig | None:
        wanted = name.casefold()
        return next((s for s in self.satkers if s.name.casefold() == wanted), None)

    def grace_months(self, satker: str) -> int:
        """How long a plan of ``satker`` stays *penutupan* before it closes."""
        sc = self.satker(satker)
        return (sc.settings() if sc else EngineSettings()).closing_grace_months


MAX_CONFIG_BYTES = 2 * 1024 * 1024


def default_config_path() -> Path:
    return Path(os.environ.get("MONEV_CONFIG", "config/monev.yaml"))


def load_config(path: Path | None = None) -> MonevConfig:
    """Read and validate the configuration; a missing default file means no config."""
    path = path or default_config_path()
    if not path.exists():
        return MonevConfig()
    text = safe_yaml.read_limited(path, MAX_CONFIG_BYTES, "berkas konfigurasi", ConfigError)
    raw = safe_yaml.load_or_raise(text, str(path), ConfigError) or {}
    try:
        return MonevConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        where = ".".join(str(p) for p in loc)
        raise ConfigError(f"{path}:{safe_yaml.line_at(text, loc)}: {where}: {first['msg']} "
                          f"(jumlah kesalahan: {exc.error_count()})") from exc
