"""Static files with a content hash in their URL, so they can be cached for a year.

The files are read once at start-up; ``/static/app.<hash>.css`` is served with
``Cache-Control: immutable`` and any other name is a 404 (a stale hash included).
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response

IMMUTABLE = "public, max-age=31536000, immutable"
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@dataclass(frozen=True, slots=True)
class Asset:
    url: str
    body: bytes
    media_type: str


class Assets:
    def __init__(self, package: str = __package__ + ".static") -> None:
        self._by_name: dict[str, Asset] = {}
        self._by_url: dict[str, Asset] = {}
        for entry in resources.files(package).iterdir():
            if not entry.is_file() or entry.name.startswith((".", "_")):
                continue
            body = entry.read_bytes()
            stem, dot, ext = entry.name.rpartition(".")
            digest = hashlib.sha256(body).hexdigest()[:12]
            url = f"/static/{stem}.{digest}{dot}{ext}"
            media = TYPES.get(dot + ext) or mimetypes.guess_type(entry.name)[0] or "text/plain"
            asset = Asset(url, body, media)
            self._by_name[entry.name] = asset
            self._by_url[url] = asset

    def url(self, name: str) -> str:
        """The hashed URL of ``name`` (a KeyError for an unknown file: a template bug)."""
        return self._by_name[name].url

    async def serve(self, request: Request) -> Response:
        asset = self._by_url.get(request.url.path)
        if asset is None:
            return Response("Not found", status_code=404, media_type="text/plain")
        headers = {"Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"}
        return Response(asset.body, media_type=asset.media_type, headers=headers)
