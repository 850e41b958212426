"""Arsip laporan: the report files the monev cycle wrote (Ketua Tim ZI, Sekretaris,
Ketua, admins) — listed per plan and downloaded as attachments, never shown inline."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from monev.store import models as m
from portal.routes.common import HEADERS, PathId, Portal
from reports.archive import archive
from reports.periods import ReportPeriod

TYPES = {"pdf": "application/pdf", "md": "text/markdown; charset=utf-8",
         "html": "application/octet-stream",  # never rendered by the portal
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def router(portal: Portal) -> APIRouter:
    r = APIRouter()

    @r.get("/portal/laporan")
    def reports(request: Request) -> Response:
        with portal.factory() as s:
            viewer = portal.viewer(request, s)
            if not viewer.sees_board or viewer.satker_row is None:
                raise portal.not_found(viewer)
            groups: dict[str, list[tuple[str, m.ReportFile]]] = {}
            for row, plan in archive(s, viewer.satker_row.id):
                label = ReportPeriod.parse(row.period).label()
                groups.setdefault(f"{plan.kind} {plan.year}", []).append((label, row))
            return portal.page("reports.html.j2", viewer=viewer, groups=groups)

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
