"""Conditional GET, one rule for every answer that carries a validator.

An answer that can be revalidated carries a strong ``ETag``, a ``Cache-Control`` saying
who may keep it, and where it varies by request header, ``Vary``. A request whose
``If-None-Match`` names the current ``ETag`` gets ``304 Not Modified`` with the same three
headers and no body (RFC 9110 §13.1.2, §15.4.5).

Two kinds of answer use it:

- per-person answers (the REST reading endpoints, the Claude Code ``marketplace.json``):
  their ETag is computed *before* the answer is built, from what determines it (see
  :mod:`skillport_connector.api.conditional`), and they are private;
- documents fixed by the configuration (the OAuth discovery metadata): :class:`FixedJSON`
  serialises them once; their ETag is the digest of those bytes, so two configurations
  (another public URL, another version) never share one, and shared caches may keep them
  for :data:`METADATA_MAX_AGE` seconds. They never read the request's ``Host``: every
  URL in them comes from the configured public URL, so one answer is right for every
  name the server answers to (and a cache keys on the name anyway).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

#: A per-person answer: the caller's own cache may keep it and must revalidate; a shared
#: cache must not keep it.
PRIVATE = "private, no-cache"
#: How long a shared cache may keep a document fixed by the configuration (it changes
#: only when the server is restarted with another configuration).
METADATA_MAX_AGE = 300
PUBLIC_METADATA = f"public, max-age={METADATA_MAX_AGE}"


@dataclass(frozen=True, slots=True)
class Validators:
    """The headers that make an answer revalidatable; a 304 repeats them."""

    etag: str
    cache_control: str
    vary: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {"ETag": self.etag, "Cache-Control": self.cache_control}
        if self.vary:
            headers["Vary"] = self.vary
        return headers


def strong_etag(*parts: str | bytes) -> str:
    """A strong ETag: the digest of ``parts`` (which it does not reveal)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return f'"{digest.hexdigest()[:32]}"'


def matches(request: Request, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, as RFC 9110 asks)."""
    return names_etag(request.headers.get("if-none-match"), etag)


def names_etag(header: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` value names ``etag`` (or is ``*``)."""
    if not header:
        return False
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False


def not_modified(request: Request, validators: Validators) -> Response | None:
    """A 304 when the caller already holds this answer, else None."""
    if matches(request, validators.etag):
        return Response(status_code=304, headers=validators.headers())
    return None


def validated(response: Response, validators: Validators) -> Response:
    """``response`` with ``validators``' headers set."""
    for name, value in validators.headers().items():
        response.headers[name] = value
    return response


def json_bytes(document: Mapping[str, Any]) -> bytes:
    """The JSON the server sends (Starlette's ``JSONResponse`` encoding)."""
    return json.dumps(
        document, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode()


class FixedJSON:
    """A JSON document fixed by the configuration, served with validators: serialised
    once, its ETag the digest of its bytes, ``If-None-Match`` answered with 304."""

    def __init__(self, document: Mapping[str, Any], cache_control: str = PUBLIC_METADATA):
        self.body = json_bytes(document)
        self.validators = Validators(strong_etag(self.body), cache_control)

    async def handle(self, request: Request) -> Response:
        unchanged = not_modified(request, self.validators)
        if unchanged is not None:
            return unchanged
        return Response(self.body, media_type="application/json", headers=self.validators.headers())
