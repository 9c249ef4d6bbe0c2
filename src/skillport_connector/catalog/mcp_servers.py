"""Claude Code's rules for a plugin's MCP servers (``mcpServers`` in plugin.json): each
server's shape by its ``type`` (stdio, http, sse, ws, the IDE, SDK and claude.ai proxy
kinds), the ``${user_config.KEY}`` references it may make, and what the validator warns
about (a ``network`` on a remote server, a cleartext URL, a literal credential).

Read from the schema in Claude Code's CLI (2.1.x) and checked against
``claude plugin validate`` (``tests/test_manifest_rules.py``). Pure functions.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Container
from typing import Any
from urllib.parse import urlsplit

from ..loopback import is_loopback_host
from .checks import Verdict, is_positive_int, is_url, kind_of, string_map, strings
from .network import network_warnings

REMOTE_TYPES = ("http", "streamable-http", "sse", "ws")
URL_MAX = 65536
_USER_CONFIG = re.compile(r"\$\{user_config\.([^}$]+)\}")
_PLACEHOLDER = re.compile(r"\$\{[^}$]+\}")
_TOKENS = [
    re.compile(p)
    for p in (
        r"\bsk-[A-Za-z0-9_-]{16,}",
        r"\bgh[opsur]_[A-Za-z0-9]{30,}",
        r"\bgithub_pat_[A-Za-z0-9_]{30,}",
        r"\bxox[abeprs]-[A-Za-z0-9-]{10,}",
        r"\bAKIA[0-9A-Z]{16}\b",
        r"\bglpat-[A-Za-z0-9_-]{20,}",
        r"\bAIza[0-9A-Za-z_-]{35}\b",
        r"(?:^|[^A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+",
    )
]
_SECRET_NAME = re.compile(r"authorization|api[-_]?key|token|secret|password|credential", re.I)
_NOT_SECRET = re.compile(
    r"your[-_ ]|replace|example|changeme|placeholder|dummy|redacted|xxx|[<>]|\*\*\*", re.I
)

Field = tuple[str, Callable[[Any], bool], str]
_BOOL: Callable[[Any], bool] = lambda v: isinstance(v, bool)  # noqa: E731
_STR: Callable[[Any], bool] = lambda v: isinstance(v, str)  # noqa: E731
_TIMEOUT: Field = ("timeout", is_positive_int, "a positive whole number")


def _tools(value: Any) -> bool:
    policies = (None, "always_allow", "always_ask", "always_deny")
    return isinstance(value, list) and all(
        isinstance(t, dict)
        and isinstance(t.get("name"), str)
        and t.get("permission_policy") in policies
        for t in value
    )


def _permissions(value: Any) -> bool:
    return isinstance(value, dict) and all(v in ("allow", "ask", "blocked") for v in value.values())


def _oauth(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    metadata = value.get("authServerMetadataUrl")
    checks = [
        "clientId" not in value or isinstance(value["clientId"], str),
        "callbackPort" not in value or is_positive_int(value["callbackPort"]),
        "scopes" not in value or (isinstance(value["scopes"], str) and value["scopes"] != ""),
        "xaa" not in value or isinstance(value["xaa"], bool),
        metadata is None
        or (
            isinstance(metadata, str) and len(metadata) <= 4096 and metadata.startswith("https://")
        ),
    ]
    return all(checks)


_REMOTE: list[Field] = [
    ("headers", string_map, "an object of strings"),
    ("headersHelper", _STR, "a string"),
    ("oauth", _oauth, "an object (clientId, callbackPort, https authServerMetadataUrl, scopes)"),
    _TIMEOUT,
    ("tools", _tools, "a list of {name, permission_policy}"),
    ("alwaysLoad", _BOOL, "true or false"),
    ("bareElicitationCapability", _BOOL, "true or false"),
    ("discoveryCache", _BOOL, "true or false"),
    ("toolPermissions", _permissions, "an object of allow/ask/blocked"),
]
_IDE: list[Field] = [("ideRunningInWindows", _BOOL, "true or false"), _TIMEOUT]
_NULLABLE_OBJECT: Callable[[Any], bool] = lambda v: v is None or isinstance(v, dict)  # noqa: E731
_NULLABLE_BOOL: Callable[[Any], bool] = lambda v: v is None or isinstance(v, bool)  # noqa: E731
_NULLABLE_STR: Callable[[Any], bool] = lambda v: v is None or isinstance(v, str)  # noqa: E731
#: Per type: the fields it requires, and the optional fields with their rule.
SCHEMAS: dict[str, tuple[tuple[str, ...], list[Field]]] = {
    "stdio": (
        ("command",),
        [
            ("args", strings, "a list of strings"),
            ("env", string_map, "an object of strings"),
            _TIMEOUT,
            ("alwaysLoad", _BOOL, "true or false"),
            ("bareElicitationCapability", _BOOL, "true or false"),
        ],
    ),
    "http": (("url",), _REMOTE),
    "streamable-http": (("url",), _REMOTE),
    "sse": (("url",), _REMOTE),
    "ws": (("url",), [*_REMOTE[:2], _TIMEOUT, *_REMOTE[5:7]]),
    "sse-ide": (("url", "ideName"), _IDE),
    "ws-ide": (("url", "ideName"), [*_IDE, ("authToken", _STR, "a string")]),
    "sdk": (("name",), [_TIMEOUT, ("alwaysLoad", _BOOL, "true or false")]),
    "claudeai-proxy": (
        ("url", "id"),
        [
            ("displayName", _STR, "a string"),
            ("iconUrl", _STR, "a string"),
            _TIMEOUT,
            *[(k, _BOOL, "true or false") for k in ("urlReportable", "noDirectoryEntry")],
            *[(k, _BOOL, "true or false") for k in ("alwaysLoad", "stateless")],
            ("enterpriseManaged", _BOOL, "true or false"),
            ("toolPermissions", _permissions, "an object of allow/ask/blocked"),
            *[(k, _NULLABLE_OBJECT, "an object") for k in ("cachedInitResponse",)],
            ("cachedDiscoverResponse", _NULLABLE_OBJECT, "an object"),
            ("eligible", _NULLABLE_BOOL, "true or false"),
            ("ineligibleReason", _NULLABLE_STR, "a string"),
        ],
    ),
}


def server_shape(where: str, config: dict[str, Any], verdict: Verdict) -> None:
    """The server's fields against the schema of its ``type`` (no type: stdio)."""
    kind = config.get("type", "stdio")
    if not isinstance(kind, str) or kind not in SCHEMAS:
        verdict.error(
            f"{where}.type",
            f"{kind!r:.40} is not a server type; use stdio (or none), http, sse or ws",
        )
        return
    required, optional = SCHEMAS[kind]
    for key in required:
        value = config.get(key)
        if not isinstance(value, str):
            hint = ' (a remote server needs "type": "http")' if key == "command" else ""
            verdict.error(where, f"needs a {key!r} (a string){hint}")
        elif key == "command" and not value:
            verdict.error(f"{where}.command", "cannot be empty")
        elif key == "url" and len(value) > URL_MAX:
            verdict.error(f"{where}.url", "is too long")
        elif key == "id" and not re.fullmatch(r"[A-Za-z0-9_-]+", value):
            verdict.error(f"{where}.id", "may hold only letters, digits, '_' and '-'")
    for key, valid, wanted in optional:
        if key in config and not valid(config[key]):
            verdict.error(f"{where}.{key}", f"must be {wanted}")


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def looks_like_credential(name: str, value: str) -> bool:
    """The validator's heuristic for a secret committed as a header value."""
    if len(value) > 8192 or _PLACEHOLDER.search(value) or _NOT_SECRET.search(value):
        return False
    value = value.strip()
    if any(p.search(value) for p in _TOKENS):
        return True
    if not _SECRET_NAME.search(name):
        return False
    match = re.fullmatch(r"(?:Bearer|Basic|Token|Bot)\s+(\S+)", value, re.I)
    token = match[1] if match else value
    return len(token) >= 20 and not re.search(r"\s", token) and _entropy(token) >= 3


