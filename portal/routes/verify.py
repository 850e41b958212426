"""Verifikasi: the queue of evidence waiting for the viewer's review tier, evidence
first (previews of images and PDFs); accept, or reject with preset reasons and/or a
note — one or several at once, all or nothing. The tiers and rounds are
monev/engine/review.py's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import RedirectResponse, Response

from monev.engine import lifecycle, review
from monev.errors import MonevError
from portal.access import closed_plans, visible_checkpoint
from portal.effects import after_change
from portal.format import CLOSED_PLAN
from portal.review import verify_queue
from portal.routes.checkpoint import render_checkpoint
from portal.routes.common import HEADERS, FormId, Portal, today_for

NONE: list[FormId] = []  # FastAPI copies defaults per request
NO_TEXT: list[str] = []
NOTICES = {"diterima": "Bukti terpilih diterima dan terverifikasi.",
           "diteruskan": "Bukti terpilih diterima di tingkat Anda dan diteruskan ke "
                         "verifikator tingkat berikutnya.",
           "ditolak": "Bukti terpilih ditolak; PIC diberi tahu beserta catatannya."}


def router(portal: Portal) -> APIRouter:
    r = APIRouter()

    def queue_page(request: Request, status: int = 200, error: str = "",
                   notice: str = "") -> Response:
        with portal.factory() as s:
            viewer = portal.viewer(request, s)
            if not viewer.verifier:
                raise portal.not_found(viewer)
            return portal.page("verify.html.j2", status, viewer,
                               queue=verify_queue(s, viewer, today_for(viewer), portal.home),
                               reasons=viewer.satker.portal.review.reasons,
                               error=error, notice=notice)

    @r.get("/portal/verifikasi")
    def queue(request: Request, pesan: str = "") -> Response:
        return queue_page(request, notice=NOTICES.get(pesan, ""))

    @r.post("/portal/verifikasi")
    def verify(request: Request, background: BackgroundTasks,
               csrf: Annotated[str, Form()] = "", ids: Annotated[list[FormId], Form()] = NONE,
               aksi: Annotated[str, Form()] = "", alasan: Annotated[str, Form()] = "",
               alasan_pilihan: Annotated[list[str], Form()] = NO_TEXT,
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
            plans, outcome = _apply(portal, request, csrf, ids, aksi, alasan,
                                    list(alasan_pilihan))
        except _Stop as stop:
            return refuse(stop.status, stop.message)
        background.add_task(after_change, portal.factory, plans, aksi == "tolak")
        target = f"/portal/c/{back_cp}" if back_cp is not None else "/portal/verifikasi"
        return RedirectResponse(f"{target}?pesan={outcome}", status_code=303,
                                headers=HEADERS)

    return r


class _Stop(Exception):
    """Nothing of the batch is done (the transaction rolls back); say why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _apply(portal: Portal, request: Request, csrf: str, ids: list[int], aksi: str,
           alasan: str, chosen: list[str]) -> tuple[set[int], str]:
    """Accept or reject every chosen checkpoint in one transaction (all or nothing);
    the plans touched and what came of it (diterima, diteruskan, ditolak)."""
    with portal.factory.begin() as s:
        viewer = portal.viewer(request, s)
        portal.check_csrf(viewer, csrf)
        if not viewer.verifier:
            raise portal.not_found(viewer)
        if aksi not in ("terima", "tolak"):
            raise _Stop(422, "Pilih terima atau tolak.")
        if not ids:
            raise _Stop(422, "Pilih sedikitnya satu bukti.")
        offered = viewer.satker.portal.review.reasons
        if any(c not in offered for c in chosen):
            raise _Stop(422, "Alasan yang dipilih tidak dikenal; muat ulang halaman.")
        if aksi == "terima" and chosen:
            raise _Stop(422, "Anda mencentang alasan penolakan: tekan Tolak, atau hapus "
                             "centangnya untuk menerima.")
        if aksi == "tolak" and not chosen and not alasan.strip():
            raise _Stop(422, "Alasan penolakan wajib diisi agar PIC tahu apa yang harus "
                             "diperbaiki: pilih alasan atau tulis catatan.")
        plans: set[int] = set()
        outcome = "ditolak" if aksi == "tolak" else "diterima"
        closed = closed_plans(s, viewer, today_for(viewer))
        people = viewer.satker.people
        for cp_id in dict.fromkeys(ids):
            row = visible_checkpoint(s, viewer, cp_id)
            if row is None:
                raise portal.not_found(viewer)
            cp, item, area, plan = row
            submitter = lifecycle.last_submitter(s, cp.id)
            if submitter == viewer.person.name and viewer.verifier and \
                    not viewer.may_verify_own():
                raise _Stop(403, "Anda tidak boleh memverifikasi bukti yang Anda kirim "
                                 "sendiri; minta verifikator lain (mis. Ketua Tim ZI).")
            if not viewer.can_verify(area, item.komponen, submitter):
                raise portal.not_found(viewer)
            if plan.id in closed:
                raise _Stop(409, CLOSED_PLAN)
            try:
                if aksi == "terima":
                    after = review.accept(s, cp, viewer.satker.portal, people,
                                          viewer.person.name)
                    if after.tier:
                        outcome = "diteruskan"
                else:
                    review.reject(s, cp, viewer.satker.portal, people, viewer.person.name,
                                  chosen, alasan.strip()[:2000], portal.cfg)
            except MonevError as exc:
                raise _Stop(409, str(exc)) from exc
            plans.add(plan.id)
    return plans, outcome
