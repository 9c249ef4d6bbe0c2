"""Registering the connector's per-person marketplace with Claude Code.

The connector makes a Claude Code credential for this device (``sk_cc_…``, revocable, never
the organisation's git token) and answers the settings snippet that uses it: an
``extraKnownMarketplaces`` entry whose source is ``{"source": "url", "url": …/api/claude-code/
marketplace.json, "headers": {"Authorization": "Bearer sk_cc_…"}}``. It is merged into
``~/.claude/settings.json``, keeping every other setting; as the file now holds a credential,
it is made readable by its owner only. Which credential this machine holds is recorded in
``claude-code.json`` under the config folder, so a new ``setup`` replaces (and revokes) it
and ``remove`` takes it back.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from .credentials import read_json, write_private
from .exits import CliError

MARKETPLACE_PATH = "/api/claude-code/marketplace.json"
CREDENTIALS_PATH = "/api/claude-code/credentials"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def marketplace_name(name: Any) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise CliError("the connector's Claude Code marketplace has no usable name")
    return name


def settings_entry(answer: Any, server: str) -> tuple[str, dict[str, Any]]:
    """``(name, entry)`` from the connector's new-credential answer, checked: one url
    marketplace on this connector, with string headers."""
    try:
        (name, entry), *others = answer["settings"]["extraKnownMarketplaces"].items()
        source = entry["source"]
        url, headers = source["url"], source["headers"]
    except (KeyError, TypeError, ValueError, AttributeError):
        raise CliError("the connector's Claude Code settings snippet is malformed") from None
    if others or source.get("source") != "url" or not isinstance(url, str):
        raise CliError("the connector's Claude Code settings snippet is not one url source")
    if not url.startswith(f"{server}/"):
        raise CliError(f"the marketplace URL {url[:100]!r} is not on {server}")
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise CliError("the connector's Claude Code headers are malformed")
    clean = {"source": "url", "url": url, "headers": dict(headers)}
    return marketplace_name(name), {"source": clean}


def _read_settings(settings_path: Path) -> dict[str, Any]:
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
    return settings


def _write_settings(settings_path: Path, settings: dict[str, Any]) -> None:
    settings_path.parent.mkdir(parents=True, exist_ok=True)
    mode = settings_path.stat().st_mode & 0o700 if settings_path.exists() else 0o600
    fd, tmp = tempfile.mkstemp(prefix=".settings-", dir=settings_path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(settings, out, indent=2, ensure_ascii=False)
        out.write("\n")
    os.chmod(tmp, mode | 0o600)  # it holds a credential: the owner's only
    os.replace(tmp, settings_path)


def register(settings_path: Path, name: str, entry: dict[str, Any]) -> bool:
    """Add or replace ``extraKnownMarketplaces[name]``; True when the file changed."""
    settings = _read_settings(settings_path)
    if settings["extraKnownMarketplaces"].get(name) == entry:
        return False
    settings["extraKnownMarketplaces"][name] = entry
    _write_settings(settings_path, settings)
    return True


def unregister(settings_path: Path, name: str) -> bool:
    """Remove ``extraKnownMarketplaces[name]``; True when it was there."""
    if not settings_path.exists():
        return False
    settings = _read_settings(settings_path)
    if settings["extraKnownMarketplaces"].pop(name, None) is None:
        return False
    _write_settings(settings_path, settings)
    return True


class DeviceRecord:
    """``claude-code.json``: ``{server: {"credential_id", "marketplace"}}``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def get(self, server: str) -> dict[str, str] | None:
        entry = read_json(self.path).get(server)
        if isinstance(entry, dict) and all(
            isinstance(entry.get(k), str) for k in ("credential_id", "marketplace")
        ):
            return {"credential_id": entry["credential_id"], "marketplace": entry["marketplace"]}
        return None

    def put(self, server: str, credential_id: str, marketplace: str) -> None:
        data = read_json(self.path)
        data[server] = {"credential_id": credential_id, "marketplace": marketplace}
        write_private(self.path, data)

    def drop(self, server: str) -> None:
        data = read_json(self.path)
        if data.pop(server, None) is not None:
            write_private(self.path, data)
