"""What every editing plan shares: the :class:`Plan` record, the limits, small helpers.

Editor operations are pure plans, (snapshot, request) in, file changes out: nothing here
touches git. :mod:`skillport_connector.sources.git` turns a plan into exactly one commit.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal

from ..access import AccessPolicy
from ..auth import Identity
from ..catalog import Catalog, Skill, TooManyEntries, entries_under
from ..catalog.loader import DEFAULT_PLUGIN_ROOT, MARKETPLACE_FILE
from ..errors import Conflict, Forbidden, InvalidRequest
from ..names import name_problem
from ..services.view import View
from ..sources.tree import Tree, UnsafePathError, clean_path
from .requests import FileIn

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_SAVE_BYTES = 20 * 1024 * 1024
#: Bound of the walk that lists a folder to delete.
MAX_DELETE_ENTRIES = 20_000
#: Path components a save may never write: repository and marketplace configuration.
RESERVED_PARTS = (".skillport", ".claude-plugin")

Action = Literal["save", "delete", "publish", "bump"]


@dataclass(frozen=True)
class Plan:
    action: Action
    skill: str
    group: str
    changes: dict[str, bytes | None]
    touched: tuple[str, ...]
    subject: str
    body: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The editor's own message (``commitMessage``) when given, as the original
        connector's; the generated subject otherwise."""
        return self.body or self.subject

    def message(self, who: Identity) -> str:
        """The commit's message: :attr:`text` and a ``Requested-by`` trailer."""
        return f"{self.text}\n\nRequested-by: {who.name} <{who.email}> ({who.id})\n"


def check_name(name: str, what: str = "skill") -> None:
    problem = name_problem(name)
    if problem is not None:
        raise InvalidRequest(f"Invalid {what} name {name[:80]!r}: {problem}")


def skill_for_write(catalog: Catalog, policy: AccessPolicy, who: Identity, name: str) -> Skill:
    """The services' one rule: readable or NotFound, then writable or Forbidden."""
    return View(who, catalog, policy).writable(name)


def all_files(catalog: Catalog, folder: str, own: Collection[str]) -> list[str]:
    """Every entry under ``folder`` that a delete removes (files, links of any kind,
    anything but real folders), bounded and link-safe (:func:`entries_under`).

    ``own`` are the boundaries the delete may remove (the skill's folder, and its group's
    when the whole group goes). Any other skill's or group's folder inside ``folder``
    refuses the delete, naming none of it: the reader may not see that skill. Callers run
    this off the event loop.
    """
    inside = folder + "/"
    if any(b.startswith(inside) and b not in own for b in catalog.boundaries):
        raise Forbidden(
            f"{folder} holds content you cannot change (another skill's or group's folder); "
            "move or remove that first, in git."
        )
    try:
        return entries_under(catalog.tree, folder, MAX_DELETE_ENTRIES)
    except TooManyEntries:
        raise InvalidRequest(
            f"{folder} holds more than {MAX_DELETE_ENTRIES} entries; delete it with git."
        ) from None


def json_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()


def read_json(tree: Tree, path: str) -> Any:
    try:
        return json.loads(tree.read_bytes(path).decode("utf-8-sig"))
    except FileNotFoundError:
        return None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Conflict(
            f"{path} is not valid JSON ({exc}); fix it in the repository first"
        ) from None
    except (ValueError, RecursionError):
        # A 5,000-digit number or 5,000-deep nesting: valid JSON that Python refuses.
        raise Conflict(
            f"{path} has a number too long or nesting too deep to read; fix it in the "
            "repository first"
        ) from None


def marketplace(tree: Tree, who: Identity) -> dict[str, Any]:
    data = read_json(tree, MARKETPLACE_FILE)
    if data is None:
        return {"name": "skills", "owner": {"name": who.name, "email": who.email}, "plugins": []}
    if not isinstance(data, dict) or not isinstance(data.get("plugins", []), list):
        raise Conflict(f"{MARKETPLACE_FILE} has no 'plugins' list; fix it first")
    data.setdefault("plugins", [])
    return data


def plugin_root(catalog: Catalog) -> str:
    metadata = catalog.marketplace.get("metadata")
    raw = metadata.get("pluginRoot") if isinstance(metadata, dict) else None
    if isinstance(raw, str):
        try:
            return clean_path(raw) or DEFAULT_PLUGIN_ROOT
        except UnsafePathError:
            pass
    return DEFAULT_PLUGIN_ROOT


def decode(f: FileIn) -> bytes:
    if f.encoding in (None, "", "utf-8"):
        return f.content.encode("utf-8")
    if f.encoding == "base64":
        try:
            return base64.b64decode(f.content, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidRequest(f"{f.path}: content is not valid base64") from None
    raise InvalidRequest(f"{f.path}: unknown encoding {f.encoding!r}; use base64 or leave it out")
