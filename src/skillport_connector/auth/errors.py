"""Errors of the authorization server, on the domain hierarchy (:mod:`..errors`).

On the wire they keep the shape RFC 6749 prescribes: ``{"error", "error_description"}``
(plus ``message``, the connector's usual field). ``error`` is the RFC code, carried as the
domain error's ``code``; the HTTP status follows from the kind.

    OAuthError            kind "invalid"          400  invalid_request, invalid_grant, …
    ├── InvalidClient     kind "unauthenticated"  401  invalid_client
    ├── RequestTooLarge   kind "too_large"        413  invalid_request
    └── RedirectError     kind "invalid"          302  reported through the redirect URI
"""

from __future__ import annotations

from typing import ClassVar

from ..errors import Kind, SkillportError

#: HTTP status of each kind on the OAuth endpoints and pages.
STATUS: dict[Kind, int] = {
    "invalid": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "gone": 410,
    "too_large": 413,
    "rate_limited": 429,
    "unavailable": 503,
}


class OAuthError(SkillportError):
    """An authorization-server error; ``error`` is the RFC 6749 code."""

    kind: ClassVar[Kind] = "invalid"

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description, code=error)

    @property
    def error(self) -> str:
        return self.code or "invalid_request"

    @property
    def description(self) -> str:
        return self.message

    @property
    def status(self) -> int:
        return STATUS.get(self.kind, 400)

    def body(self) -> dict[str, str]:
        return {
            "error": self.error,
            "error_description": self.description,
            "message": self.description,
        }


class InvalidClient(OAuthError):
    kind: ClassVar[Kind] = "unauthenticated"

    def __init__(self, description: str) -> None:
        super().__init__("invalid_client", description)


class RequestTooLarge(OAuthError):
    kind: ClassVar[Kind] = "too_large"

    def __init__(self, description: str, error: str = "invalid_request") -> None:
        super().__init__(error, description)


class RedirectError(OAuthError):
    """An authorization error to report through the client's redirect URI (``location``)."""

    def __init__(self, location: str, error: str, description: str) -> None:
        super().__init__(error, description)
        self.location = location
