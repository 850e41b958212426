"""SQLAlchemy 2.0 models. Schema changes go through Alembic (monev/migrations)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.schema import UniqueConstraint

# Lifecycle of a checkpoint; the engine moves it along (issue: the engine).
CHECKPOINT_STATUSES = ("scheduled", "open", "submitted", "verified", "rejected", "backlog",
                       "cancelled")


class Base(DeclarativeBase):
    pass


class Satker(Base):
    __tablename__ = "satker"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Jakarta")
    plans: Mapped[list[Plan]] = relationship(back_populates="satker")


class Plan(Base):
    __tablename__ = "plan"
    __table_args__ = (UniqueConstraint("satker_id", "kind", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    satker_id: Mapped[int] = mapped_column(ForeignKey("satker.id"))
    kind: Mapped[str] = mapped_column(String(2))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[str | None] = mapped_column(String(120))
    decided_on: Mapped[date | None] = mapped_column(Date)
    range_policy: Mapped[str] = mapped_column(String(10), default="monthly")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    source: Mapped[str] = mapped_column(Text)
    source_sha256: Mapped[str] = mapped_column(String(64))
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    # +1 on every change of its rows or checkpoints (queries.bump_plans): a feed whose
    # plans' versions did not move is answered from cache without reading them
    data_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # aktif → penutupan → selesai (monev.engine.closing); manual: an admin's close/reopen
    # holds until the admin changes it again
    status: Mapped[str] = mapped_column(String(12), default="aktif", server_default="aktif")
    status_manual: Mapped[bool] = mapped_column(Boolean, default=False,
                                                server_default=false())
    closed_on: Mapped[date | None] = mapped_column(Date)
    # the LKE it is judged on (``zi-2026``); None: the newest of its kind for its year
    lke_version: Mapped[str | None] = mapped_column(String(20))
    satker: Mapped[Satker] = relationship(back_populates="plans")
    areas: Mapped[list[Area]] = relationship(back_populates="plan", order_by="Area.position")
    items: Mapped[list[Item]] = relationship(back_populates="plan", order_by="Item.position")


class Area(Base):
    __tablename__ = "area"
    __table_args__ = (UniqueConstraint("plan_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    plan: Mapped[Plan] = relationship(back_populates="areas")


class Item(Base):
    __tablename__ = "item"
    __table_args__ = (UniqueConstraint("plan_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    komponen: Mapped[str] = mapped_column(Text)
    indikator: Mapped[str] = mapped_column(Text)
    langkah_aksi: Mapped[str] = mapped_column(Text)
    bukti_fisik: Mapped[str] = mapped_column(Text)
    target_text: Mapped[str] = mapped_column(Text)
    source_line: Mapped[int] = mapped_column(Integer)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    override: Mapped[Any] = mapped_column(JSON, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    plan: Mapped[Plan] = relationship(back_populates="items")
    area: Mapped[Area] = relationship()
    checkpoints: Mapped[list[Checkpoint]] = relationship(
        back_populates="item", order_by="Checkpoint.period")


class Checkpoint(Base):
    __tablename__ = "checkpoint"
    __table_args__ = (UniqueConstraint("item_id", "period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(12))
    due: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(12), default="scheduled", index=True)
    imported_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    # bumped with updated_at whenever what a calendar shows changes (date, status, text)
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    item: Mapped[Item] = relationship(back_populates="checkpoints")
    transitions: Mapped[list[Transition]] = relationship(order_by="Transition.id")
    evidence: Mapped[list[Evidence]] = relationship(order_by="Evidence.id")

    def touch(self, at: datetime) -> None:
        """Record a visible change: calendar clients need SEQUENCE and LAST-MODIFIED up."""
        self.sequence = (self.sequence or 0) + 1
        self.updated_at = max(at, self.updated_at) if self.updated_at else at


class Transition(Base):
    """Append-only audit trail of a checkpoint's lifecycle."""

    __tablename__ = "transition"
    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(
        ForeignKey("checkpoint.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(200))
    from_status: Mapped[str] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")
    # what else it records: "" (a status move, or an escalation's marker), "add"
    # (evidence added to the submission waiting), "withdraw" (evidence withdrawn)
    event: Mapped[str] = mapped_column(String(12), default="", server_default="")


class ReviewEntry(Base):
    """One step of a checkpoint's review thread, dated, with who: the PIC's submission
    (its note is the *tanggapan* from round 2 on), a tier's acceptance, or a rejection
    with its *catatan* (the preset reasons ticked and a free note). Append-only; the
    checkpoint's status stays in ``checkpoint`` (``submitted`` until the last tier
    accepts), where the sweep, feeds and reports read it."""

    __tablename__ = "review_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(
        ForeignKey("checkpoint.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)  # the submission it is about: 1, 2, …
    # the tier that acted (1 = lowest); 0 for the PIC's submission and for a decision
    # made outside the tiers (an admin's `monev evidence`)
    tier: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(10))  # kirim | terima | tolak
    at: Mapped[datetime] = mapped_column(DateTime)  # the satker's wall clock
    actor: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="")  # the tier's role, if any
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int | None] = mapped_column(Integer)  # evidence version of a kirim


