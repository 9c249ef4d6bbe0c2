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
#: What a client that names no grant types may use (RFC 7591 §2 defaults to the code grant).
DEFAULT_GRANT_TYPES: tuple[GrantType, ...] = ("authorization_code", "refresh_token")


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
    """The metadata kept of a registration, every field and list item type-checked."""
    return ClientMetadata(
        client_name=_client_name(metadata.get("client_name")),
        redirect_uris=_redirect_uris(metadata.get("redirect_uris")),
        token_endpoint_auth_method=_auth_method(metadata.get("token_endpoint_auth_method")),
        grant_types=_grant_types(metadata.get("grant_types")),
    )


def _strings(value: object) -> list[str] | None:
    """``value`` when it is a JSON list of strings, else None."""
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return cast(list[str], value)
    return None


def _redirect_uris(value: object) -> tuple[str, ...]:
    uris = _strings(value)
    if uris is None or not 0 < len(uris) <= MAX_REDIRECT_URIS:
        raise OAuthError(
            "invalid_redirect_uri", f"redirect_uris must list 1 to {MAX_REDIRECT_URIS} URIs"
        )
    for uri in uris:
        why = check_redirect_uri(uri)
        if why:
            raise OAuthError("invalid_redirect_uri", why)
    return tuple(uris)


def _auth_method(value: object) -> AuthMethod:
    method = "none" if value is None else value
    if not isinstance(method, str) or method not in AUTH_METHODS:
        raise OAuthError(
            "invalid_client_metadata",
            f"token_endpoint_auth_method must be one of {', '.join(AUTH_METHODS)}",
        )
    return cast(AuthMethod, method)


def _grant_types(value: object) -> tuple[GrantType, ...]:
    grants = list(DEFAULT_GRANT_TYPES) if value is None else _strings(value)
    if grants is None or not grants or any(grant not in GRANT_TYPES for grant in grants):
        raise OAuthError(
            "invalid_client_metadata", f"grant_types may list any of {', '.join(GRANT_TYPES)}"
        )
    return tuple(dict.fromkeys(cast(list[GrantType], grants)))


def _client_name(value: object) -> str:
    if value is None or value == "":
        return "an unnamed application"
    if not isinstance(value, str) or len(value) > MAX_CLIENT_NAME or not value.isprintable():
        raise OAuthError(
            "invalid_client_metadata",
            f"client_name must be printable text of at most {MAX_CLIENT_NAME} characters",
        )
    return value