def _substituted(config: dict[str, Any]) -> list[tuple[str, str]]:
    """The (field, text) pairs where Claude Code substitutes ``${…}`` placeholders."""
    kind = config.get("type")
    if kind in (None, "stdio"):
        names, bag = ["command"], "env"
        args = config.get("args")
        found = [(f"args[{i}]", a) for i, a in enumerate(args if isinstance(args, list) else [])]
    elif kind in REMOTE_TYPES:
        names, bag, found = ["url", "headersHelper"], "headers", []
    else:
        return []
    found += [(n, config[n]) for n in names if isinstance(config.get(n), str)]
    values = config.get(bag)
    if isinstance(values, dict):
        found += [(f"{bag}.{k}", v) for k, v in values.items()]
    return [(f, v) for f, v in found if isinstance(v, str)]


def _cleartext(url: str) -> str | None:
    probe = _PLACEHOLDER.sub("probe.invalid", url)
    try:
        parts = urlsplit(probe)
        host = parts.hostname or ""
    except ValueError:
        return None
    if parts.scheme not in ("http", "ws") or "probe.invalid" in host:
        return None
    if is_loopback_host(host) or host == "localhost" or host.endswith(".localhost"):
        return None
    secure = "https" if parts.scheme == "http" else "wss"
    return f"uses {parts.scheme}:// to a non-loopback host (cleartext); use {secure}://"


