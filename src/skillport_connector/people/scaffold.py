"""``init DIR``: a new skills repository an organisation can serve at once.

It holds a marketplace manifest, the ``skillport`` meta-skill (the demo's), one example
skill, ``.skillport/access.json`` with the creator as the first editor, and a README for the
organisation; git is initialised with a first commit. What it writes passes ``validate
--strict`` (checked before the commit: a failure is a bug here, reported, never committed).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from ..access import AccessPolicy
from ..catalog import load_catalog
from ..sources.tree import DirectoryTree
from .exits import CliError, Exit

EXAMPLE_SKILL = """---
name: example-skill
description: >-
  An example skill showing the shape of a SKILL.md. Use it as a template for new
  skills, then remove it.
---

# Example skill

A skill is a folder with a `SKILL.md`: front matter (`name`, `description`) and then the
instructions Claude follows when the description matches the task.

1. Say what the skill is for in one sentence.
2. List the steps Claude should take, in order.
3. Put longer references or scripts next to this file and mention them here.
"""

EXAMPLE_URL = "https://skills.example.com"
README = """# {title}

The skills of {owner}, served to Claude.ai, Claude Desktop and Claude Code by a
[Skillport Connector](https://pypi.org/project/skillport-connector/).

## Using the skills

- **Claude Code**: `skillport-connector login {url}`, then `skillport-connector claude-code setup`
  and `/plugin install <plugin>@{name}` in Claude Code. Or `skillport-connector install <skill>`.
- **Claude.ai and Claude Desktop**: add the connector `{url}/mcp` under Settings → Connectors,
  then ask Claude to find and install a skill.

## Adding a skill

1. Create `plugins/<plugin>/skills/<skill-name>/SKILL.md` (copy
   `plugins/examples/skills/example-skill`). Skill names are lowercase letters, digits and hyphens.
2. List a new plugin in `.claude-plugin/marketplace.json`, with a `version`; bump the version
   whenever its skills change, so people get the update.
3. Check: `skillport-connector validate --strict .`
4. Commit and push; the connector picks the change up.

## Who may do what

`.skillport/access.json` says who reads and who edits (see the connector's README, "Access
rules"). Editors are user ids: `skillport-connector whoami --json` shows yours.
"""


def marketplace_name(folder: Path, given: str | None) -> str:
    name = given or re.sub(r"[^a-z0-9]+", "-", folder.resolve().name.lower()).strip("-")
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name or "") or len(name) > 64:
        raise CliError(
            f"{name!r} cannot be a marketplace name (lowercase letters, digits, hyphens); "
            "pass --name",
            Exit.USAGE,
        )
    return name


def git_email() -> str | None:
    try:
        out = subprocess.run(
            ["git", "config", "user.email"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out or None


def editor_id(given: str | None) -> tuple[str, str]:
    """``(id, label)`` of the first editor: an id as given, or an e-mail as a local id."""
    who = given or git_email()
    if not who:
        raise CliError("who is the first editor? pass --editor EMAIL or a user id", Exit.USAGE)
    if "@" in who and ":" not in who:
        return f"local:{who.lower()}", who
    return who, who


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def copy_meta_skill(root: Path, owner: str) -> None:
    demo = resources.files("skillport_connector").joinpath("demo", "plugins", "skillport")
    with resources.as_file(demo) as source:
        shutil.copytree(source, root / "plugins" / "skillport")
    manifest = root / "plugins" / "skillport" / ".claude-plugin" / "plugin.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["author"] = {"name": owner}
    write_json(manifest, data)


def write_repository(
    root: Path, name: str, owner: str, editor: tuple[str, str], url: str = EXAMPLE_URL
) -> None:
    plugin = {"name": owner}
    write_json(
        root / ".claude-plugin" / "marketplace.json",
        {
            "name": name,
            "owner": plugin,
            "metadata": {"description": f"The skills of {owner}", "version": "1.0.0"},
            "plugins": [
                {
                    "name": "skillport",
                    "source": "./plugins/skillport",
                    "description": "Browse, install, update and author skills through Skillport",
                    "version": "1.0.0",
                    "author": plugin,
                    "category": "meta",
                    "tags": ["surface:CALL"],
                },
                {
                    "name": "examples",
                    "source": "./plugins/examples",
                    "description": "An example skill to copy when writing a new one",
                    "version": "1.0.0",
                    "author": plugin,
                    "category": "examples",
                },
            ],
        },
    )
    copy_meta_skill(root, owner)
    write_json(
        root / "plugins" / "examples" / ".claude-plugin" / "plugin.json",
        {
            "name": "examples",
            "version": "1.0.0",
            "description": "An example skill to copy when writing a new one",
            "author": plugin,
        },
    )
    skill = root / "plugins" / "examples" / "skills" / "example-skill" / "SKILL.md"
    skill.parent.mkdir(parents=True)
    skill.write_text(EXAMPLE_SKILL, encoding="utf-8")
    write_json(
        root / ".skillport" / "access.json",
        {
            "version": "1.0",
            "editors": [{"id": editor[0], "label": editor[1]}],
            "groups": {},
            "skills": {},
            "defaults": {"read": "*", "write": "editors"},
        },
    )
    readme = README.format(title=owner, owner=owner, name=name, url=url.rstrip("/"))
    (root / "README.md").write_text(readme, encoding="utf-8")


def problems(root: Path) -> list[str]:
    catalog = load_catalog(DirectoryTree(root))
    return [str(f) for f in (*AccessPolicy.for_catalog(catalog).findings(), *catalog.findings)]


def git_commit(root: Path, email: str) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, timeout=60)

    git("init", "-q", "-b", "main")
    git("add", "-A")
    identity = [] if git_email() else ["-c", "user.name=Skillport", "-c", f"user.email={email}"]
    git(*identity, "commit", "-q", "-m", "A new skills repository (skillport-connector init)")


def cmd_init(args: argparse.Namespace) -> int:
    root = Path(args.dir)
    try:
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise CliError(f"{root} exists and is not an empty folder; nothing was written")
        name = marketplace_name(root, args.name)
        owner = args.owner or name
        editor = editor_id(args.editor)
        root.mkdir(parents=True, exist_ok=True)
        write_repository(root, name, owner, editor, args.url or EXAMPLE_URL)
        found = problems(root)
        if found:
            raise CliError("the new repository does not validate:\n  " + "\n  ".join(found))
        git_commit(root, editor[1] if "@" in editor[1] else "skillport@localhost")
    except CliError as exc:
        print(f"skillport-connector: {exc.message}", file=sys.stderr)
        return int(exc.code)
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"skillport-connector: could not create {root}: {exc}", file=sys.stderr)
        return int(Exit.ERROR)
    print(f"Created the skills repository {name} in {root} (first editor: {editor[0]}).")
    print(f"Serve it: skillport-connector serve --marketplace {root}")
    return 0
