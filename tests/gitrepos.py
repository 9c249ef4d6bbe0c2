"""Real git repositories for tests: a folder committed as it is, read as a snapshot."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from skillport_connector.sources.gitrepo import Credentials, GitRepo, GitTree

#: An author and committer, so a commit needs no global git configuration.
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@x",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@x",
}


def git(root: Path, *args: str, data: bytes | None = None) -> str:
    """Run git in ``root``; its output, stripped."""
    done = subprocess.run(
        ["git", "-C", str(root), *args], input=data, env=GIT_ENV, capture_output=True, check=True
    )
    return done.stdout.decode().strip()


def commit_folder(root: Path, message: str = "x") -> GitRepo:
    """Commit everything in ``root`` to branch main (a repository is made the first time)."""
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)
    return GitRepo(root / ".git", str(root), "main", Credentials())


def git_tree(root: Path) -> GitTree:
    """``root`` committed, as the snapshot of that commit."""
    repo = commit_folder(root)
    return GitTree(repo, repo.rev_parse("HEAD"))
