"""Native skill access over MCP: the ``io.modelcontextprotocol/skills`` extension.

Each file of a skill the caller may read is a ``skill://<name>/<path>`` resource, read with
``resources/read``: ``resources/list`` lists each readable skill's SKILL.md, and the
resource template ``skill://{name}/{+path}`` (``resources/templates/list``) stands for every
other file; ``skills/list`` and ``skills/get`` return entries with the verbatim
front matter and every file's SHA-256 digest and size, so a host can verify what it loads.
Access is decided per call by the same policy as the REST API.
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import unquote

from anyio import to_thread
from fastmcp.resources import Resource, ResourceTemplate
from fastmcp.server.extensions import MethodBinding, ServerExtension
from fastmcp.server.providers.base import Provider
from mcp_types import PaginatedRequestParams, RequestParams
from pydantic import PrivateAttr

from ..catalog import SKILL_FILE, Catalog, Skill
from ..catalog.frontmatter import parse_skill_md
from ..errors import InvalidRequest, NotFound, SkillportError, Unauthenticated
from ..services import View
from .errors import rpc_error

IDENTIFIER = "io.modelcontextprotocol/skills"
PAGE = 100
MAX_RESOURCES = 512
MAX_BYTES = 16 * 1024 * 1024
TTL_MS = 60_000
#: ``skills/list`` entries kept per snapshot (a page is 100).
MAX_ENTRIES = 1000


def skill_uri(name: str, path: str = "SKILL.md") -> str:
    """``skill://<name>/<path>``; a qualified ``plugin:skill`` is written ``plugin%3Askill``
    (a bare colon would read as a port)."""
    return f"skill://{name.replace(':', '%3A')}/{path}"


def parse_uri(uri: str) -> tuple[str, str] | None:
    if not uri.startswith("skill://"):
        return None
    name, _, path = uri[len("skill://") :].partition("/")
    name = name.replace("%3A", ":").replace("%3a", ":")
    return (name, path) if name and path else None


def _mime(path: str) -> str:
    if path.endswith(".md"):
        return "text/markdown"
    return mimetypes.guess_type(path)[0] or "application/octet-stream"


def _readable(view: View, name: str) -> Skill | None:
    """The skill if the reader may see it (the services' one rule), else None."""
    try:
        return view.readable(name)
    except SkillportError:
        return None


class SkillFileResource(Resource):
    """One file of a skill, read from the snapshot the caller may see."""

    skill: str = ""
    path: str = ""
    _reader: Any = PrivateAttr(default=None)

    async def read(self) -> str | bytes:
        return await self._reader(self.skill, self.path)  # type: ignore[no-any-return]


#: RFC 6570 reserved expansion: ``path`` keeps its slashes (``assets/logo.png``).
TEMPLATE_URI = "skill://{name}/{+path}"


class SkillFileTemplate(ResourceTemplate):
    """``skill://{name}/{+path}``: any file of a skill the caller may read. Only listed:
    reads are answered by :meth:`SkillsProvider._get_resource`, and the provider offers no
    template for a URI (see :meth:`SkillsProvider._get_resource_template`)."""

    async def create_resource(self, uri: str, params: dict[str, Any]) -> Resource:
        raise rpc_error(NotFound(f"Resource not found: {uri[:300]}"))


def file_template() -> SkillFileTemplate:
    return SkillFileTemplate(
        uri_template=TEMPLATE_URI,
        name="skill-file",
        description="A file of a skill: skill://<skill name>/<path in the skill folder>, "
        "e.g. skill://csv-profiler/scripts/profile_csv.py. skills/get lists every file.",
        mime_type="application/octet-stream",
        parameters={
            "type": "object",
            "properties": {"name": {"type": "string"}, "path": {"type": "string"}},
            "required": ["name", "path"],
        },
    )


Viewer = Callable[[], View]


class SkillIndex:
    """Entries (front matter, digests) per snapshot, computed once per skill while they
    are asked for: the most recent :data:`MAX_ENTRIES` per snapshot are kept (a client
    paging through 50,000 skills would otherwise keep an entry for each)."""

    def __init__(self) -> None:
        self._cache: weakref.WeakKeyDictionary[Catalog, OrderedDict[str, dict[str, Any]]] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def entries(self, catalog: Catalog, skills: Sequence[Skill]) -> list[dict[str, Any]]:
        """The entries of ``skills`` (reads their files once per snapshot: call off the loop)."""
        return [self.entry(catalog, s) for s in skills]

    def entry(self, catalog: Catalog, skill: Skill) -> dict[str, Any]:
        ref = catalog.ref(skill)  # the bare name, or plugin:skill when the name is shared
        with self._lock:
            per = self._cache.setdefault(catalog, OrderedDict())
            found = per.get(ref)
            if found is not None:
                per.move_to_end(ref)
                return found
        found = _entry(catalog, skill, ref)
        with self._lock:
            per[ref] = found
            while len(per) > MAX_ENTRIES:
                per.popitem(last=False)
        return found


def _entry(catalog: Catalog, skill: Skill, ref: str) -> dict[str, Any]:
    """``skill``'s entry: SKILL.md's front matter as written (its name and description as
    the catalog has them) and each file's digest and size."""
    resources = []
    frontmatter: dict[str, Any] = {}
    for f in skill.files:
        data = catalog.tree.read_bytes(skill.file_path(f.path))
        if f.path == SKILL_FILE:
            frontmatter = dict(parse_skill_md(data).data)
        resources.append(
            {
                "uri": skill_uri(ref, f.path),
                "digest": "sha256:" + hashlib.sha256(data).hexdigest(),
                "size": len(data),
            }
        )
    frontmatter["name"] = skill.name
    frontmatter.setdefault("description", skill.description)
    return {"uri": skill_uri(ref), "frontmatter": frontmatter, "resources": resources}


def servable(skill: Skill) -> bool:
    return len(skill.files) <= MAX_RESOURCES and sum(f.size for f in skill.files) <= MAX_BYTES


class SkillsProvider(Provider):
    """``skill://`` resources: the SKILL.md of every readable skill is listed, the template
    stands for the other files; every file of it can be read."""

    def __init__(self, view: Viewer) -> None:
        super().__init__()
        self.view = view

    async def _reader(self, name: str, path: str) -> str | bytes:
        view = self.view()
        skill = _readable(view, name)
        if skill is None or path not in {f.path for f in skill.files}:
            raise rpc_error(NotFound(f"Resource not found: {skill_uri(name, path)[:300]}"))
        # File reads (a git cat-file round trip) run off the event loop.
        data = await to_thread.run_sync(view.catalog.tree.read_bytes, skill.file_path(path))
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data

    def _resource(self, skill: Skill, path: str, ref: str) -> Resource:
        """``ref``: how the skill is named in URIs (the catalog's :meth:`~Catalog.ref`)."""
        extra: dict[str, Any] = {}
        if path == "SKILL.md":
            extra = {"name": ref, "description": skill.description}
        resource = SkillFileResource(
            uri=skill_uri(ref, path),
            name=extra.get("name", f"{ref}/{path}"),
            description=extra.get("description"),
            mime_type=_mime(path),
            skill=ref,
            path=path,
        )
        resource._reader = self._reader
        return resource

    async def _list_resources(self) -> Sequence[Resource]:
        try:
            view = self.view()
        except Unauthenticated:
            return []
        ref = view.catalog.ref
        return [self._resource(s, "SKILL.md", ref(s)) for s in view.skills() if servable(s)]

    async def _list_resource_templates(self) -> Sequence[ResourceTemplate]:
        return [file_template()]

    async def _get_resource_template(
        self, uri: str, version: Any = None
    ) -> ResourceTemplate | None:
        # Every file a caller may read is answered by _get_resource, so a URI left for the
        # template names nothing readable. No template makes fastmcp answer "Resource not
        # found" (INVALID_PARAMS, the URI in data, SEP-2164), the same for hidden and absent,
        # without logging it: a template that raises is logged as an ERROR with a traceback
        # on every read, which any reader could use to flood the log.
        return None

    async def _get_resource(self, uri: str, version: Any = None) -> Resource | None:
        parsed = parse_uri(uri)
        if parsed is None:
            return None
        view = self.view()
        skill = _readable(view, parsed[0])
        if skill is None:
            return None
        files = {f.path for f in skill.files}
        path = parsed[1] if parsed[1] in files else unquote(parsed[1])  # a client may encode /
        if path not in files:
            return None
        return self._resource(skill, path, view.catalog.ref(skill))


class GetSkillParams(RequestParams):
    uri: str


class SkillsExtension(ServerExtension):
    identifier = IDENTIFIER

    def __init__(self, view: Viewer) -> None:
        self.view = view
        self.index = SkillIndex()

    def settings(self) -> dict[str, Any]:
        return {}

    def methods(self) -> Sequence[MethodBinding]:
        return (
            MethodBinding("skills/list", PaginatedRequestParams, self._list),
            MethodBinding("skills/get", GetSkillParams, self._get),
        )

    async def _list(self, ctx: Any, params: PaginatedRequestParams | None) -> dict[str, Any]:
        view = self.view()
        readable = [s for s in view.skills() if servable(s)]
        start = 0
        cursor = getattr(params, "cursor", None)
        if cursor:
            if not cursor.isdigit() or int(cursor) > len(readable):
                raise rpc_error(InvalidRequest("invalid cursor"))
            start = int(cursor)
        page = readable[start : start + PAGE]
        result: dict[str, Any] = {
            "resultType": "complete",
            "skills": await to_thread.run_sync(self.index.entries, view.catalog, page),
            "ttlMs": TTL_MS,
            "cacheScope": "private",
        }
        if start + PAGE < len(readable):
            result["nextCursor"] = str(start + PAGE)
        return result

    async def _get(self, ctx: Any, params: GetSkillParams) -> dict[str, Any]:
        parsed = parse_uri(params.uri)
        view = self.view()
        skill = _readable(view, parsed[0]) if parsed and parsed[1] == "SKILL.md" else None
        if skill is None or not servable(skill):
            raise rpc_error(NotFound(f"Unknown skill: {params.uri[:200]}"))
        return {
            "resultType": "complete",
            "skill": (await to_thread.run_sync(self.index.entries, view.catalog, [skill]))[0],
            "ttlMs": TTL_MS,
            "cacheScope": "private",
        }
