"""Serve the built Vue client (`web/dist`) at `/`, with the SPA's history-mode fallback."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException, status
from fastapi.responses import FileResponse, RedirectResponse, Response

from api.headers import WEB_CSP

DEFAULT_DIST = Path(__file__).resolve().parents[1] / "web" / "dist"
# Paths that belong to the backend; an unknown one is a 404, never the web page.
BACKEND_PREFIXES = ("api/", "advisor/", "docs", "redoc", "openapi.json")
_HEADERS = {"Content-Security-Policy": WEB_CSP}


def mount_web(app: FastAPI, dist: Path = DEFAULT_DIST, *, docs: bool = True) -> None:
    """Serve files from `dist`, `index.html` for client-side routes, or `/docs` if not built."""
    index = dist / "index.html"

    @app.get("/{path:path}", include_in_schema=False)
    def web(path: str) -> Response:
        if path.startswith(BACKEND_PREFIXES):
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Not found.")
        if "\x00" in path:  # no file name has one, and `Path.resolve` raises on it
            raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="The path is not valid.")
        if not index.is_file():
            if docs:
                return RedirectResponse("/docs")
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="The web client is not built.")
        candidate = (dist / path).resolve()
        if path and _is_file(candidate) and candidate.is_relative_to(dist.resolve()):
            return FileResponse(candidate, headers=_HEADERS)
        return FileResponse(index, headers={"Cache-Control": "no-cache", **_HEADERS})


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # e.g. a name too long for the file system: not one of ours
        return False
