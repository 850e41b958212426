"""Laporan: the report files the monev cycle wrote (Ketua Tim ZI, Sekretaris, Ketua,
admins) and, for those who see the LKE page (Tim ZI, TPI), the filled LKE workbook and
the evidence bundle made on request — all downloaded as attachments, never shown
inline. The bundle is streamed while it is written: no temporary file.

The workbook modules load openpyxl (with numpy, lxml and PIL, ~30 MB) when the first
workbook is asked for, not in every process that serves the app."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from monev.errors import MonevError
from monev.store import models as m
from monev.store.queries import plan_ref
from portal.access import Viewer
from portal.lke import lke_plans
from portal.routes.common import HEADERS, PathId, Portal, today_for
from portal.routes.lke import NOT_YOURS
from portal.streaming import streamed
from reports.archive import archive
from reports.lke_filing import LkePack, gather
from reports.periods import ReportPeriod

TYPES = {"pdf": "application/pdf", "md": "text/markdown; charset=utf-8",
         "html": "application/octet-stream",  # never rendered by the portal
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "zip": "application/zip"}


def _attachment(name: str, fmt: str) -> dict[str, str]:
    """Headers of a download: an attachment (ASCII name), sandboxed, never cached."""
    headers = dict(HEADERS)
    headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    headers["Content-Disposition"] = f'attachment; filename="{name}"'
    headers["Content-Type"] = TYPES[fmt]
    return headers


def router(portal: Portal) -> APIRouter:
    r = APIRouter()

    @r.get("/portal/laporan")
    def reports(request: Request) -> Response:
        with portal.factory() as s:
            viewer = portal.viewer(request, s)
            if not (viewer.sees_board or viewer.sees_lke) or viewer.satker_row is None:
                raise portal.not_found(viewer)
            groups: dict[str, list[tuple[str, m.ReportFile]]] = {}
            if viewer.sees_board:
                for row, plan in archive(s, viewer.satker_row.id):
                    label = ReportPeriod.parse(row.period).label()
                    groups.setdefault(f"{plan.kind} {plan.year}", []).append((label, row))
            lke = lke_plans(s, viewer, today_for(viewer)) if viewer.sees_lke else []
            return portal.page("reports.html.j2", viewer=viewer, groups=groups, lke=lke)

    def lke_pack(s: Session, request: Request, plan_id: int) -> tuple[Viewer, LkePack]:
        viewer = portal.viewer(request, s)
        if not viewer.sees_lke:
            raise portal.forbidden(viewer, NOT_YOURS)
        plan = s.get(m.Plan, plan_id)
        if plan is None or viewer.satker_row is None or \
                plan.satker_id != viewer.satker_row.id:
            raise portal.not_found(viewer)
        ref = plan_ref(viewer.satker_row.slug, plan.kind, plan.year)
        try:
            return viewer, gather(s, plan, ref, today_for(viewer))
        except MonevError as exc:  # no LKE for this plan's kind
            raise portal.not_found(viewer) from exc

    def lke_name(pack: LkePack, fmt: str) -> str:
        return f"lke-{pack.lke.version}-{pack.plan_id.replace('/', '-')}-{pack.day:%Y%m%d}.{fmt}"

    @r.get("/portal/laporan/lke/{plan_id}/kertas-kerja")
    def lke_workbook(request: Request, plan_id: PathId) -> Response:
        """The filled LKE workbook (answers in K/L/M, the TPI's in N/Q)."""
        from reports.lke_workbook import workbook_bytes  # heavy: see the docstring

        with portal.factory() as s:
            _, pack = lke_pack(s, request, plan_id)
        return Response(workbook_bytes(pack), headers=_attachment(lke_name(pack, "xlsx"),
                                                                  "xlsx"))

    @r.get("/portal/laporan/lke/{plan_id}/bundel")
    def lke_bundle(request: Request, plan_id: PathId) -> Response:
        """The evidence bundle (ZIP), written while it is sent."""
        from reports.lke_bundle import write_bundle_to  # heavy: see the docstring

        with portal.factory() as s:
            _, pack = lke_pack(s, request, plan_id)
        return StreamingResponse(streamed(lambda out: write_bundle_to(pack, portal.home, out)),
                                 headers=_attachment(lke_name(pack, "zip"), "zip"))

    @r.get("/portal/laporan/{file_id}")
    def download(request: Request, file_id: PathId) -> Response:
        with portal.factory() as s:
            viewer = portal.viewer(request, s)
            row = s.get(m.ReportFile, file_id)
            plan = s.get(m.Plan, row.plan_id) if row is not None else None
            if row is None or plan is None or not viewer.sees_board or \
                    viewer.satker_row is None or plan.satker_id != viewer.satker_row.id:
                raise portal.not_found(viewer)
            path = (portal.home / row.path).resolve()
            if not path.is_relative_to((portal.home / "reports").resolve()) or \
                    not path.is_file():
                raise portal.not_found(viewer)
            name = f"laporan-monev-{plan.kind.lower()}-{plan.year}-{row.period}.{row.fmt}"
            headers = dict(HEADERS)
            headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
            return FileResponse(path, media_type=TYPES.get(row.fmt, "application/octet-stream"),
                                filename=name, headers=headers,
                                content_disposition_type="attachment")

    return r
