"""Tugas saya, one checkpoint's page, sending evidence, and downloading it.

Evidence is never served as a page: always ``Content-Disposition: attachment`` with the
type sniffed at upload, ``nosniff`` and a sandboxing CSP; only images are shown inline
(as ``<img>``, which never runs anything)."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from monev.engine import lifecycle
from monev.engine.blobs import EvidenceRefused, blob_path
from monev.engine.evidence import Intake
from monev.engine.lifecycle import rejection_reasons
from monev.errors import MonevError
from portal.access import (
    Row,
    Viewer,
    closed_plans,
    light_of,
    visible_checkpoint,
    visible_file,
)
from portal.effects import after_change
from portal.format import CLOSED_PLAN
from portal.review import checkpoint_review
from portal.routes.common import HEADERS, Halt, PathId, Portal, as_id, today_for
from portal.sessions import csrf_ok
from portal.tasks import (
    GROUPS,
    archive,
    history,
    my_tasks,
    sorot_ids,
    task_group,
    task_of,
    versions,
)
from portal.uploads import Received, UploadError, read_upload

NOTICES = {"terkirim": "Bukti terkirim. Koordinator/Tim ZI akan memeriksanya.",
           "ditambahkan": "Bukti ditambahkan ke kiriman yang menunggu verifikasi.",
           "ditarik": "Bukti ditarik. Bukti itu tetap tercatat di riwayat, tetapi tidak "
                      "lagi dihitung sebagai bukti.",
           "ditarik_semua": "Bukti terakhir ditarik: checkpoint kembali ke status sebelum "
                            "dikirim dan menunggu bukti lagi.",
           "diterima": "Bukti diterima: checkpoint terverifikasi.",
           "diteruskan": "Bukti diterima di tingkat Anda dan diteruskan ke verifikator "
                         "tingkat berikutnya.",
           "ditolak": "Bukti ditolak; PIC diberi tahu beserta catatannya."}
KEY_FIELD = "kunci"  # the form's idempotency key (before the file inputs)


def router(portal: Portal) -> APIRouter:
    r = APIRouter()

    @r.get("/portal/")
    def tasks(request: Request, lihat: str = "", hal: str = "1", sorot: str = "") -> Response:
        """Tugas saya; ``?lihat=terlambat&hal=2`` one whole group, page by page;
        ``?sorot=12,34`` (a message's link) those of the viewer's items on top."""
        if lihat in dict(GROUPS):
            page = int(hal) if hal.isascii() and hal.isdigit() and len(hal) < 6 else 1

            def one_group(s: Session, viewer: Viewer) -> Response:
                today = today_for(viewer)
                return portal.page("tasks.html.j2", viewer=viewer, today=today,
                                   group=task_group(s, viewer, today, lihat, page))

            return portal.cached(request, ("tugas", lihat, page), one_group)
        wanted = tuple(sorot_ids(sorot))

        def all_groups(s: Session, viewer: Viewer) -> Response:
            today = today_for(viewer)
            return portal.page("tasks.html.j2", viewer=viewer, today=today,
                               tasks=my_tasks(s, viewer, today, wanted))

        return portal.cached(request, ("tugas", "", wanted), all_groups)

    @r.get("/portal/sorot/{ids}")
    def highlighted(ids: str) -> Response:
        """Where a message's "Semua tugas Anda" link lands (``/p/<token>/sorot/12,34``):
        Tugas saya with those items on top."""
        wanted = ",".join(map(str, sorot_ids(ids)))
        return RedirectResponse(f"/portal/?sorot={wanted}" if wanted else "/portal/",
                                status_code=303, headers=HEADERS)

    @r.get("/portal/arsip")
    def archived(request: Request) -> Response:
        with portal.factory() as s:
            viewer = portal.viewer(request, s)
            return portal.page("archive.html.j2", viewer=viewer,
                               plans=archive(s, viewer, today_for(viewer)))

    @r.get("/portal/c/{cp_id}")
    def checkpoint(request: Request, cp_id: PathId, pesan: str = "") -> Response:
        with portal.factory() as s:
            viewer = portal.viewer(request, s)
            return render_checkpoint(portal, s, viewer, cp_id, notice=pesan)

    @r.post("/portal/c/{cp_id}/kirim")
    async def send(request: Request, cp_id: PathId, background: BackgroundTasks) -> Response:
        return await _receive(portal, request, cp_id, background, adding=False)

    @r.post("/portal/c/{cp_id}/tambah")
    async def add(request: Request, cp_id: PathId, background: BackgroundTasks) -> Response:
        """Files or links forgotten in the submission still waiting for verification."""
        return await _receive(portal, request, cp_id, background, adding=True)

    @r.post("/portal/c/{cp_id}/tarik")
    def withdraw(request: Request, cp_id: PathId, background: BackgroundTasks,
                 csrf: Annotated[str, Form()] = "", bukti: Annotated[str, Form()] = "",
                 alasan: Annotated[str, Form()] = "") -> Response:
        """Withdraw a wrong file or link of the submission waiting for verification."""
        try:
            with portal.factory.begin() as s:
                viewer = portal.viewer(request, s)
                portal.check_csrf(viewer, csrf)
                row = visible_checkpoint(s, viewer, cp_id)
                if row is None:
                    raise portal.not_found(viewer)
                if not _may_amend(s, viewer, row):
                    raise _Refused(403, "Hanya pengirim bukti, PIC atau koordinator baris ini "
                                        "yang dapat menarik bukti.")
                if _closed(s, viewer, row[3].id):
                    raise _Refused(409, CLOSED_PLAN)
                evidence_id = as_id(bukti)
                if evidence_id is None:
                    raise _Refused(422, "Pilih bukti yang akan ditarik.")
                moved = lifecycle.withdraw(s, row[0], evidence_id, viewer.person.name,
                                           alasan[:500])
                plan_id = row[3].id
        except _Refused as exc:
            return _failed(portal, request, cp_id, UploadError(exc.status, exc.message))
        except MonevError as exc:
            return _failed(portal, request, cp_id, UploadError(409, str(exc)))
        background.add_task(after_change, portal.factory, [plan_id])
        notice = "ditarik" if moved.to_status == "submitted" else "ditarik_semua"
        return RedirectResponse(f"/portal/c/{cp_id}?pesan={notice}", status_code=303,
                                headers=HEADERS)

    @r.get("/portal/bukti/{evidence_id}")
    def download(request: Request, evidence_id: PathId) -> Response:
        with portal.factory() as s:
            viewer = portal.viewer(request, s)
            ev = visible_file(s, viewer, evidence_id)
            path = blob_path(portal.home, ev.location, ev.sha256) if ev else None
            if ev is None or path is None:
                raise portal.not_found(viewer)
            name = ev.original_name or "bukti"
            mime = ev.mime or "application/octet-stream"
        if not mime.startswith(("image/", "application/", "video/", "text/plain", "text/csv")):
            mime = "application/octet-stream"
        ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
        return FileResponse(path, media_type=mime, headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
                                   f"filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Referrer-Policy": "no-referrer"})

    return r


def render_checkpoint(portal: Portal, s: Session, viewer: Viewer, cp_id: int,
                      status: int = 200, error: str = "", notice: str = "") -> Response:
    """The checkpoint's page (404 unless the viewer may see it)."""
    row = visible_checkpoint(s, viewer, cp_id)
    if row is None:
        raise portal.not_found(viewer)
    cp, item, area, plan = row
    closed = _closed(s, viewer, plan.id)
    reasons = rejection_reasons(s, [cp.id]) if cp.status == "rejected" else {}
    can_amend = not closed and cp.status == "submitted" and _may_amend(s, viewer, row)
    return portal.page(
        "checkpoint.html.j2", status, viewer,
        task=task_of(light_of(row), viewer, today_for(viewer), reasons, closed),
        item=item, cp=cp, area=area, history=history(s, cp.id),
        versions=versions(s, cp.id), error=error, notice=NOTICES.get(notice, ""),
        closed=CLOSED_PLAN if closed and error != CLOSED_PLAN else "", archived=closed,
        can_submit=not closed and viewer.can_submit(area, item.komponen)
        and cp.status in lifecycle.TRANSITIONS["submit"][0],
        can_amend=can_amend, key=secrets.token_urlsafe(18),
        review=checkpoint_review(s, viewer, row, portal.home, closed),
        koordinator=", ".join(viewer.people.names("koordinator", area, item.komponen)))


async def _receive(portal: Portal, request: Request, cp_id: int,
                   background: BackgroundTasks, adding: bool) -> Response:
    """A new submission, or an addition to the one waiting (``adding``), streamed in."""
    viewer, allowed, closed = await run_in_threadpool(_may_submit, portal, request, cp_id,
                                                      adding)
    if not allowed:
        raise portal.not_found(viewer)
    if closed:  # refused before a single byte is read: nothing can be stored
        return await run_in_threadpool(_failed, portal, request, cp_id,
                                       UploadError(409, CLOSED_PLAN))
    try:
        received = await read_upload(
            request, portal.home,
            lambda given: csrf_ok(portal.secret, viewer.cookie, given),
            repeat=lambda key: _seen(portal, cp_id, key), key_field=KEY_FIELD)
    except UploadError as exc:
        if exc.status == 403:
            portal.check_csrf(viewer, None)
        return await run_in_threadpool(_failed, portal, request, cp_id, exc)
    if not csrf_ok(portal.secret, viewer.cookie, received.value("csrf")):
        received.discard()
        portal.check_csrf(viewer, None)
    return await run_in_threadpool(_store, portal, request, cp_id, received, background,
                                   adding)


def _may_submit(portal: Portal, request: Request, cp_id: int,
                adding: bool = False) -> tuple[Viewer, bool, bool]:
    """Before reading a single byte of the upload: is there a session, may this person
    send evidence for this checkpoint (or add to its waiting submission), and is its
    plan closed (then nobody may)?"""
    with portal.factory() as s:
        viewer = portal.viewer(request, s)
        row = visible_checkpoint(s, viewer, cp_id)
        if row is None or not _may_send(s, viewer, row, adding):
            return viewer, False, False
        return viewer, True, _closed(s, viewer, row[3].id)


def _may_send(s: Session, viewer: Viewer, row: Row, adding: bool) -> bool:
    return _may_amend(s, viewer, row) if adding else \
        viewer.can_submit(row[2], row[1].komponen)


def _may_amend(s: Session, viewer: Viewer, row: Row) -> bool:
    """Who may add to or withdraw from a waiting submission: its senders, and the row's
    PIC or koordinator."""
    return viewer.can_submit(row[2], row[1].komponen) or \
        viewer.person.name in lifecycle.submitters(s, row[0].id)


def _seen(portal: Portal, cp_id: int, key: str) -> bool:
    """Was this form (its idempotency key) already stored?"""
    with portal.factory() as s:
        return lifecycle.key_seen(s, cp_id, key)


def _closed(s: Session, viewer: Viewer, plan_id: int) -> bool:
    return plan_id in closed_plans(s, viewer, today_for(viewer), [plan_id])


def _failed(portal: Portal, request: Request, cp_id: int, exc: UploadError) -> Response:
    with portal.factory() as s:
        viewer = portal.viewer(request, s)
        try:
            return render_checkpoint(portal, s, viewer, cp_id, exc.status, exc.message)
        except Halt as halt:
            return halt.response


def _store(portal: Portal, request: Request, cp_id: int, received: Received,
           background: BackgroundTasks, adding: bool = False) -> Response:
    links = [u for u in received.fields.get("tautan", []) if u.strip()]
    note = received.value("catatan")[:2000]
    key = received.value(KEY_FIELD)
    key = key if lifecycle.KEY_RE.match(key) else ""
    done = RedirectResponse(
        f"/portal/c/{cp_id}?pesan={'ditambahkan' if adding else 'terkirim'}",
        status_code=303, headers=HEADERS)
    if received.repeat:  # the same form again (a double tap): it was stored once
        return done
    intake = Intake(portal.home)
    try:
        with portal.factory.begin() as s:
            viewer = portal.viewer(request, s)
            row = visible_checkpoint(s, viewer, cp_id)
            if row is None or not _may_send(s, viewer, row, adding):
                received.discard()
                raise portal.not_found(viewer)
            if _closed(s, viewer, row[3].id):  # closed while the upload streamed in
                received.discard()
                raise _Refused(409, CLOSED_PLAN)
            if lifecycle.key_seen(s, cp_id, key):
                received.discard()
                return done
            if not received.writers and not links:
                received.discard()
                raise _Refused(422, "Pilih sedikitnya satu berkas atau isi satu tautan.")
            try:
                intake.submit(s, row[0], viewer.person.name, received.writers, links, note,
                              key=key, adding=adding)
            except EvidenceRefused as exc:
                raise _Refused(415, str(exc)) from exc
            plan_id = row[3].id
    except _Refused as exc:
        intake.forget(portal.factory)
        return _failed(portal, request, cp_id, UploadError(exc.status, exc.message))
    except MonevError as exc:
        intake.forget(portal.factory)
        return _failed(portal, request, cp_id, UploadError(409, str(exc)))
    except IntegrityError:  # the same form, stored meanwhile by a concurrent request
        intake.forget(portal.factory)
        if _seen(portal, cp_id, key):
            return done
        raise
    except BaseException:  # e.g. the session ended meanwhile: keep nothing
        received.discard()
        intake.forget(portal.factory)
        raise
    background.add_task(after_change, portal.factory, [plan_id])
    return done


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message
