"""Where the command line keeps things: XDG config for credentials and the installed-skills
record, Claude Code's folders for skills and settings. Each overridable by environment."""

from __future__ import annotations

import os
from pathlib import Path


def config_dir() -> Path:
    """``$SKILLPORT_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/skillport`` (``~/.config``)."""
    explicit = os.environ.get("SKILLPORT_CONFIG_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "skillport"


def claude_dir() -> Path:
    """Claude Code's configuration folder (``$CLAUDE_CONFIG_DIR``, else ``~/.claude``)."""
    return Path(os.environ.get("CLAUDE_CONFIG_DIR") or Path.home() / ".claude")


def skills_dir() -> Path:
    """Where Claude Code reads personal skills (``$SKILLPORT_SKILLS_DIR`` overrides)."""
    explicit = os.environ.get("SKILLPORT_SKILLS_DIR")
    return Path(explicit).expanduser() if explicit else claude_dir() / "skills"


def claude_settings() -> Path:
    return claude_dir() / "settings.json"
