"""Writing what the connector sends onto this machine, whatever it sends.

* an install payload (``{skill, files[]}``) becomes ``<skills dir>/<name>/``: every path is
  checked (relative, no ``..``, no control characters), files are created fresh in a staging
  folder next to the target, then swapped in by renames, so no half-written skill is seen;
  a file that starts with ``#!`` is made executable (the payload carries no modes);
* a ``.skill`` package is written atomically after checking it is a zip with one root folder;
* what was installed, from which connector and at which version, is recorded in
  ``installed.json`` under the config folder (``outdated`` and ``update`` read it).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..names import is_skill_name
from .credentials import read_json, write_private
from .exits import CliError

MAX_FILES = 5000
MAX_BYTES = 200 * 1024 * 1024


def safe_parts(path: object) -> list[str] | None:
    if not isinstance(path, str) or not 0 < len(path) <= 1024 or path.startswith("/"):
        return None
    if any(ord(c) < 0x20 or c == "\\" for c in path):
        return None
    parts = path.split("/")
    return None if any(p in ("", ".", "..") for p in parts) else parts


@dataclass(frozen=True)
class Payload:
    name: str
    version: str
    files: list[tuple[list[str], bytes]]


def parse_payload(data: Any, expected: str) -> Payload:
    """The install payload, checked; CliError if anything in it is unsafe or malformed."""
    try:
        skill, entries = data["skill"], data["files"]
        name, version = skill["name"], str(skill.get("version") or "")
    except (KeyError, TypeError):
        raise CliError("the connector sent something that is not an install payload") from None
    if name != expected or not is_skill_name(name):
        raise CliError(f"the connector sent skill {str(name)[:80]!r}, not {expected!r}")
    if not isinstance(entries, list) or len(entries) > MAX_FILES:
        raise CliError("the payload's file list is malformed or too long")
    files: list[tuple[list[str], bytes]] = []
    total = 0
    for entry in entries:
        path = entry.get("path") if isinstance(entry, dict) else None
        parts = safe_parts(path)
        content = entry.get("content") if isinstance(entry, dict) else None
        if parts is None or not isinstance(content, str):
            raise CliError(f"refusing unsafe file entry {str(path)[:120]!r}")
        try:
            raw = (
                base64.b64decode(content, validate=True)
                if entry.get("encoding") == "base64"
                else content.encode("utf-8")
            )
        except (binascii.Error, ValueError):
            raise CliError(f"file {path!r} is not valid base64") from None
        total += len(raw)
        if total > MAX_BYTES:
            raise CliError(f"refusing a payload larger than {MAX_BYTES} bytes")
        files.append((parts, raw))
    if not any(parts == ["SKILL.md"] for parts, _ in files):
        raise CliError("the payload has no SKILL.md")
    return Payload(name, version, files)


def _stage(payload: Payload, parent: Path) -> Path:
    stage = Path(tempfile.mkdtemp(prefix=".skillport-stage-", dir=parent))
    try:
        for parts, raw in payload.files:
            _write_fresh(stage, parts, raw)
    except OSError:
        shutil.rmtree(stage, ignore_errors=True)
        raise CliError(f"refusing a payload with conflicting path {'/'.join(parts)!r}") from None
    for folder in (stage, *(p for p in stage.rglob("*") if p.is_dir())):
        folder.chmod(0o755)  # mkdtemp made the stage private; the skill is not
    return stage


def _write_fresh(stage: Path, parts: list[str], raw: bytes) -> None:
    """Create one file, never over another or through a link."""
    folder = stage.joinpath(*parts[:-1])
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / parts[-1]
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    mode = 0o755 if raw.startswith(b"#!") else 0o644
    fd = os.open(target, flags, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(raw)
    os.chmod(target, mode)  # not narrowed by the umask: exactly what the skill needs


def install_folder(payload: Payload, skills_dir: Path) -> Path:
    """Put the skill at ``skills_dir/<name>``, replacing an older copy in one rename."""
    skills_dir.mkdir(parents=True, exist_ok=True)
    stage = _stage(payload, skills_dir)
    dest = skills_dir / payload.name
    old: Path | None = None
    if dest.is_symlink() or dest.exists():
        old = Path(tempfile.mkdtemp(prefix=".skillport-old-", dir=skills_dir))
        old.rmdir()
        dest.rename(old)
    stage.rename(dest)
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old)
        else:
            old.unlink()
    return dest


def write_package(data: bytes, name: str, out_dir: Path) -> Path:
    """Save a ``.skill`` zip as ``out_dir/<name>.skill`` once it checks out."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            roots = {n.split("/", 1)[0] for n in zf.namelist()}
            if roots != {name} or f"{name}/SKILL.md" not in zf.namelist():
                raise CliError(f"the package is not a {name}/ folder with a SKILL.md")
    except zipfile.BadZipFile:
        raise CliError("the connector sent a package that is not a zip file") from None
    out_dir.mkdir(parents=True, exist_ok=True)
    dest = out_dir / f"{name}.skill"
    fd, tmp = tempfile.mkstemp(prefix=".skillport-", suffix=".skill", dir=out_dir)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, dest)
    return dest


def remove_folder(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


@dataclass(frozen=True)
class Installed:
    name: str
    version: str
    path: str


class InstalledRecord:
    """``installed.json``: ``{server: {name: {version, path}}}``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def of(self, server: str) -> dict[str, Installed]:
        entries = read_json(self.path).get(server)
        out: dict[str, Installed] = {}
        if isinstance(entries, dict):
            for name, entry in entries.items():
                with contextlib.suppress(KeyError, TypeError):
                    out[name] = Installed(name, str(entry["version"]), str(entry["path"]))
        return out

    def put(self, server: str, item: Installed) -> None:
        data = read_json(self.path)
        entries = data.setdefault(server, {})
        entries[item.name] = {"version": item.version, "path": item.path}
        write_private(self.path, data)

    def drop(self, server: str, name: str) -> None:
        data = read_json(self.path)
        if isinstance(data.get(server), dict) and data[server].pop(name, None) is not None:
            write_private(self.path, data)
