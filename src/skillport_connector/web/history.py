"""What changed: the commits that touched a skill, read from the git source.

Both questions walk git history, so both are bounded (commit count, time) and blocking:
callers run them off the event loop and keep the answer per snapshot. A folder source has
no history: the answer is None.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..catalog import Catalog, Skill
from ..sources.gitrepo import GitError
from ..sources.gittree import GitTree

#: Commits shown on a skill page.
SKILL_HISTORY = 15
#: Commits read to date every skill of the catalog (older changes leave a skill undated).
CATALOG_HISTORY = 2000
TIMEOUT = 20.0
_LITERAL = {"GIT_LITERAL_PATHSPECS": "1"}


@dataclass(frozen=True, slots=True)
class Change:
    commit: str
    date: str  # ISO 8601, the author's date
    author: str
    subject: str


def _git_tree(catalog: Catalog) -> GitTree | None:
    tree = catalog.tree
    return tree if isinstance(tree, GitTree) else None


def skill_history(
    catalog: Catalog, skill: Skill, limit: int = SKILL_HISTORY
) -> list[Change] | None:
    """The latest commits (up to the snapshot's) touching the skill's folder; blocking."""
    tree = _git_tree(catalog)
    if tree is None:
        return None
    args = ["log", f"-n{limit}", "--format=%H%x00%aI%x00%an%x00%s%x01", tree.commit, "--"]
    try:
        out = tree.repo.run(*args, skill.path or ".", env=_LITERAL, timeout=TIMEOUT)
    except GitError:
        return []
    changes = []
    for record in out.decode("utf-8", "replace").split("\x01"):
        fields = record.strip("\n").split("\x00")
        if len(fields) == 4:
            changes.append(Change(fields[0], fields[1], fields[2][:200], fields[3][:300]))
    return changes


def last_changed(catalog: Catalog) -> dict[str, str]:
    """Each skill's latest change date (ISO 8601) within the newest commits; blocking."""
    tree = _git_tree(catalog)
    if tree is None:
        return {}
    folders = {s.path: s.name for s in catalog.skills.values()}
    args = ["-c", "core.quotePath=false", "log", f"-n{CATALOG_HISTORY}", "--format=%x01%aI"]
    try:
        out = tree.repo.run(*args, "--name-only", tree.commit, timeout=TIMEOUT)
    except GitError:
        return {}
    dated: dict[str, str] = {}
    date = ""
    for line in out.decode("utf-8", "replace").splitlines():
        if line.startswith("\x01"):
            date = line[1:]
            continue
        folder = line
        while True:  # the nearest skill folder above the file
            folder = folder.rpartition("/")[0]
            name = folders.get(folder)
            if name is not None:
                dated.setdefault(name, date)
                break
            if not folder:
                break
        if len(dated) == len(folders):
            break
    return dated
