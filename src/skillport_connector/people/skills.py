"""``list``, ``search``, ``show``, ``install``, ``outdated``, ``update``, ``uninstall``."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..names import ref_problem, split_ref
from . import paths
from .context import Context, emit_json, say
from .exits import CliError, Exit
from .installing import Installed, install_folder, parse_payload, remove_folder, write_package
from .paging import all_pages


def checked_name(name: str) -> str:
    """A skill name, bare (``changelog``) or qualified by its plugin (``writing:changelog``,
    for a name several plugins share)."""
    problem = ref_problem(name)
    if problem:
        raise CliError(f"{name[:80]!r} is not a skill name: {problem}", Exit.USAGE)
    return name


def print_table(skills: list[dict[str, Any]]) -> None:
    if not skills:
        print("No skills.")
        return
    width = max(len(str(s.get("name", ""))) for s in skills)
    version_width = max(len(str(s.get("version") or "-")) for s in skills)
    for s in skills:
        description = str(s.get("description") or "").splitlines()[0:1]
        line = f"{s.get('name', ''):<{width}}  {s.get('version') or '-':<{version_width}}  "
        print((line + (description[0] if description else ""))[:160])


def _listing(ctx: Context, query: str | None) -> int:
    params: dict[str, str] = {}
    if getattr(ctx.args, "surface", None):
        params["surface"] = ctx.args.surface
    if query is not None:
        params["q"] = query
    data = all_pages(lambda page: ctx.session.json("GET", "/api/skills", params=page), params)
    if ctx.json:
        emit_json(data)
    else:
        print_table(list(data.get("skills") or []))
    return Exit.OK


def cmd_list(ctx: Context) -> int:
    return _listing(ctx, None)


def cmd_search(ctx: Context) -> int:
    if not ctx.args.query.strip():
        raise CliError("give something to search for", Exit.USAGE)
    return _listing(ctx, ctx.args.query)


def cmd_show(ctx: Context) -> int:
    name = checked_name(ctx.args.name)
    data = ctx.session.json("GET", f"/api/skills/{quote(name)}")
    if ctx.json:
        emit_json(data)
        return Exit.OK
    skill = data.get("skill") or {}
    print(f"{skill.get('name')} {skill.get('version') or ''} (plugin {skill.get('plugin')})")
    print(skill.get("description") or "")
    print("files: " + ", ".join(str(f) for f in data.get("files") or []))
    print()
    print(data.get("skill_md") or "")
    return Exit.OK


def install_one(ctx: Context, name: str, surface: str, output: Path | None) -> dict[str, Any]:
    """Fetch and write one skill; what was done, as the ``--json`` record. A qualified
    ``plugin:skill`` is installed under the skill's own name, and recorded as given."""
    folder = split_ref(name)[1]
    if surface == "package":
        say(f"Downloading {folder}.skill ...")
        response = ctx.session.request("GET", f"/api/skills/{quote(name)}/package")
        dest = write_package(response.content, folder, output or Path.cwd())
        version = response.headers.get("X-Skill-Version", "")
        say(f"Packaged {name} {version} as {dest}")
        return {"name": name, "version": version, "surface": "package", "path": str(dest)}
    say(f"Fetching {name} ...")
    ticket = ctx.session.json("GET", f"/api/skills/{quote(name)}/install")
    token = str(ticket.get("install_token") or "")
    response = ctx.session.http.get(f"{ctx.server}/api/install/{quote(token)}")
    if not response.is_success:
        from .api import failure

        raise failure(response)
    payload = parse_payload(response.json(), folder)
    dest = install_folder(payload, output or paths.skills_dir())
    ctx.installed.put(ctx.server, Installed(name, payload.version, str(dest)))
    say(f"Installed {name} {payload.version} into {dest} ({len(payload.files)} files).")
    return {"name": name, "version": payload.version, "surface": "cc", "path": str(dest)}


def cmd_install(ctx: Context) -> int:
    name = checked_name(ctx.args.name)
    output = Path(ctx.args.dir).expanduser() if ctx.args.dir else None
    done = install_one(ctx, name, ctx.args.surface, output)
    if ctx.json:
        emit_json(done)
    elif done["surface"] == "cc":
        print("Claude Code picks it up in new sessions.")
    else:
        print(done["path"])
    return Exit.OK


def outdated(ctx: Context) -> list[dict[str, str]]:
    installed = ctx.installed.of(ctx.server)
    if not installed:
        return []
    body = {"installed": [{"name": i.name, "version": i.version} for i in installed.values()]}
    answer = ctx.session.json("POST", "/api/check-updates", json=body)
    return [
        {
            "name": str(u.get("name")),
            "installed": str(u.get("installedVersion")),
            "available": str(u.get("availableVersion")),
        }
        for u in answer.get("updates") or []
    ]


def cmd_outdated(ctx: Context) -> int:
    updates = outdated(ctx)
    if ctx.json:
        emit_json({"updates": updates})
    elif not updates:
        print("Everything is up to date.")
    else:
        for u in updates:
            print(f"{u['name']}  {u['installed']} -> {u['available']}")
    return Exit.OK


def cmd_update(ctx: Context) -> int:
    if not ctx.args.all and not ctx.args.name:
        raise CliError("name a skill to update, or pass --all", Exit.USAGE)
    installed = ctx.installed.of(ctx.server)
    if ctx.args.name and checked_name(ctx.args.name) not in installed:
        raise CliError(f"{ctx.args.name} is not installed from {ctx.server}", Exit.NOT_FOUND)
    wanted = [u for u in outdated(ctx) if ctx.args.all or u["name"] == ctx.args.name]
    done = []
    for index, update in enumerate(wanted, 1):
        step = f"{update['name']} {update['installed']} -> {update['available']}"
        say(f"[{index}/{len(wanted)}] {step}")
        target = Path(installed[update["name"]].path).parent
        done.append(install_one(ctx, update["name"], "cc", target))
    if ctx.json:
        emit_json({"updated": done})
    elif not done:
        print("Everything is up to date.")
    return Exit.OK


def cmd_uninstall(ctx: Context) -> int:
    name = checked_name(ctx.args.name)
    item = ctx.installed.of(ctx.server).get(name)
    if item is None:
        raise CliError(
            f"{name} was not installed from {ctx.server} by this command", Exit.NOT_FOUND
        )
    remove_folder(Path(item.path))
    ctx.installed.drop(ctx.server, name)
    say(f"Removed {name} ({item.path}).")
    return Exit.OK
