"""The ``network`` a plugin (or one of its stdio MCP servers) declares: the hosts it reaches,
shown by ``claude plugin validate`` and never enforced. A malformed one is only a warning:
Claude Code ignores it. Pure functions."""

from __future__ import annotations

import re
from typing import Any

from .checks import Verdict, kind_of

MAX_HOSTS = 256
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(
    rf"^(?:\*\.)?(?:{_LABEL}(?:\.{_LABEL})*|\d{{1,3}}(?:\.\d{{1,3}}){{3}}|\[[0-9a-f:.]+\])"
    r"(?::\d{1,5})?$"
)


def is_host(value: Any) -> bool:
    """A host as ``sandbox.network.allowedDomains`` takes it: ``api.example.com``,
    ``*.example.com``, ``10.0.0.1``, ``[::1]``, each with an optional ``:port``."""
    return isinstance(value, str) and value.isascii() and bool(_HOST.match(value))


def network_warnings(where: str, value: Any, verdict: Verdict) -> None:
    if not isinstance(value, dict) or not isinstance(value.get("hosts"), list):
        verdict.warn(
            where,
            "must be an object with a list of hosts, such as "
            f'{{"hosts": ["api.example.com"]}}, not {kind_of(value)}; it is ignored',
        )
        return
    for key in value:
        if key != "hosts":
            verdict.warn(f"{where}.{key:.64}", "is not a field Claude Code reads; it is ignored")
    hosts: list[Any] = value["hosts"]
    for index, host in enumerate(hosts[:MAX_HOSTS]):
        if not is_host(host):
            verdict.warn(
                f"{where}.hosts[{index}]",
                "is not a host (e.g. api.example.com, "
                "*.example.com, 10.0.0.1, each with an optional :port); it is ignored",
            )
    if len(hosts) > MAX_HOSTS:
        verdict.warn(f"{where}.hosts", f"only the first {MAX_HOSTS} entries are read")
