"""Cacheable packages: content-addressed, signed, expiring URLs a CDN can cache.

``/packages/<sha256>.skill?skill=<name>&exp=<unix>&sig=<hmac>``: the path names the
package bytes (the SHA-256 of the deterministic ``.skill`` zip), the query says which
skill they are and until when the link works, and ``sig`` is an HMAC-SHA256, under a key
derived from the server's secret key, over all three. No token travels in the URL, so a
CDN may cache the answer; the bytes behind a digest never change, so it may keep them.

Whoever holds the link may download until ``exp`` (a capability, like the one-time
install token that hands it out). Any instance sharing the secret key can answer: it
reads the package from its own disk cache or, when absent, builds the skill from its
current snapshot and serves it only if the digest matches (``Gone`` otherwise: the skill
has changed since the link was made; ask for a new one).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from .. import errors
from .. import install as packaging
from ..catalog import Catalog, Skill
from ..clock import Clock, system_clock
from ..names import ref_problem

#: How long a package link works.
PACKAGE_URL_TTL = 15 * 60
#: Packages kept on disk (oldest forgotten first).
MAX_CACHED_PACKAGES = 256
_PURPOSE = b"skillport package links v1"
_DIGEST = re.compile(r"[0-9a-f]{64}")
#: The files a package of a skill carries (``Tickets.packed_files``).
FilesOf = Callable[[Catalog, Skill], list[packaging.PackedFile]]


@dataclass(frozen=True, slots=True)
class SignedPackage:
    digest: str
    skill: str
    expires: int
    signature: str

    def path(self) -> str:
        query = f"skill={quote(self.skill, safe='')}&exp={self.expires}&sig={self.signature}"
        return f"/packages/{self.digest}.skill?{query}"


class PackageLinks:
    def __init__(
        self,
        secret: str,
        cache_dir: Path,
        *,
        clock: Clock = system_clock,
        ttl: int = PACKAGE_URL_TTL,
    ) -> None:
        self._key = hmac.new(
            secret.encode(), b"skillport package links v1", hashlib.sha256
        ).digest()
        self.cache_dir = cache_dir
        self._clock = clock
        self.ttl = ttl

    def _sign(self, digest: str, skill: str, expires: int) -> str:
        message = f"{digest}\n{skill}\n{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def build(self, skill: Skill, files: list[packaging.PackedFile]) -> tuple[str, bytes]:
        """The package bytes and their digest (deterministic: same files, same bytes)."""
        buffer = io.BytesIO()
        packaging.write_package(skill, files, buffer)
        data = buffer.getvalue()
        return hashlib.sha256(data).hexdigest(), data

    def link(self, skill: Skill, files: list[packaging.PackedFile]) -> SignedPackage:
        """Build (or find) the package, keep it on disk, and sign a link to it."""
        digest, data = self.build(skill, files)
        self._keep(digest, data)
        expires = int(self._clock()) + self.ttl
        return SignedPackage(digest, skill.id, expires, self._sign(digest, skill.id, expires))

    def verify(self, filename: str, skill: str, exp: str, sig: str) -> SignedPackage:
        """The link's parts when its signature holds and it has not expired."""
        digest = filename.removesuffix(".skill")
        if (
            not filename.endswith(".skill")
            or not _DIGEST.fullmatch(digest)
            or ref_problem(skill) is not None
            or not exp.isdigit()
            or len(exp) > 12
        ):
            raise errors.NotFound("No such package link.")
        expected = self._sign(digest, skill, int(exp))
        if not hmac.compare_digest(expected, sig):
            raise errors.Forbidden("The package link's signature does not match.")
        if int(exp) < self._clock():
            raise errors.Gone("The package link has expired; ask for a new install link.")
        return SignedPackage(digest, skill, int(exp), sig)

    def read(self, link: SignedPackage, catalog: Catalog, files: FilesOf) -> bytes:
        """The bytes behind a verified link (blocking I/O: call off the event loop)."""
        with contextlib.suppress(OSError):
            return (self.cache_dir / f"{link.digest}.skill").read_bytes()
        skill = catalog.skill(link.skill)
        if skill is None:
            raise errors.Gone("That package is no longer in the marketplace; ask for a new link.")
        digest, data = self.build(skill, files(catalog, skill))
        if digest != link.digest:
            raise errors.Gone(f"{link.skill} has changed since this link was made; ask again.")
        self._keep(digest, data)
        return data

    def _keep(self, digest: str, data: bytes) -> None:
        target = self.cache_dir / f"{digest}.skill"
        if target.exists():
            return
        self.cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.cache_dir, suffix=".part")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
        self._trim()

    def _trim(self) -> None:
        kept: list[tuple[float, Path]] = []
        for path in self.cache_dir.glob("*.skill"):
            with contextlib.suppress(OSError):  # another instance or thread removed it
                kept.append((path.stat().st_mtime, path))
        kept.sort()
        for _, old in kept[: max(0, len(kept) - MAX_CACHED_PACKAGES)]:
            old.unlink(missing_ok=True)

    def seconds_left(self, link: SignedPackage) -> int:
        return max(0, link.expires - int(self._clock()))
