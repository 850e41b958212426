"""Verifikasi: the queue of submitted evidence a verifier may check; accept, or reject
with a required reason — one or several at once, all or nothing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import RedirectResponse, Response

from monev.engine import lifecycle
from monev.errors import MonevError
from portal.access import closed_plans, visible_checkpoint
from portal.effects import after_change
from portal.format import CLOSED_PLAN
from portal.routes.checkpoint import render_checkpoint
from portal.routes.common import HEADERS, FormId, Portal, today_for
from portal.tasks import verify_queue

NONE: list[FormId] = []  # FastAPI copies defaults per request
DONE = {"terima": "diterima", "tolak": "ditolak"}


def router(portal: Portal) -> APIRouter:
    r = APIRouter()

    def queue_page(request: Request, status: int = 200, error: str = "",
                   notice: str = "") -> Response:
        with portal.factory() as s:
            viewer = portal.viewer(request, s)
            if not viewer.verifier:
                raise portal.not_found(viewer)
            return portal.page("verify.html.j2", status, viewer,
                               queue=verify_queue(s, viewer, today_for(viewer)),
                               error=error, notice=notice)

    @r.get("/portal/verifikasi")
    def queue(request: Request, pesan: str = "") -> Response:
        notice = {"diterima": "Bukti terpilih diterima.",
                  "ditolak": "Bukti terpilih ditolak; PIC diberi tahu beserta alasannya."}
        return queue_page(request, notice=notice.get(pesan, ""))

    @r.post("/portal/verifikasi")
    def verify(request: Request, background: BackgroundTasks,
               csrf: Annotated[str, Form()] = "", ids: Annotated[list[FormId], Form()] = NONE,
               aksi: Annotated[str, Form()] = "", alasan: Annotated[str, Form()] = "",
               kembali: Annotated[str, Form()] = "") -> Response:
        ids = list(ids)
        back_cp = ids[0] if kembali == "checkpoint" and len(ids) == 1 else None

        def refuse(status: int, message: str) -> Response:
            if back_cp is None:
                return queue_page(request, status, message)
            with portal.factory() as s:
                return render_checkpoint(portal, s, portal.viewer(request, s), back_cp,
                                         status, message)

        try:
            plans = _apply(portal, request, csrf, ids, aksi, alasan)
        except _Stop as stop:
            return refuse(stop.status, stop.message)
        background.add_task(after_change, portal.factory, plans, aksi == "tolak")
        target = f"/portal/c/{back_cp}" if back_cp is not None else "/portal/verifikasi"
        return RedirectResponse(f"{target}?pesan={DONE[aksi]}", status_code=303,
                                headers=HEADERS)

    return r


class _Stop(Exception):
    """Nothing of the batch is done (the transaction rolls back); say why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _apply(portal: Portal, request: Request, csrf: str, ids: list[int], aksi: str,
           alasan: str) -> set[int]:
    """Accept or reject every chosen checkpoint in one transaction (all or nothing)."""
    with portal.factory.begin() as s:
        viewer = portal.viewer(request, s)
        portal.check_csrf(viewer, csrf)
        if not viewer.verifier:
            raise portal.not_found(viewer)
        if aksi not in DONE:
            raise _Stop(422, "Pilih terima atau tolak.")
        if not ids:
            raise _Stop(422, "Pilih sedikitnya satu bukti.")
        if aksi == "tolak" and not alasan.strip():
            raise _Stop(422, "Alasan penolakan wajib diisi agar PIC tahu apa yang harus "
                             "diperbaiki.")
        plans: set[int] = set()
        closed = closed_plans(s, viewer, today_for(viewer))
        for cp_id in dict.fromkeys(ids):
            row = visible_checkpoint(s, viewer, cp_id)
            if row is None or not viewer.can_verify(row[2], row[1].komponen):
                raise portal.not_found(viewer)
            if row[3].id in closed:
                raise _Stop(409, CLOSED_PLAN)
            cp = row[0]
            if not viewer.may_verify_own() and \
                    lifecycle.last_submitter(s, cp.id) == viewer.person.name:
                raise _Stop(403, "Anda tidak boleh memverifikasi bukti yang Anda kirim "
                                 "sendiri; minta verifikator lain (mis. Ketua Tim ZI).")
            try:
                if aksi == "terima":
                    lifecycle.transition(s, cp, "accept", viewer.person.name)
                else:
                    lifecycle.reject(s, cp, viewer.person.name, alasan.strip()[:2000],
                                     portal.cfg)
            except MonevError as exc:
                raise _Stop(409, str(exc)) from exc
            plans.add(row[3].id)
    return plans
