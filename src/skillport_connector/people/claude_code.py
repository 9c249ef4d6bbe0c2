"""Registering the connector's per-person marketplace with Claude Code.

Claude Code reads ``extraKnownMarketplaces`` from ``~/.claude/settings.json``: a name and a
marketplace source. Ours is a ``url`` source (the connector's
``/api/claude-code/marketplace.json``) whose ``headersHelper`` is this command line: Claude
Code runs it whenever it fetches, and it prints a fresh ``Authorization`` header from the
person's own sign-in (refreshed as needed, revoked by ``logout``). No token is ever written
into Claude Code's settings. Other keys of the settings file are kept as they are.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from .exits import CliError

MARKETPLACE_PATH = "/api/claude-code/marketplace.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def helper_command(server: str) -> str:
    """The command Claude Code runs for headers: this program, found absolutely."""
    program = shutil.which("skillport-connector")
    argv = [program] if program else [sys.executable, "-m", "skillport_connector.cli"]
    return shlex.join([*argv, "claude-code", "headers", "--server", server])


def marketplace_entry(server: str) -> dict[str, Any]:
    return {
        "source": {
            "source": "url",
            "url": f"{server}{MARKETPLACE_PATH}",
            "headersHelper": helper_command(server),
        }
    }


def marketplace_name(document: Any) -> str:
    name = document.get("name") if isinstance(document, dict) else None
    if not isinstance(name, str) or not _NAME.match(name):
        raise CliError("the connector's Claude Code marketplace has no usable name")
    return name


def register(settings_path: Path, name: str, entry: dict[str, Any]) -> bool:
    """Add or replace ``extraKnownMarketplaces[name]``; True when the file changed."""
    try:
        text = settings_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = "{}"
    try:
        settings = json.loads(text or "{}")
    except ValueError:
        raise CliError(
            f"{settings_path} is not valid JSON; fix it first (nothing was changed)"
        ) from None
    if not isinstance(settings, dict):
        raise CliError(f"{settings_path} is not a JSON object; nothing was changed")
    known = settings.setdefault("extraKnownMarketplaces", {})
    if not isinstance(known, dict):
        raise CliError(f"extraKnownMarketplaces in {settings_path} is not an object")
    if known.get(name) == entry:
        return False
    known[name] = entry
    settings_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".settings-", dir=settings_path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(settings, out, indent=2, ensure_ascii=False)
        out.write("\n")
    if settings_path.exists():
        os.chmod(tmp, settings_path.stat().st_mode & 0o777)
    os.replace(tmp, settings_path)
    return True
