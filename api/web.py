"""Serve the built Vue client (`web/dist`) at `/`, with the SPA's history-mode fallback."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException, status
from fastapi.responses import FileResponse, RedirectResponse, Response

DEFAULT_DIST = Path(__file__).resolve().parents[1] / "web" / "dist"
# Paths that belong to the backend; an unknown one is a 404, never the web page.
BACKEND_PREFIXES = ("api/", "advisor/", "docs", "redoc", "openapi.json")


def mount_web(app: FastAPI, dist: Path = DEFAULT_DIST) -> None:
    """Serve files from `dist`, `index.html` for client-side routes, or `/docs` if not built."""
    index = dist / "index.html"

    @app.get("/{path:path}", include_in_schema=False)
    def web(path: str) -> Response:
        if path.startswith(BACKEND_PREFIXES):
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Not found.")
        if not index.is_file():
            return RedirectResponse("/docs")
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(dist.resolve()):
            return FileResponse(candidate)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
