"""The LKE page (Tim ZI and TPI): the satker's projected and current LKE score, the
gates, and every question with its answers; one form per question saves the unit's
answer (Tim ZI) or the TPI's (role ``tpi``) through the same function as
``monev lke answer``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from monev.clock import utcnow
from monev.engine.lke import record_answer, version_for
from monev.errors import MonevError
from monev.lke.load import available_versions, load_lke
from monev.lke.score import AnswerError
from monev.store import models as m
from portal.access import Viewer
from portal.lke import build_lke
from portal.routes.common import HEADERS, FormId, Portal, as_id, today_for

ROLES = ("unit", "tpi")
NOTE_MAX = 2000
CODE_MAX = 40
NOT_YOURS = ("Halaman LKE hanya untuk Tim ZI (Ketua Tim ZI, koordinator, Sekretaris, "
             "Ketua, admin) dan TPI.")


@dataclass(frozen=True)
class FormError:
    """A refused answer, shown beside its field with what was typed."""

    code: str
    role: str
    message: str
    answer: str
    note: str


def router(portal: Portal) -> APIRouter:
    r = APIRouter()

    def allowed(s: Session, request: Request) -> Viewer:
        viewer = portal.viewer(request, s)
        if not viewer.sees_lke:
            raise portal.forbidden(viewer, NOT_YOURS)
        return viewer

    def render(s: Session, viewer: Viewer, plan_id: int | None, status: int = 200,
               focus: str = "", saved: str = "", error: FormError | None = None
               ) -> Response:
        page = build_lke(s, viewer, today_for(viewer), plan_id)
        # only known values go back into a GET's page (gzip'd beside the CSRF token:
        # BREACH); ``focus`` and ``saved`` are checked against the LKE first
        return portal.page("lke.html.j2", status, viewer, lke=page, focus=focus,
                           saved=saved, error=error, today=today_for(viewer))

    @r.get("/portal/lke")
    def lke_page(request: Request, rencana: str = "", disimpan: str = "",
                 peran: str = "") -> Response:
        with portal.factory() as s:
            viewer = allowed(s, request)
            plan_id = as_id(rencana)
            focus = saved = ""
            if disimpan and peran in ROLES and plan_id is not None:
                plan = s.get(m.Plan, plan_id)
                if plan is not None and _known(plan, disimpan):
                    focus, saved = disimpan, peran
            return render(s, viewer, plan_id, focus=focus, saved=saved)

    @r.get("/portal/lke/jawab")
    def answer_reopened() -> Response:
        """A browser reopening the page a refused answer was shown on: the LKE page."""
        return RedirectResponse("/portal/lke", status_code=303, headers=HEADERS)

    @r.post("/portal/lke/jawab")
    def answer(request: Request, rencana: Annotated[FormId, Form()],
               kode: Annotated[str, Form(max_length=CODE_MAX)],
               peran: Annotated[str, Form()], csrf: Annotated[str, Form()] = "",
               jawaban: Annotated[str, Form(max_length=200)] = "",
               catatan: Annotated[str, Form(max_length=NOTE_MAX * 2)] = "") -> Response:
        """One question's answer (the unit's or the TPI's); empty clears it."""
        raw, note = jawaban.strip(), catatan.strip().replace("\r\n", "\n")
        try:
            with portal.factory.begin() as s:
                viewer = allowed(s, request)
                portal.check_csrf(viewer, csrf)
                plan = s.get(m.Plan, rencana)
                if plan is None or viewer.satker_row is None or \
                        plan.satker_id != viewer.satker_row.id or peran not in ROLES:
                    raise portal.not_found(viewer)
                if peran == "unit" and not viewer.lke_unit:
                    raise portal.forbidden(viewer, "Jawaban unit diisi oleh Tim ZI; TPI "
                                                   "mengisi kolom TPI saja.")
                if peran == "tpi" and not viewer.lke_tpi:
                    raise portal.forbidden(viewer, "Kolom TPI diisi oleh Tim Penilai "
                                                   "Internal (Inspektorat).")
                if len(note) > NOTE_MAX:
                    raise _Refused(f"Catatan terlalu panjang: paling banyak {NOTE_MAX} "
                                   "karakter.")
                if note and not raw:
                    raise _Refused("Isi jawabannya dulu: catatan tanpa jawaban tidak "
                                   "disimpan.")
                try:
                    record_answer(s, plan, kode, raw or None, note, peran,
                                  viewer.person.name, utcnow())
                except AnswerError as exc:
                    raise _Refused(str(exc)) from exc
                except MonevError as exc:
                    raise portal.forbidden(viewer, str(exc)) from exc
        except _Refused as exc:  # nothing stored: the page again, the error at the field
            with portal.factory() as s:
                viewer = allowed(s, request)
                return render(s, viewer, rencana, 422, focus=kode, error=FormError(
                    kode, peran, exc.message, raw[:200], note[:NOTE_MAX * 2]))
        return RedirectResponse(
            f"/portal/lke?rencana={rencana}&disimpan={kode}&peran={peran}#q-{kode}",
            status_code=303, headers=HEADERS)

    return r


class _Refused(Exception):
    """An answer not stored, and why (shown beside its field)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _known(plan: m.Plan, code: str) -> bool:
    """A question of the plan's LKE (what a redirect may echo back)."""
    try:
        return load_lke(version_for(plan, available_versions())).question(code) is not None
    except MonevError:
        return False
