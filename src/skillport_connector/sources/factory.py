"""Where a marketplace comes from: a plain folder (read-only) or a git repository."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from ..clock import Clock, system_clock
from .base import Source
from .git import GitSource
from .gitrepo import Credentials
from .local import LocalSource

if TYPE_CHECKING:
    from ..settings import Settings

_SCP = re.compile(r"^[\w.-]+@[\w.-]+:")


def is_remote(location: str) -> bool:
    return "://" in location or bool(_SCP.match(location))


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def _is_git_repo(path: Path) -> bool:
    return (path / ".git").exists() or ((path / "HEAD").is_file() and (path / "objects").is_dir())


def _current_branch(path: Path) -> str:
    try:
        return _git("symbolic-ref", "--short", "HEAD", cwd=path) or "main"
    except subprocess.CalledProcessError:
        return "main"


def demo_repository(demo: Path, data_dir: Path) -> Path:
    """A git copy of the bundled demo in the data folder, so `make run` can show editing."""
    target = data_dir / "demo-marketplace"
    if not (target / ".git").exists():
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(demo, target, ignore=shutil.ignore_patterns("__pycache__"))
        _git("init", "-q", "-b", "main", cwd=target)
        _git("add", "-A", cwd=target)
        subprocess.run(
            ["git", "-c", "user.name=Skillport", "-c", "user.email=skillport@localhost",
             "commit", "-q", "-m", "Demo marketplace"],
            cwd=target, check=True, capture_output=True,
        )  # fmt: skip
    return target


def open_source(settings: Settings, clock: Clock = system_clock) -> Source:
    """The source for ``settings.marketplace``: a URL or git repository becomes an editable
    :class:`GitSource`; a plain folder a read-only :class:`LocalSource`. ``clock`` is what
    the refresh floor and the health ages read."""
    location = str(settings.marketplace)
    if not is_remote(location):
        path = Path(location).resolve()
        if path == Path(settings.demo_path).resolve():
            path = demo_repository(path, settings.data_dir)
        if not _is_git_repo(path):
            return LocalSource(
                path,
                settings.limits,
                min_refresh_interval=settings.min_refresh_interval,
                clock=clock,
            )
        branch = settings.branch or _current_branch(path)
        location = str(path)
    else:
        branch = settings.branch or "main"
    return GitSource(
        location,
        branch=branch,
        data_dir=settings.data_dir,
        credentials=Credentials(settings.git_read_token, settings.git_write_token),
        limits=settings.limits,
        poll_interval=settings.poll_interval,
        min_refresh_interval=settings.min_refresh_interval,
        clock=clock,
    )
