"""The HTTP app started by ``monev up`` (health now; calendar feeds come later)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI


def create_app() -> FastAPI:
    from sqlalchemy import func, select

    from monev.store import models as m
    from monev.store.db import open_session_factory

    app = FastAPI(title="monev", docs_url=None, redoc_url=None)
    factory = open_session_factory()

    @app.get("/health")
    def health() -> dict[str, Any]:
        with factory() as s:
            plans = s.scalar(select(func.count(m.Plan.id))) or 0
        return {"status": "ok", "plans": plans}

    return app
