"""Claude Code's rules for the options a plugin asks its user for (``userConfig``) and the
message channels it declares (``channels``, each bound to one of its MCP servers, with
options of its own). Options are strict: an unknown field refuses the plugin. Read from the
CLI's schema (2.1.x); pure functions."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Container
from typing import Any

from .checks import Verdict, is_number, kind_of, strings

OPTION_KEY = re.compile(r"^[A-Za-z_]\w*$", re.ASCII)
OPTION_TYPES = ("string", "number", "boolean", "directory", "file")
OPTION_FIELDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "required": (lambda v: isinstance(v, bool), "true or false"),
    "default": (
        lambda v: isinstance(v, str | bool) or is_number(v) or strings(v),
        "a string, number, boolean or list of strings",
    ),
    "multiple": (lambda v: isinstance(v, bool), "true or false"),
    "sensitive": (lambda v: isinstance(v, bool), "true or false"),
    "min": (is_number, "a number"),
    "max": (is_number, "a number"),
}
CHANNEL_FIELDS = ("server", "displayName", "userConfig")


def _clean_choice(value: Any) -> bool:
    if not isinstance(value, str) or not 1 <= len(value) <= 64 or value.strip() != value:
        return False
    return not any(unicodedata.category(c) in ("Cc", "Cf") for c in value)


def _choices(where: str, option: dict[str, Any], verdict: Verdict) -> None:
    """``options``: the only values a string field takes, with a default among them."""
    choices = option["options"]
    if not isinstance(choices, list) or not choices or not all(map(_clean_choice, choices)):
        verdict.error(
            where,
            "must be a list of 1 to 64-character values without control "
            "characters or surrounding spaces",
        )
        return
    if len({c.lower() for c in choices}) != len(choices):
        verdict.error(where, "cannot repeat a value (in any letter case)")
    if (
        option.get("type") != "string"
        or option.get("multiple") is True
        or option.get("sensitive") is True
    ):
        verdict.error(
            where, "is only for a field of type 'string' that is neither multiple nor sensitive"
        )
    elif "default" not in option:
        if option.get("required") is not True:
            verdict.error(where, "needs a default among the options, or required: true")
    elif option["default"] not in choices:
        verdict.error(where, "the default must be one of the options")


def option(where: str, value: Any, verdict: Verdict) -> None:
    if not isinstance(value, dict):
        verdict.error(where, f"must be an object, not {kind_of(value)}")
        return
    if value.get("type") not in OPTION_TYPES:
        verdict.error(f"{where}.type", "must be one of " + ", ".join(OPTION_TYPES))
    for key in ("title", "description"):
        if not isinstance(value.get(key), str):
            verdict.error(where, f"needs a {key!r} (a string)")
    for key, item in value.items():
        if key in ("type", "title", "description", "options"):
            continue
        if key not in OPTION_FIELDS:
            verdict.error(f"{where}.{key:.64}", "is not a field of a user option")
        elif not OPTION_FIELDS[key][0](item):
            verdict.error(f"{where}.{key}", f"must be {OPTION_FIELDS[key][1]}")
    if "options" in value:
        _choices(f"{where}.options", value, verdict)


def user_config(
    where: str, value: Any, verdict: Verdict, *, keys: re.Pattern[str] | None = OPTION_KEY
) -> None:
    """Options by key; in plugin.json a key must be an identifier (it becomes
    ``CLAUDE_PLUGIN_OPTION_<KEY>``)."""
    if not isinstance(value, dict):
        verdict.error(where, f"must be an object of options, not {kind_of(value)}")
        return
    for key, item in value.items():
        if keys is not None and not keys.match(key):
            verdict.error(
                f"{where}.{key:.64}",
                "option keys must be identifiers (letters, digits, '_'; no leading digit)",
            )
        option(f"{where}.{key:.64}", item, verdict)


def channels(value: Any, verdict: Verdict) -> None:
    if not isinstance(value, list):
        verdict.error("channels", f"must be a list, not {kind_of(value)}")
        return
    for index, channel in enumerate(value):
        where = f"channels[{index}]"
        if not isinstance(channel, dict):
            verdict.error(where, f"must be an object, not {kind_of(channel)}")
            continue
        server = channel.get("server")
        if not isinstance(server, str) or not server:
            verdict.error(where, "needs a 'server' (the name of one of its MCP servers)")
        if "displayName" in channel and not isinstance(channel["displayName"], str):
            verdict.error(f"{where}.displayName", "must be a string")
        if "userConfig" in channel:
            user_config(f"{where}.userConfig", channel["userConfig"], verdict, keys=None)
        for key in channel:
            if key not in CHANNEL_FIELDS:
                verdict.error(f"{where}.{key:.64}", "is not a field of a channel")


def declared_for(manifest: dict[str, Any]) -> Callable[[str], Container[str]]:
    """The option keys an MCP server may reference as ``${user_config.KEY}``: the plugin's,
    and those of the channel bound to that server."""
    config = manifest.get("userConfig")
    common = set(config) if isinstance(config, dict) else set()
    bound: dict[str, set[str]] = {}
    found = manifest.get("channels")
    for channel in found if isinstance(found, list) else []:
        if isinstance(channel, dict) and isinstance(channel.get("server"), str):
            own = channel.get("userConfig")
            bound.setdefault(channel["server"], set(own) if isinstance(own, dict) else set())
    return lambda server: common | bound.get(server, set())
