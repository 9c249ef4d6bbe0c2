"""Reading the catalog as one reader: list, search, one skill, updates, the debug report.

Pure functions of a :class:`~.view.View` (the snapshot, the policy and the reader), used
by REST and MCP alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .. import heap
from ..catalog import Catalog
from ..catalog.loader import DEFAULT_PLUGIN_ROOT
from ..catalog.model import Skill
from ..catalog.search import Hit
from ..catalog.semver import is_newer
from ..errors import Unavailable
from .records import DebugReport, PluginReport, SkillDetail, SkillSummary, UpdateNotice
from .view import View, ambiguous

MAX_QUERY = 500
#: Installed skills one update check may list.
MAX_INSTALLED = 2000


def list_skills(view: View, surface: str | None = None) -> list[SkillSummary]:
    """Every skill the reader may use, in catalog order."""
    return [view.summary(s) for s in view.skills(surface)]


def readable_mask(visible: Iterable[Skill], catalog: Catalog) -> bytes:
    """Which skills of ``catalog`` are among ``visible`` (what a reader may see on a
    surface): byte ``i`` is 1 for the ``i``-th skill of ``Catalog.skills`` (a search hit's
    ``doc``), so filtering 50,000 hits costs a byte lookup each."""
    seen = {id(skill) for skill in visible}
    return bytes(id(skill) in seen for skill in catalog.skills.values())


def search_hits(
    view: View, query: str, surface: str | None = None, readable: bytes | None = None
) -> Sequence[Hit]:
    """Skills matching ``query``, best first, with their score; hidden ones never appear.
    ``readable``: the :func:`readable_mask` of the reader and ``surface``, when known
    (else each hit is checked). Builds the snapshot's search index on first use: call it
    off the event loop."""
    first = not view.catalog.indexed
    hits = view.catalog.search(query[:MAX_QUERY])
    if first:  # building the index freed ~35 MB of postings lists at 50,000 skills
        heap.release()
    if readable is not None:
        return hits.keep(readable)
    return [
        hit
        for hit in hits
        if view.can_read(hit.skill) and (surface is None or hit.skill.available_on(surface))
    ]


def search_skills(view: View, query: str, surface: str | None = None) -> list[SkillSummary]:
    """The summaries of :func:`search_hits`."""
    return [view.summary(hit.skill, hit.score) for hit in search_hits(view, query, surface)]


def get_skill(view: View, name: str) -> SkillDetail:
    """One readable skill with its SKILL.md (a byte-order mark dropped) and its file list."""
    skill = view.readable(name)
    try:
        raw = view.catalog.tree.read_bytes(skill.file_path("SKILL.md"))
    except OSError:
        raise Unavailable(
            "The skill changed on disk while being read; retry.", retry_after=1
        ) from None
    return SkillDetail(
        summary=view.summary(skill),
        skill_md=raw.decode("utf-8", errors="replace").lstrip("\ufeff"),
        files=tuple(f.path for f in skill.files),
    )


def available_version(view: View, name: str) -> str | None:
    """The version the reader may install of ``name``: a skill (bare name when unique among
    the readable, or ``plugin:skill``), else a plugin (group) name, as the original
    connector matched (its installed copies' plugin.json carries their group's name; ours
    carries the skill's, see :func:`..install.plugin_manifest`). A bare name several
    plugins' readable skills share, and no plugin's name, is Ambiguous, as on every route."""
    found = [s for s in view.catalog.candidates(name) if view.can_read(s)]
    if len(found) == 1:
        return found[0].version
    plugin = view.catalog.plugin(name)
    if plugin is not None:
        readable = [s for s in view.catalog.skills_of(plugin) if view.can_read(s)]
        if readable:
            return readable[0].version
    if len(found) > 1:
        raise ambiguous(name, found)
    return None


def check_updates(view: View, installed: Iterable[tuple[str, str]]) -> list[UpdateNotice]:
    """Which of ``(name, version)`` have a newer version the reader may install; Ambiguous
    when one names several skills (see :func:`available_version`)."""
    updates = []
    for i, (name, version) in enumerate(installed):
        if i >= MAX_INSTALLED:
            break
        available = available_version(view, name)
        if available is not None and is_newer(available, version):
            updates.append(UpdateNotice(name, version, available))
    return updates


def plugin_root(view: View) -> str:
    metadata = view.catalog.marketplace.get("metadata")
    root = metadata.get("pluginRoot") if isinstance(metadata, dict) else None
    return root if isinstance(root, str) else DEFAULT_PLUGIN_ROOT


def debug_plugins(view: View) -> DebugReport:
    """Every plugin the reader may know of, with the problems found.

    A plugin is shown when the reader may read one of its skills (or it is a published
    plugin without skills, a remote one say), and then
    with only those skills; findings under a hidden skill's or plugin's folder are left
    out, so the report never names what the reader cannot see.
    """
    catalog = view.catalog
    visible: list[PluginReport] = []
    hidden: list[str] = []  # names and folders ("path/") the reader may not learn
    for plugin in catalog.plugins:
        skills = catalog.skills_of(plugin)
        readable = tuple(s.name for s in skills if view.can_read(s))
        for skill in skills:
            if not view.can_read(skill):
                hidden += [skill.name] + ([skill.path + "/"] if skill.path else [])
        if not readable and (skills or not plugin.published):
            hidden += [plugin.name] + ([plugin.path + "/"] if plugin.path else [])
            continue
        visible.append(
            PluginReport(
                name=plugin.name,
                path=plugin.path,
                source=plugin.source,
                remote=plugin.remote,
                published=plugin.published,
                loadable=plugin.loadable,
                version=plugin.version,
                skills=readable,
            )
        )
    # Rules of access.json that name nothing are shown to editors, who can fix them.
    policy_findings = view.policy.findings(catalog if view.policy.is_editor(view.who) else None)
    # A finding about a visible file may still name a hidden one (a link pointing at it).
    findings = tuple(
        f.as_dict()
        for f in [*policy_findings, *catalog.findings]
        if not any(term in f.file or term in f.message for term in hidden)
    )
    return DebugReport(catalog.name, plugin_root(view), tuple(visible), findings)
