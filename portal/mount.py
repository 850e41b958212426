"""``mount``: the portal's pages, static files and error handling added to the HTTP app
(``app.web``). The rest of the package is importable without FastAPI work."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker

from monev.config import MonevConfig
from monev.engine.blobs import clean_partial_uploads
from monev.store.db import monev_home
from monev.tokens import server_secret
from portal.routes import (
    auth,
    board,
    checkpoint,
    errors,
    lke,
    preview,
    reports,
    signin,
    verify,
)
from portal.routes.common import Halt, Portal


def mount(app: FastAPI, factory: sessionmaker[Session], cfg: MonevConfig) -> None:
    """Add the portal's pages, static files and error handling to ``app``."""
    home = monev_home()
    clean_partial_uploads(home)  # left by a killed app (never a running upload's)
    portal = Portal.make(factory, cfg, server_secret(home), home)
    for module in (auth, signin, checkpoint, preview, verify, board, lke, reports):
        app.include_router(module.router(portal))
    app.mount("/portal/static", StaticFiles(directory=Path(__file__).parent / "static"),
              name="portal-static")

    async def halted(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Halt)
        return exc.response

    app.add_exception_handler(Halt, halted)
    errors.install(app, portal)  # every other error of a portal URL: a page too
