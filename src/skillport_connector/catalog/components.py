"""Claude Code's rules for a plugin's component fields in plugin.json (or a marketplace
entry): paths to component files and folders, and the components given inline (hooks, MCP
and LSP servers, monitors, channels, user options). Pure functions over parsed JSON.

Read from the manifest schema in Claude Code's CLI (2.1.x) and checked against
``claude plugin validate`` (``tests/test_manifest_rules.py``): a manifest it refuses makes
the plugin serve no skills, so the connector refuses the same ones.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from typing import Any

from . import hook_rules, lsp_rules, mcp_servers, options
from .checks import Verdict, dotdot, is_url, kind_of, path_problem, strings

#: The path rule of each component: the suffix its paths need ('' for any), and whether
#: '.' (the plugin root) is allowed.
PATHS: dict[str, tuple[str, bool]] = {
    "commands": ("", False),
    "agents": (".md", False),
    "skills": ("", True),
    "outputStyles": ("", False),
    "themes": ("", False),
    "workflows": ("", False),
    "hooks": (".json", False),
    "mcpServers": (".json", False),
    "lspServers": (".json", False),
    "monitors": (".json", False),
}
COMMAND_FIELDS = ("content", "description", "argumentHint", "model")


def check_path(where: str, value: Any, key: str, verdict: Verdict) -> None:
    suffix, root_ok = PATHS[key]
    if root_ok and value == ".":
        return
    problem = path_problem(value, suffix=suffix)
    if problem is not None:
        verdict.error(where, problem)


def is_mcpb(value: Any) -> bool:
    """An MCP bundle: a ``./`` path or a URL ending in ``.mcpb`` (or the older ``.dxt``)."""
    if not isinstance(value, str) or not value.endswith((".mcpb", ".dxt")):
        return False
    return (value.startswith("./") and not dotdot(value)) or is_url(value)


def paths(key: str, value: Any, verdict: Verdict, where: str = "") -> None:
    """A component given as one path or a list of paths."""
    where = where or key
    items = value if isinstance(value, list) else [value]
    if not isinstance(value, list | str):
        verdict.error(where, f"must be a path or a list of paths, not {kind_of(value)}")
        return
    for index, item in enumerate(items):
        check_path(f"{where}[{index}]" if isinstance(value, list) else where, item, key, verdict)


def commands(value: Any, verdict: Verdict) -> None:
    """Paths, or an object naming each command with its ``source`` file or inline ``content``."""
    if not isinstance(value, dict):
        paths("commands", value, verdict)
        return
    for name, spec in value.items():
        where = f"commands.{name:.64}"
        if not isinstance(spec, dict):
            verdict.error(
                where, f"must be an object with 'source' or 'content', not {kind_of(spec)}"
            )
            continue
        if ("source" in spec) == ("content" in spec):
            verdict.error(where, "needs either 'source' (a file) or 'content' (markdown), not both")
        if "source" in spec:
            check_path(f"{where}.source", spec["source"], "commands", verdict)
        for key in COMMAND_FIELDS:
            if key in spec and not isinstance(spec[key], str):
                verdict.error(f"{where}.{key}", "must be a string")
        if "allowedTools" in spec and not strings(spec["allowedTools"]):
            verdict.error(f"{where}.allowedTools", "must be a list of strings")


Inline = Callable[[str, Any, Verdict], None]


def servers(key: str, value: Any, check: Inline, verdict: Verdict, *, bundles: bool) -> None:
    """hooks, mcpServers, lspServers: a ``.json`` path, an inline object, or a list of them
    (mcpServers also take MCP bundles, ``.mcpb``)."""
    items = value if isinstance(value, list) else [value]
    for index, item in enumerate(items):
        where = f"{key}[{index}]" if isinstance(value, list) else key
        if isinstance(item, dict):
            check(where, item, verdict)
        elif isinstance(item, str) and bundles and is_mcpb(item):
            continue
        elif isinstance(item, str):
            check_path(where, item, key, verdict)
        else:
            verdict.error(where, f"must be a path or an object, not {kind_of(item)}")


def mcp_object(options_for: Callable[[str], Container[str]], extras: bool) -> Inline:
    def check(where: str, value: dict[str, Any], verdict: Verdict) -> None:
        for name, config in value.items():
            inner = f"{where}.{name:.64}"
            if extras:
                mcp_servers.mcp_server(inner, config, options_for(name), verdict)
            elif not isinstance(config, dict):
                verdict.error(inner, f"must be an object, not {kind_of(config)}")
            else:
                mcp_servers.server_shape(inner, config, verdict)

    return check


def _hooks(where: str, value: dict[str, Any], verdict: Verdict) -> None:
    hook_rules.hooks_object(value, verdict)


def _strict_hooks(where: str, value: dict[str, Any], verdict: Verdict) -> None:
    """In a marketplace entry nothing is dropped leniently: every hook problem refuses it."""
    found = Verdict()
    hook_rules.hooks_object(value, found)
    verdict.errors += found.errors + found.warnings


def _lsp(where: str, value: dict[str, Any], verdict: Verdict) -> None:
    for name, config in value.items():
        lsp_rules.lsp_server(f"{where}.{name:.64}", config, verdict)


def component(
    key: str, value: Any, manifest: dict[str, Any], verdict: Verdict, *, extras: bool
) -> None:
    """One component field of ``manifest``; ``extras`` adds the validator's plugin.json-only
    checks (``${user_config.…}`` references)."""
    if key == "commands":
        commands(value, verdict)
    elif key in ("agents", "skills", "outputStyles", "themes", "workflows"):
        paths(key, value, verdict)
    elif key == "hooks":
        servers(key, value, _hooks if extras else _strict_hooks, verdict, bundles=False)
    elif key == "mcpServers":
        check = mcp_object(options.declared_for(manifest), extras)
        servers(key, value, check, verdict, bundles=True)
    elif key == "lspServers":
        servers(key, value, _lsp, verdict, bundles=False)
    elif key == "monitors":
        lsp_rules.monitors(key, value, verdict)
    elif key == "channels":
        options.channels(value, verdict)
    elif key == "userConfig":
        options.user_config("userConfig", value, verdict)
    elif key == "settings" and not isinstance(value, dict):
        verdict.error(key, f"must be an object, not {kind_of(value)}")
    elif key == "types":
        types(value, verdict)


def types(value: Any, verdict: Verdict) -> None:
    problem = path_problem(value, suffix=".d.ts")
    if problem is not None:
        verdict.error("types", problem)
