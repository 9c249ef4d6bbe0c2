"""A served library for the web-page tests and the screenshots: the demo marketplace as a
git repository (so pages have history), plus a skill whose SKILL.md attacks the page."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from conftest import build_app
from serving import free_port, in_thread

DEMO = Path(__file__).resolve().parent.parent / "src" / "skillport_connector" / "demo"
EDITOR = "developer@localhost"  # an editor in the demo's access.json
READER = "reader@example.com"  # reads everything but the editors-only "drafts" group
XSS_SKILL = "hostile-notes"
XSS_MD = """---
name: hostile-notes
description: A skill whose SKILL.md tries to run script in the page.
---
# Hostile notes

<script>window.__xss = "script"</script>
<img src="x" onerror="window.__xss = 'onerror'">
<iframe src="javascript:window.__xss = 'iframe'"></iframe>

[a javascript link](javascript:window.__xss='link') and [a fine link](https://example.com)

![an image](javascript:window.__xss='img')

<a href="#" onclick="window.__xss = 'click'">click me</a>
"""


def git(repo: Path, *args: str, author: str = "Ann Example") -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": author,
        "GIT_AUTHOR_EMAIL": "ann@example.com",
        "GIT_COMMITTER_NAME": author,
        "GIT_COMMITTER_EMAIL": "ann@example.com",
    }
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def make_library(root: Path) -> Path:
    """The demo plus the hostile skill, committed in two steps (two history entries)."""
    repo = Path(shutil.copytree(DEMO, root / "library"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Import the demo library")
    profiler = repo / "plugins/data-tools/skills/csv-profiler/SKILL.md"
    profiler.write_text(profiler.read_text() + "\n## Limits\n\nFiles up to 100 MB.\n")
    xss = repo / "plugins/engineering/skills" / XSS_SKILL / "SKILL.md"
    xss.parent.mkdir(parents=True)
    xss.write_text(XSS_MD)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Tighten the CSV profiler's limits", author="Bea Builder")
    return repo


@contextlib.contextmanager
def served_library(root: Path) -> Iterator[str]:
    """The connector over :func:`make_library` on a loopback port (dev sign-in on)."""
    port = free_port()
    app = build_app(root / "data", marketplace=make_library(root), port=port)
    with in_thread(app, port) as base:
        yield base
