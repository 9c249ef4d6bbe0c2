"""SKILL.md bodies and front matter, read through a snapshot's tree when asked.

A served catalog does not hold what SKILL.md says beyond its name and description: at
50,000 skills the bodies took ~27 MB and the parsed front matter ~45 MB, and nothing on
the serving path reads either (a skill's SKILL.md is served from the tree, the skill page
parses its own copy). The search index reads the bodies once, when it is built, and keeps
only its postings. A snapshot's tree is its own (a git tree reads one commit), so a body
read after a newer snapshot was swapped in is still this snapshot's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from .frontmatter import SkillDocument, body_of, parse_skill_md
from .layout import SKILL_FILE
from .limits import DEFAULT_LIMITS
from .model import Skill
from .tree import READ_AHEAD_RUN, ReadsAhead, Tree

__all__ = ["body_of", "read_bodies", "read_document"]


def read_document(tree: Tree, skill: Skill) -> SkillDocument:
    """``skill``'s SKILL.md in ``tree``, parsed (front matter, body, problems). OSError
    when the file cannot be read."""
    return parse_skill_md(tree.read_bytes(skill.file_path(SKILL_FILE)))


def read_bodies(tree: Tree, skills: Sequence[Skill]) -> Iterator[str]:
    """The body of each skill's SKILL.md, in order (a tree that reads faster in batches
    reads them ahead in runs). A file that cannot be read any more has an empty body: the
    search index is built long after the load, and a folder may have changed since."""
    for start in range(0, len(skills), READ_AHEAD_RUN):
        run = skills[start : start + READ_AHEAD_RUN]
        paths = [s.file_path(SKILL_FILE) for s in run]
        if isinstance(tree, ReadsAhead):
            tree.read_ahead(paths, DEFAULT_LIMITS.read_ahead_bytes)
        for path in paths:
            try:
                raw = tree.read_bytes(path)
            except (OSError, ValueError):
                yield ""
                continue
            yield body_of(raw)
