"""Pratinjau: the first page of a PDF evidence file as a PNG, for an ``<img>`` on the
verifier's pages. Rendered once per file (monev/engine/preview.py, in a limited child
process) and kept by its SHA-256; a PDF that cannot be drawn gets a small picture
saying so, never an error page. Who may download the file may see its preview."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from monev.engine.blobs import blob_path
from monev.engine.preview import pdf_preview
from portal.access import visible_file
from portal.routes.common import PathId, Portal

IMAGE_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=86400",
                 "Content-Security-Policy": "default-src 'none'; sandbox",
                 "Referrer-Policy": "no-referrer", "Cross-Origin-Resource-Policy": "same-origin"}
# What an <img> shows when a PDF has no preview (its alt text says the same).
NO_PREVIEW = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="360" height="120" viewBox="0 0 360 120">'
    '<rect width="360" height="120" fill="#eceef1" stroke="#8a939e"/>'
    '<text x="180" y="66" font-family="sans-serif" font-size="18" fill="#1b1f24" '
    'text-anchor="middle">Pratinjau tidak tersedia</text></svg>')


def router(portal: Portal) -> APIRouter:
    r = APIRouter()

    @r.get("/portal/bukti/{evidence_id}/pratinjau")
    def preview(request: Request, evidence_id: PathId) -> Response:
        with portal.factory() as s:
            viewer = portal.viewer(request, s)
            ev = visible_file(s, viewer, evidence_id)
            if ev is None:
                raise portal.not_found(viewer)
            source = blob_path(portal.home, ev.location, ev.sha256)
            digest, mime = ev.sha256, ev.mime
        if source is None or digest is None or mime != "application/pdf":
            raise portal.not_found(viewer)
        png = pdf_preview(portal.home, source, digest)
        if png is None:
            return Response(NO_PREVIEW, media_type="image/svg+xml",
                            headers={**IMAGE_HEADERS, "Cache-Control": "no-store"})
        return FileResponse(png, media_type="image/png", headers=IMAGE_HEADERS)

    return r