class LkeLink(Base):
    """The admin's word on which LKE question a plan row serves (rows by their stable
    key, so it survives a revised decree). A row with links here ignores the suggestion;
    code "" says it serves none."""

    __tablename__ = "lke_link"
    __table_args__ = (UniqueConstraint("plan_id", "item_key", "code", name="uq_lke_link"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    item_key: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime)


class LkeAnswer(Base):
    """A satker's answer to one LKE question (role ``unit``: its self-assessment;
    ``tpi``: the Inspektorat's), as the workbook holds it: an option key or a number,
    and a note."""

    __tablename__ = "lke_answer"
    __table_args__ = (UniqueConstraint("satker_id", "version", "code", "role",
                                       name="uq_lke_answer"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    satker_id: Mapped[int] = mapped_column(ForeignKey("satker.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(4))
    answer: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime)


class LkeSnapshot(Base):
    """A plan's LKE standing as the last sweep computed it: the totals, the summary of
    ``monev lke score`` (projection, with the current score beside it) and the stable
    names of the target gate's reasons, so the next sweep tells which are new."""

    __tablename__ = "lke_snapshot"
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"),
                                         primary_key=True)
    version: Mapped[str] = mapped_column(String(20))
    day: Mapped[date] = mapped_column(Date)
    now_total: Mapped[float] = mapped_column(Float)
    ahead_total: Mapped[float] = mapped_column(Float)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    short_keys: Mapped[list[str]] = mapped_column(JSON)
    # what it was computed from (monev.engine.lke.inputs_of: the plan's data version and
    # revision, the LKE file's digest …) and the first day its due/late counts may
    # differ (None: never): a sweep finding both unchanged keeps it without recomputing
    inputs: Mapped[str | None] = mapped_column(String(64))
    valid_until: Mapped[date | None] = mapped_column(Date)


class Evidence(Base):
    """A file (stored under MONEV_HOME, SHA-256 recorded) or a link proving a checkpoint."""

    __tablename__ = "evidence"
    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(
        ForeignKey("checkpoint.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # file | link
    location: Mapped[str] = mapped_column(Text)  # stored path or URL
    original_name: Mapped[str] = mapped_column(Text, default="")
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(Integer)
    submitted_by: Mapped[str] = mapped_column(String(200))
    submitted_at: Mapped[datetime] = mapped_column(DateTime)
    # type sniffed from the content (never from the name), e.g. application/pdf
    mime: Mapped[str] = mapped_column(String(100), default="", server_default="")
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # the submission this belongs to: files and links sent together share it (1, 2, …)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # withdrawn before verification: kept for the audit trail, no longer evidence
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    withdrawn_by: Mapped[str | None] = mapped_column(String(200))


class SubmissionKey(Base):
    """The idempotency key of each evidence form received (a random value per rendered
    form): a second POST of the same form stores nothing. Unique in the database, so
    two concurrent POSTs cannot both pass."""

    __tablename__ = "submission_key"
    __table_args__ = (UniqueConstraint("checkpoint_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(
        ForeignKey("checkpoint.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)  # the evidence version it made or added to
    submitted_by: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime)


class ActionLog(Base):
    """Decisions of the sweeps already carried out: the idempotency record."""

    __tablename__ = "action_log"
    __table_args__ = (UniqueConstraint("plan_id", "checkpoint_key", "action", "step"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    checkpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkpoint.id", ondelete="CASCADE"))
    checkpoint_key: Mapped[int] = mapped_column(Integer)  # checkpoint id, 0 for plan-wide
    action: Mapped[str] = mapped_column(String(10))
    step: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(Text)
    on_date: Mapped[date] = mapped_column(Date)
    recipient_role: Mapped[str] = mapped_column(String(20), default="")
    recipient: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class ImportLog(Base):
    __tablename__ = "import_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(Text)
    source_sha256: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(Integer)
    items_added: Mapped[int] = mapped_column(Integer, default=0)
    items_removed: Mapped[int] = mapped_column(Integer, default=0)
    items_changed: Mapped[int] = mapped_column(Integer, default=0)
    checkpoints_added: Mapped[int] = mapped_column(Integer, default=0)
    checkpoints_removed: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "uncertain", "dismissed")


class Outbox(Base):
    """A message the engine decided to send: written with the decision, sent later.

    ``idem_key`` is unique: a key that was sent is never sent again. A row left in
    ``sending`` by a killed dispatcher becomes ``uncertain`` and waits for the admin —
    unless its send never began (``claimed_at`` still set): then it is pending again."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    idem_key: Mapped[str] = mapped_column(String(200), unique=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id", ondelete="SET NULL"))
    person: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40), default="")
    channel: Mapped[str] = mapped_column(String(12))
    address: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    day: Mapped[date] = mapped_column(Date)
    items: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(DateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    admin_told_at: Mapped[datetime | None] = mapped_column(DateTime)  # uncertain, reported
    # set when a dispatcher claims the row in a batch, cleared when its send begins:
    # "sending" with it set = never attempted (safe to put back after the lease)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # files sent with the message (e-mail only): absolute paths of report files
    attachments: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)


class OutboxAttempt(Base):
    """One send attempt of an outbox row: started, and (unless killed) its result."""

    __tablename__ = "outbox_attempt"
    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"),
                                           index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    ok: Mapped[bool | None] = mapped_column(Boolean)
    error: Mapped[str] = mapped_column(Text, default="")


class Feed(Base):
    """One calendar subscription: a scope (plan, area, person, province, or a satker's
    index page) and a secret token. Only the token's SHA-256 is stored, with the random
    nonce it is derived from (the token needs the server's feed secret as well)."""

    __tablename__ = "feed"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str] = mapped_column(String(10))  # plan | area | person | province | index
    satker_id: Mapped[int | None] = mapped_column(ForeignKey("satker.id", ondelete="CASCADE"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    value: Mapped[str] = mapped_column(Text, default="")  # area, person or province name
    label: Mapped[str] = mapped_column(String(200), default="")  # the subscriber
    created_at: Mapped[datetime] = mapped_column(DateTime)
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class PortalLink(Base):
    """A person's personal portal link. Like feed tokens, only the token's SHA-256 and
    its nonce are stored; rotating draws a new nonce, revoking ends it (and every
    session opened with it)."""

    __tablename__ = "portal_link"
    __table_args__ = (UniqueConstraint("satker", "person"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    satker: Mapped[str] = mapped_column(String(200))  # satker name as in the configuration
    person: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class PortalSession(Base):
    """A browser session opened by a personal link (cookie value stored as SHA-256).

    Valid while unexpired, its link unrevoked and not rotated since (``nonce``)."""

    __tablename__ = "portal_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("portal_link.id", ondelete="CASCADE"),
                                         index=True)
    nonce: Mapped[str] = mapped_column(String(32))  # the link's nonce when opened
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class SignInLink(Base):
    """A one-time sign-in link a person asked for from a page without a session: random
    token stored as SHA-256, short-lived, used at most once (``used_at``), and dead with
    its portal link's rotation or revocation (``nonce``)."""

    __tablename__ = "sign_in_link"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("portal_link.id", ondelete="CASCADE"),
                                         index=True)
    nonce: Mapped[str] = mapped_column(String(32))  # the portal link's nonce when made
    next: Mapped[str] = mapped_column(String(40))  # the portal page it opens ("c/12")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class SignInRequest(Base):
    """One accepted "send me a sign-in link" request, counted against its buckets (a
    keyed hash of the identifier typed, or of the client's address) for the rate limit."""

    __tablename__ = "sign_in_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)


class PlanEvent(Base):
    """Append-only audit trail of a plan's life (aktif, penutupan, selesai): who or
    what moved it, when, and why."""

    __tablename__ = "plan_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(200))
    from_status: Mapped[str] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")


class ReportFile(Base):
    """A report file the monev cycle wrote under ``MONEV_HOME/reports`` (the archive the
    portal lists). One row per plan, period and format: a rerun rewrites it."""

    __tablename__ = "report_file"
    __table_args__ = (UniqueConstraint("plan_id", "period", "fmt"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(8))  # 2026-11 | 2026-Q3 | 2026
    fmt: Mapped[str] = mapped_column(String(4))  # pdf | xlsx | html | md
    path: Mapped[str] = mapped_column(Text)  # relative to MONEV_HOME
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)
    written_at: Mapped[datetime] = mapped_column(DateTime)


class DeployTarget(Base):
    """A Prefect server and work pool ``monev deploy`` syncs to (hash of its API URL, pool
    and project directory) and the epoch of its last complete sync, also kept on the
    server (variable ``monev-sync``): a server that lost its database, or another
    writer, shows a different one."""

    __tablename__ = "deploy_target"
    target: Mapped[str] = mapped_column(String(40), primary_key=True)
    epoch: Mapped[str] = mapped_column(String(40))


class DeployedPlan(Base):
    """What was deployed for one plan (``plan_id`` 0: the safety net and the
    dispatcher): the hash of the inputs it was compiled from (data version, status, the
    configuration), of the specifications written, and the deployments' names. Not a
    foreign key: a deleted plan's row says which deployments to remove."""

    __tablename__ = "deployed_plan"
    target: Mapped[str] = mapped_column(
        ForeignKey("deploy_target.target", ondelete="CASCADE"), primary_key=True)
    plan_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inputs: Mapped[str] = mapped_column(String(40))
    specs: Mapped[str] = mapped_column(String(40))
    names: Mapped[list[str]] = mapped_column(JSON)


class InboundMessage(Base):
    """One message received from a provider (WhatsApp, Telegram, e-mail): processed
    exactly once — unique by (channel, provider's message id), and moved from
    ``received`` to ``done``/``refused`` in the same transaction as the evidence it
    brought and the reply it is answered with. A media download that fails leaves it
    ``received`` for the next try (``failed`` after the last one, with a reply)."""

    __tablename__ = "inbound_message"
    __table_args__ = (UniqueConstraint("channel", "provider_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(12))  # whatsapp | telegram | email
    provider: Mapped[str] = mapped_column(String(12))  # cloud | waha | telegram | imap
    provider_id: Mapped[str] = mapped_column(String(200))
    sender: Mapped[str] = mapped_column(String(200))  # +62… phone, chat id or e-mail
    received_at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    text: Mapped[str] = mapped_column(Text, default="")
    reply_to: Mapped[str] = mapped_column(String(200), default="")
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default="received", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    person: Mapped[str] = mapped_column(String(200), default="")
    checkpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkpoint.id", ondelete="SET NULL"))
    evidence_version: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(Text, default="")


class ShortCode(Base):
    """The short per-item code a person's digest showed (``#3``): stable per person and
    day (a later digest of the same day keeps the numbers and adds new ones), so a
    reply from a phone names its item with two keystrokes."""

    __tablename__ = "short_code"
    __table_args__ = (UniqueConstraint("satker", "person", "day", "code"),
                      UniqueConstraint("satker", "person", "day", "plan_id", "ref"))
    id: Mapped[int] = mapped_column(primary_key=True)
    satker: Mapped[str] = mapped_column(String(200))
    person: Mapped[str] = mapped_column(String(200))
    day: Mapped[date] = mapped_column(Date)
    code: Mapped[int] = mapped_column(Integer)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(String(60))  # ITEMKEY@PERIOD


class SentMessage(Base):
    """A provider's id of a message we sent (where the provider returns one), so a reply
    to it (WhatsApp ``context.id``, Telegram ``reply_to_message``) finds what it named."""

    __tablename__ = "sent_message"
    __table_args__ = (UniqueConstraint("channel", "provider_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(12))
    provider_id: Mapped[str] = mapped_column(String(200))
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"),
                                           index=True)


class InboundCursor(Base):
    """How far a polled source was read (Telegram ``getUpdates``: the next update id):
    written only after the updates before it were recorded and handled."""

    __tablename__ = "inbound_cursor"
    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
