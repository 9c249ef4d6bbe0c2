"""The connector's domain errors: one hierarchy, each error carrying a *kind*.

A service, the catalog, the sources or the OAuth server raise these; they never know
about HTTP or MCP. Exactly one place maps kinds to HTTP statuses
(:mod:`skillport_connector.api.errors`) and one to MCP errors
(:mod:`skillport_connector.mcp.errors`).

    SkillportError                 base: ``kind`` + a message that says what to do
    ├── InvalidRequest             kind "invalid"          the caller sent something unusable
    ├── Unauthenticated            kind "unauthenticated"  no, unknown or expired credentials
    ├── Forbidden                  kind "forbidden"        known caller, not allowed
    ├── NotFound                   kind "not_found"        absent, or not the caller's to see
    ├── Ambiguous                  kind "ambiguous"        a name matches several things
    ├── Conflict                   kind "conflict"         the state moved under the caller
    ├── Gone                       kind "gone"             existed once, used up (single-use)
    ├── TooLarge                   kind "too_large"        over a configured limit
    ├── RateLimited                kind "rate_limited"     too many; ``retry_after`` seconds
    └── Unavailable                kind "unavailable"      a dependency is down; retry later

``code`` is the wire value of ``{"error": …}``; it defaults to the kind's standard code and
may be more specific (``"name_taken"``). A message never contains a token.
"""

from __future__ import annotations

from typing import ClassVar, Literal

Kind = Literal[
    "invalid",
    "unauthenticated",
    "forbidden",
    "not_found",
    "ambiguous",
    "conflict",
    "gone",
    "too_large",
    "rate_limited",
    "unavailable",
]


class SkillportError(Exception):
    """Base of every domain error; ``kind`` selects the HTTP status and the MCP error."""

    kind: ClassVar[Kind]

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.retry_after = retry_after


class InvalidRequest(SkillportError):
    kind = "invalid"


class Unauthenticated(SkillportError):
    kind = "unauthenticated"


class Forbidden(SkillportError):
    kind = "forbidden"


class NotFound(SkillportError):
    kind = "not_found"


class Ambiguous(SkillportError):
    """A bare skill name several plugins provide; ``candidates`` are their qualified ids."""

    kind = "ambiguous"

    def __init__(self, message: str, candidates: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.candidates = candidates


class Conflict(SkillportError):
    kind = "conflict"


class Gone(SkillportError):
    kind = "gone"


class TooLarge(SkillportError):
    kind = "too_large"


class RateLimited(SkillportError):
    kind = "rate_limited"


class Unavailable(SkillportError):
    kind = "unavailable"


class ConfigError(Exception):
    """Configuration that cannot work, found at start; the message says what to change.

    Not a :class:`SkillportError`: it never answers a request, it stops ``serve``.
    """
