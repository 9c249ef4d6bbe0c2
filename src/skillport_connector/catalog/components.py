"""Claude Code's rules for a plugin's inline components (``hooks``, ``mcpServers``,
``lspServers`` given as objects in ``plugin.json``), as pure functions over parsed JSON.

Read from the manifest schema in Claude Code's CLI (2.1.x) and checked against
``claude plugin validate`` (``tests/test_manifest_rules.py``): a manifest it refuses
makes the plugin serve no skills, so the connector refuses the same ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Check = Callable[[str, Any], list[str]]


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _string_map(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def lsp_server(name: str, config: Any) -> list[str]:
    where = f"'lspServers.{name}'"
    if not isinstance(config, dict):
        return [f"{where} must be an object"]
    problems = []
    command = config.get("command")
    if not isinstance(command, str) or not command:
        problems.append(f"{where} needs a 'command'")
    elif " " in command and not command.startswith("/"):
        problems.append(f"{where} 'command' has spaces; put arguments in 'args'")
    mapping = config.get("extensionToLanguage")
    if not _string_map(mapping) or not mapping:
        problems.append(f'{where} needs \'extensionToLanguage\' (e.g. {{".py": "python"}})')
    if "args" in config and not _strings(config["args"]):
        problems.append(f"{where} 'args' must be a list of strings")
    if "transport" in config and config["transport"] not in ("stdio", "socket"):
        problems.append(f"{where} 'transport' must be stdio or socket")
    if "env" in config and not _string_map(config["env"]):
        problems.append(f"{where} 'env' must map names to strings")
    return problems


def mcp_server(name: str, config: Any) -> list[str]:
    where = f"'mcpServers.{name}'"
    if not isinstance(config, dict):
        return [f"{where} must be an object"]
    problems = []
    for key in ("command", "url", "type"):
        if key in config and not isinstance(config[key], str):
            problems.append(f"{where} '{key}' must be a string")
    if "command" not in config and "url" not in config:
        problems.append(f"{where} needs a 'command' (stdio) or a 'url' (http, sse)")
    if "args" in config and not _strings(config["args"]):
        problems.append(f"{where} 'args' must be a list of strings")
    for key in ("env", "headers"):
        if key in config and not _string_map(config[key]):
            problems.append(f"{where} '{key}' must map names to strings")
    return problems


def hook_event(event: str, matchers: Any) -> list[str]:
    where = f"'hooks.{event}'"
    if not isinstance(matchers, list):
        return [f"{where} must be a list of matchers"]
    for matcher in matchers:
        if not isinstance(matcher, dict) or not isinstance(matcher.get("hooks"), list):
            return [f"{where}: each matcher is an object with a 'hooks' list"]
        if "matcher" in matcher and not isinstance(matcher["matcher"], str):
            return [f"{where}: 'matcher' must be a string"]
        for hook in matcher["hooks"]:
            if not isinstance(hook, dict) or not isinstance(hook.get("type"), str):
                return [f"{where}: each hook is an object with a 'type'"]
    return []


def hooks_object(value: dict[str, Any]) -> list[str]:
    events = value.get("hooks", value) if set(value) <= {"hooks", "description"} else value
    if not isinstance(events, dict):
        return ["'hooks' must map events to lists of matchers"]
    return [p for event, matchers in events.items() for p in hook_event(event, matchers)]


def servers_object(check: Check, value: dict[str, Any]) -> list[str]:
    return [p for name, config in value.items() for p in check(name, config)]


def inline_problems(key: str, value: Any) -> list[str] | None:
    """Problems of an inline (object) component, or None when ``value`` is not inline."""
    if not isinstance(value, dict):
        return None
    if key == "hooks":
        return hooks_object(value)
    if key == "mcpServers":
        return servers_object(mcp_server, value)
    if key == "lspServers":
        return servers_object(lsp_server, value)
    return None
