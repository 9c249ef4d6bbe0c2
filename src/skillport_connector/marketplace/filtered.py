"""Filtered repositories: one bare git repository per selection, under the data folder.

Each holds one branch, ``main``, whose single root commit is the selection's tree in the
snapshot served now, written with ``git fast-import``. Commits are deterministic (fixed
author and date, sorted paths), so every instance of the connector and every restart
builds the very same commit for the same snapshot and selection. There is no history:
the previous commit is unreachable as soon as the branch moves, and upload-pack serves
only what a ref reaches, so a skill taken out of someone's access is not fetchable from
an older commit either. Builds are blocking: call them off the event loop.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..catalog import Catalog
from ..errors import Unavailable
from .selection import Group, Selection, group_manifest, group_version, manifest_path, skill_paths

BRANCH = "refs/heads/main"
COMMITTER = "Skillport Connector <connector@skillport.invalid> 0 +0000"
TIMEOUT = 120
#: Git configuration of every filtered repository: read-only, smart HTTP only.
REPO_CONFIG = {
    "http.receivepack": "false",
    "http.uploadpack": "true",
    "http.getanyfile": "false",
    "uploadpack.allowFilter": "true",
    "uploadpack.allowAnySHA1InWant": "false",
    "gc.auto": "64",
}


@dataclass(frozen=True, slots=True)
class Built:
    """A selection's filtered commit and the version of each group in it."""

    repo: str  # the repository's folder name under the root (``<key>.git``)
    commit: str
    versions: tuple[tuple[Group, str], ...]


def quote_path(path: str) -> str:
    """C-style quoting for fast-import (any byte but ``"``, ``\\`` and controls is literal)."""
    out = []
    for ch in path:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\{ord(ch):03o}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}
    try:
        done = subprocess.run(
            ["git", "--git-dir", str(repo), *args],
            input=stdin,
            capture_output=True,
            timeout=TIMEOUT,
            env=env,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Unavailable(f"git could not build the Claude Code marketplace: {exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip()[:300]
        raise Unavailable(f"git could not build the Claude Code marketplace: {message}")
    return done.stdout.decode(errors="replace").strip()


class FilteredRepos:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def path(self, repo: str) -> Path:
        return self.root / repo

    @contextmanager
    def _locked(self, key: str) -> Iterator[None]:
        """One builder per repository: a thread lock here, a file lock across processes."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            self.root.mkdir(parents=True, exist_ok=True)
            with open(self.root / f"{key}.lock", "w") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)

    def _init(self, repo: Path) -> None:
        if (repo / "HEAD").exists():
            return
        _git(repo, "init", "--bare", "--quiet")
        _git(repo, "symbolic-ref", "HEAD", BRANCH)
        for name, value in REPO_CONFIG.items():
            _git(repo, "config", name, value)

    def build(self, catalog: Catalog, selection: Selection) -> Built:
        """Write the selection's commit for ``catalog`` and point ``main`` at it."""
        files, versions = self._contents(catalog, selection)
        stream = self._stream(files)
        key = selection.key
        repo = self.path(f"{key}.git")
        with self._locked(key):
            self._init(repo)
            _git(repo, "fast-import", "--quiet", "--force", "--done", stdin=stream)
            commit = _git(repo, "rev-parse", BRANCH)
            _git(repo, "gc", "--auto", "--quiet")
        return Built(f"{key}.git", commit, versions)

    def _contents(
        self, catalog: Catalog, selection: Selection
    ) -> tuple[list[tuple[str, bytes]], tuple[tuple[Group, str], ...]]:
        files: list[tuple[str, bytes]] = []
        versions = []
        for group in selection.groups:
            digest = hashlib.sha256()
            group_files = []
            for skill in group.skills:
                for repo_path, catalog_path in skill_paths(group, skill):
                    data = catalog.tree.read_bytes(catalog_path)
                    digest.update(f"{repo_path}\0{len(data)}\0".encode())
                    digest.update(data)
                    group_files.append((repo_path, data))
            version = group_version(group, digest.hexdigest())
            files.append((manifest_path(group), group_manifest(catalog, group, version)))
            files.extend(group_files)
            versions.append((group, version))
        return sorted(files), tuple(versions)

    @staticmethod
    def _stream(files: list[tuple[str, bytes]]) -> bytes:
        message = b"Skills you can use\n"
        parts = [
            f"commit {BRANCH}\ncommitter {COMMITTER}\ndata {len(message)}\n".encode(),
            message,
            b"deleteall\n",
        ]
        for path, data in files:
            parts.append(f"M 100644 inline {quote_path(path)}\ndata {len(data)}\n".encode())
            parts.append(data)
            parts.append(b"\n")
        parts.append(b"\ndone\n")
        return b"".join(parts)