def server_extras(
    where: str, config: dict[str, Any], options: Container[str], out: Verdict
) -> None:
    """What the validator adds to the schema: option references, URLs, committed secrets."""
    kind = config.get("type")
    if "network" in config:
        if kind in REMOTE_TYPES:
            out.warn(f"{where}.network", "is read on stdio servers only; it is ignored")
        else:
            network_warnings(f"{where}.network", config["network"], out)
    for name, text in _substituted(config):
        keys = _USER_CONFIG.findall(text)
        if keys and name == "headersHelper":
            out.error(
                f"{where}.headersHelper",
                "cannot use ${user_config.…}; Claude Code "
                "refuses the server (read the value inside the helper)",
            )
            continue
        for key in dict.fromkeys(keys):
            if key not in options:
                out.error(
                    f"{where}.{name}",
                    f"uses ${{user_config.{key:.64}}}, which "
                    "plugin.json does not declare under 'userConfig'",
                )
    url = config.get("url")
    if kind in REMOTE_TYPES and isinstance(url, str) and url.strip():
        if not _PLACEHOLDER.search(url) and not is_url(url):
            out.error(f"{where}.url", "is not an absolute URL (e.g. https://host/path)")
        elif (problem := _cleartext(url)) is not None:
            out.warn(f"{where}.url", problem)
    headers = config.get("headers")
    if kind in REMOTE_TYPES and isinstance(headers, dict):
        for name, value in headers.items():
            if isinstance(value, str) and looks_like_credential(name, value):
                out.warn(
                    f"{where}.headers.{name:.64}",
                    "looks like a literal credential; use ${user_config.KEY} or ${VAR} instead",
                )


def mcp_server(where: str, config: Any, options: Container[str], verdict: Verdict) -> None:
    """One inline MCP server: its schema, then the validator's checks."""
    if not isinstance(config, dict):
        verdict.error(where, f"must be an object, not {kind_of(config)}")
        return
    before = len(verdict.errors)
    server_shape(where, config, verdict)
    if len(verdict.errors) == before:
        server_extras(where, config, options, verdict)
