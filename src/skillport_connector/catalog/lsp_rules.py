"""Claude Code's rules for a plugin's LSP servers (``lspServers``) and monitors
(``monitors``, background watch scripts). Both are strict: a field Claude Code does not
know refuses the plugin. Read from the CLI's schema (2.1.x); pure functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .checks import Verdict, is_int, is_positive_int, kind_of, path_problem, string_map

Rule = Callable[[Any], bool]
INT32_MAX = 2147483647


def _non_empty_strings(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(s, str) and s for s in v)


def _anything(v: Any) -> bool:
    return True


#: The optional fields of an LSP server and what each must be.
LSP_FIELDS: dict[str, tuple[Rule, str]] = {
    "args": (_non_empty_strings, "a list of non-empty strings"),
    "transport": (lambda v: v in ("stdio", "socket"), "stdio or socket"),
    "env": (string_map, "an object of strings"),
    "initializationOptions": (_anything, ""),
    "settings": (_anything, ""),
    "workspaceFolder": (lambda v: isinstance(v, str), "a string"),
    "startupTimeout": (is_positive_int, "a positive whole number (ms)"),
    "shutdownTimeout": (is_positive_int, "a positive whole number (ms)"),
    "requestTimeout": (
        lambda v: is_positive_int(v) and v <= INT32_MAX,
        "a positive whole number (ms)",
    ),
    "restartOnCrash": (lambda v: isinstance(v, bool), "true or false"),
    "maxRestarts": (lambda v: is_int(v) and v >= 0, "a whole number, 0 or more"),
    "diagnostics": (lambda v: isinstance(v, bool), "true or false"),
}
MONITOR_FIELDS = ("name", "command", "description", "when")


def _extension_map(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and bool(value)
        and all(len(k) >= 2 and k.startswith(".") for k in value)
        and all(isinstance(v, str) and v for v in value.values())
    )


def lsp_server(where: str, config: Any, verdict: Verdict) -> None:
    if not isinstance(config, dict):
        verdict.error(where, f"must be an object, not {kind_of(config)}")
        return
    command = config.get("command")
    if not isinstance(command, str) or not command:
        verdict.error(where, "needs a 'command'")
    elif " " in command and not command.startswith("/"):
        verdict.error(f"{where}.command", "has spaces; put arguments in 'args'")
    if not _extension_map(config.get("extensionToLanguage")):
        verdict.error(
            where,
            "needs 'extensionToLanguage' mapping extensions to languages "
            '(e.g. {".py": "python"})',
        )
    for key, value in config.items():
        if key in ("command", "extensionToLanguage"):
            continue
        if key not in LSP_FIELDS:
            verdict.error(f"{where}.{key:.64}", "is not a field of an LSP server")
        elif not LSP_FIELDS[key][0](value):
            verdict.error(f"{where}.{key}", f"must be {LSP_FIELDS[key][1]}")


def monitor(where: str, config: Any, verdict: Verdict) -> None:
    if not isinstance(config, dict):
        verdict.error(where, f"must be an object, not {kind_of(config)}")
        return
    for key in ("name", "command", "description"):
        if not isinstance(config.get(key), str) or not config[key]:
            verdict.error(where, f"needs a {key!r} (a non-empty string)")
    when = config.get("when", "always")
    trigger = isinstance(when, str) and when.startswith("on-skill-invoke:") and len(when) > 16
    if when != "always" and not trigger:
        verdict.error(f"{where}.when", "must be 'always' or 'on-skill-invoke:<skill>'")
    for key in config:
        if key not in MONITOR_FIELDS:
            verdict.error(f"{where}.{key:.64}", "is not a field of a monitor")


def monitors(where: str, value: Any, verdict: Verdict) -> None:
    """A ``.json`` file of monitors, or the list itself (names unique)."""
    if isinstance(value, str):
        problem = path_problem(value, suffix=".json")
        if problem is not None:
            verdict.error(where, problem)
        return
    if not isinstance(value, list):
        verdict.error(where, f"must be a path or a list of monitors, not {kind_of(value)}")
        return
    for index, item in enumerate(value):
        monitor(f"{where}[{index}]", item, verdict)
    names = [m.get("name") for m in value if isinstance(m, dict)]
    if len(set(map(str, names))) != len(names):
        verdict.error(where, "monitor names must be unique within a plugin")
