"""Dynamic client registration (RFC 7591): what a client may register, bounded.

Anyone on the network may register, so everything kept is bounded: the request body
(:data:`MAX_REGISTRATION_BYTES`), the number and length of redirect URIs and the name; other
metadata is ignored, not stored. A client that never obtains a token expires after
:data:`UNUSED_CLIENT_TTL`; registrations are also rate-limited per client address.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

from .errors import OAuthError, RequestTooLarge
from .records import AUTH_METHODS, GRANT_TYPES, AuthMethod, GrantType
from .redirects import check_redirect_uri

MAX_REGISTRATION_BYTES = 8 * 1024
MAX_REDIRECT_URIS = 10
MAX_CLIENT_NAME = 200
#: A client that has not obtained a token yet lives this long (an authorization takes
#: minutes); its first token extends it to ``CLIENT_TTL``.
UNUSED_CLIENT_TTL = 3600
CLIENT_TTL = 365 * 24 * 3600


@dataclass(frozen=True)
class ClientMetadata:
    """The validated part of a registration request."""

    client_name: str
    redirect_uris: tuple[str, ...]
    token_endpoint_auth_method: AuthMethod
    grant_types: tuple[GrantType, ...]


def parse_body(raw: bytes) -> dict[str, Any]:
    """The JSON object of a registration request, or OAuthError."""
    if len(raw) > MAX_REGISTRATION_BYTES:
        raise RequestTooLarge(
            f"registration request larger than {MAX_REGISTRATION_BYTES} bytes",
            "invalid_client_metadata",
        )
    try:
        metadata = json.loads(raw or b"{}")
    except (ValueError, RecursionError):
        raise OAuthError("invalid_client_metadata", "the body must be JSON") from None
    if not isinstance(metadata, dict):
        raise OAuthError("invalid_client_metadata", "the body must be a JSON object")
    return metadata


def validate(metadata: dict[str, Any]) -> ClientMetadata:
    uris = metadata.get("redirect_uris")
    if not isinstance(uris, list) or not 0 < len(uris) <= MAX_REDIRECT_URIS:
        raise OAuthError(
            "invalid_redirect_uri", f"redirect_uris must list 1 to {MAX_REDIRECT_URIS} URIs"
        )
    for uri in uris:
        why = check_redirect_uri(uri)
        if why:
            raise OAuthError("invalid_redirect_uri", why)
    method = metadata.get("token_endpoint_auth_method", "none")
    if method not in AUTH_METHODS:
        raise OAuthError(
            "invalid_client_metadata", f"unsupported token_endpoint_auth_method {method!r}"
        )
    grants = metadata.get("grant_types", ["authorization_code", "refresh_token"])
    if not isinstance(grants, list) or not set(grants) <= set(GRANT_TYPES):
        raise OAuthError(
            "invalid_client_metadata",
            f"grant_types may be any of {', '.join(GRANT_TYPES)}",
        )
    name = metadata.get("client_name") or "an unnamed application"
    if not isinstance(name, str) or len(name) > MAX_CLIENT_NAME:
        raise OAuthError(
            "invalid_client_metadata",
            f"client_name must be a string of at most {MAX_CLIENT_NAME} characters",
        )
    return ClientMetadata(
        client_name=name,
        redirect_uris=tuple(uris),
        token_endpoint_auth_method=cast(AuthMethod, method),
        grant_types=tuple(dict.fromkeys(cast(list[GrantType], grants))),
    )
