"""Claude Code's rules for hooks given inline in plugin.json (``hooks`` as an object mapping
events to matchers). Claude Code is lenient with most hooks, strict with the ones that may
guard permissions:

* an entry it cannot use (an unknown event, a matcher that is not an object, a hook of an
  unknown type or with a bad field) is dropped with a warning and the plugin loads;
* but on the guarding events (``PreToolUse``, ``PermissionRequest``,
  ``PreSkillShellCommand``), or anywhere such hooks appear where they do not belong, the
  same mistake refuses the plugin: a guard that silently vanished would allow what it was
  written to stop.

Read from the CLI's schema (2.1.x) and checked against ``claude plugin validate``
(``tests/test_manifest_rules.py``). Pure functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .checks import Verdict, is_number, is_url, kind_of, string_map, strings

EVENTS = frozenset(
    {
        "PreToolUse",
        "PostToolUse",
        "PostToolUseFailure",
        "PostToolBatch",
        "Notification",
        "UserPromptSubmit",
        "UserPromptExpansion",
        "SessionStart",
        "SessionEnd",
        "Stop",
        "StopFailure",
        "SubagentStart",
        "SubagentStop",
        "PreCompact",
        "PostCompact",
        "PreModelSwitch",
        "PostModelSwitch",
        "PermissionRequest",
        "PermissionDenied",
        "Setup",
        "TeammateIdle",
        "TaskCreated",
        "TaskCompleted",
        "Elicitation",
        "ElicitationResult",
        "ConfigChange",
        "WorktreeCreate",
        "WorktreeRemove",
        "InstructionsLoaded",
        "CwdChanged",
        "FileChanged",
        "DirectoryAdded",
        "MessageDisplay",
        "PreSkillShellCommand",
    }
)
GUARDS = frozenset({"PreToolUse", "PermissionRequest", "PreSkillShellCommand"})

Rule = Callable[[Any], bool]


def _str(v: Any) -> bool:
    return isinstance(v, str)


def _bool(v: Any) -> bool:
    return isinstance(v, bool)


def _positive(v: Any) -> bool:
    return is_number(v) and v > 0


def _non_empty(v: Any) -> bool:
    return isinstance(v, str) and v != ""


def _failure(v: Any) -> bool:
    return v in ("continue", "block")


_COMMON: dict[str, Rule] = {"if": _str, "timeout": _positive, "statusMessage": _str, "once": _bool}
#: Per hook type: its required string fields and its optional fields' rules.
HOOK_TYPES: dict[str, tuple[tuple[str, ...], dict[str, Rule]]] = {
    "command": (
        ("command",),
        {
            **_COMMON,
            "args": strings,
            "shell": lambda v: v in ("bash", "powershell"),
            "onFailure": _failure,
            **{k: _bool for k in ("async", "asyncRewake", "holdsTools")},
            **{k: _non_empty for k in ("rewakeMessage", "rewakeSummary")},
        },
    ),
    "prompt": (("prompt",), {**_COMMON, "model": _str, "continueOnBlock": _bool}),
    "agent": (("prompt",), {**_COMMON, "model": _str}),
    "mcp_tool": (("server", "tool"), {**_COMMON, "input": lambda v: isinstance(v, dict)}),
    "http": (
        ("url",),
        {**_COMMON, "onFailure": _failure, "headers": string_map, "allowedEnvVars": strings},
    ),
}


def _holds_guard_events(value: Any) -> bool:
    return isinstance(value, dict) and any(
        k in GUARDS and v is not None and v != [] for k, v in value.items()
    )


def looks_like_matcher(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    if "matcher" not in value and any(k in EVENTS for k in value):
        return False
    hooks = value.get("hooks")
    if isinstance(hooks, list):
        return len(hooks) > 0
    return isinstance(hooks, dict) and ("matcher" in value or isinstance(hooks.get("type"), str))


def holds_guards(
    value: Any, depth: int = 3, *, matchers: bool = True, in_list: bool = False
) -> bool:
    """Whether ``value`` holds guarding hooks (or, with ``matchers``, any matcher) within
    ``depth`` levels: Claude Code will not drop such a thing silently."""
    if _holds_guard_events(value) or (matchers and looks_like_matcher(value)):
        return True
    if depth == 0 or not isinstance(value, dict | list):
        return False
    if isinstance(value, list):
        return any(holds_guards(v, depth - 1, matchers=matchers, in_list=in_list) for v in value)
    if in_list and isinstance(value.get("type"), str):
        return False
    return any(
        holds_guards(
            v,
            depth - 1,
            matchers=matchers and k not in EVENTS,
            in_list=k == "hooks" and isinstance(v, list),
        )
        for k, v in value.items()
    )


def hook_problem(hook: Any) -> str | None:
    """Why Claude Code cannot use one hook entry, or None."""
    if not isinstance(hook, dict):
        return f"must be an object, not {kind_of(hook)}"
    kind = hook.get("type")
    if not isinstance(kind, str):
        return "has no 'type'" if kind is None else "'type' must be a string"
    if kind not in HOOK_TYPES:
        return f"has an unknown type {kind!r:.40}"
    required, optional = HOOK_TYPES[kind]
    for key in required:
        if not isinstance(hook.get(key), str):
            return f"({kind}) needs {key!r} (a string)"
    if kind == "http" and not is_url(hook["url"]):
        return "(http) 'url' must be a URL"
    for key, valid in optional.items():
        if key in hook and not valid(hook[key]):
            return f"({kind}) has an invalid {key!r}"
    return None


def _matcher_problems(matcher: Any) -> list[tuple[str, str]]:
    """(where, problem) for one matcher: the matcher itself, or its hooks one by one."""
    if not isinstance(matcher, dict):
        return [("", f"must be an object with a 'hooks' list, not {kind_of(matcher)}")]
    hooks = matcher.get("hooks")
    if not isinstance(hooks, list):
        return [("", "needs a 'hooks' list")]
    found = [(f".hooks[{i}]", p) for i, h in enumerate(hooks) if (p := hook_problem(h))]
    if "matcher" in matcher and not isinstance(matcher["matcher"], str):
        found.append((".matcher", "must be a string"))
    return found


def event_matchers(event: str, matchers: list[Any], verdict: Verdict) -> None:
    guard = event in GUARDS
    for index, matcher in enumerate(matchers):
        where = f"hooks.{event}[{index}]"
        if holds_guards(matcher, matchers=False):
            verdict.error(where, "holds guarding hooks where a matcher was expected")
            continue
        for inner, problem in _matcher_problems(matcher):
            if guard:
                verdict.error(
                    where + inner,
                    f"{problem}; a {event} hook Claude Code cannot load "
                    "may be a guard, so it refuses the plugin",
                )
            else:
                verdict.warn(where + inner, f"{problem}; Claude Code ignores it")


def hooks_object(value: dict[str, Any], verdict: Verdict) -> None:
    """Inline hooks: an object mapping hook events to lists of matchers."""
    if looks_like_matcher(value):
        verdict.error("hooks", "must map event names to lists of matchers, not be one matcher")
        return
    for event, matchers in value.items():
        where = f"hooks.{event:.64}"
        if event not in EVENTS:
            if holds_guards(matchers, matchers=not isinstance(matchers, list)):
                verdict.error(where, "is not a hook event, but it holds guarding hooks")
            else:
                verdict.warn(where, "is not a hook event; Claude Code ignores it")
        elif not isinstance(matchers, list):
            if (event in GUARDS and matchers is not None) or holds_guards(matchers, matchers=False):
                verdict.error(where, f"must be a list of matchers, not {kind_of(matchers)}")
            else:
                verdict.warn(
                    where,
                    f"must be a list of matchers, not {kind_of(matchers)}; Claude Code ignores it",
                )
        else:
            event_matchers(event, matchers, verdict)
