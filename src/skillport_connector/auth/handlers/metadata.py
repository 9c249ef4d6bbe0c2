"""Discovery documents: RFC 8414 (authorization server) and RFC 9728 (protected resource).

Both are fixed by the configuration (every URL in them comes from the public URL, never
from the request's ``Host``), so each is served as a :class:`~...conditional.FixedJSON`:
a strong ETag, 304 on ``If-None-Match``, and ``Cache-Control: public`` with a modest
max-age, since a shared cache may keep what is the same for everybody.
"""

from __future__ import annotations

from typing import Any

from ...conditional import FixedJSON
from ..oauth import SCOPES
from ..records import AUTH_METHODS, GRANT_TYPES


def authorization_server_metadata(base: str) -> dict[str, Any]:
    """RFC 8414 metadata of the authorization server at ``base``."""
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/authorize",
        "token_endpoint": f"{base}/token",
        "registration_endpoint": f"{base}/register",
        "revocation_endpoint": f"{base}/revoke",
        "device_authorization_endpoint": f"{base}/device_authorization",
        "response_types_supported": ["code"],
        "grant_types_supported": list(GRANT_TYPES),
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "scopes_supported": list(SCOPES),
    }


def protected_resource_metadata(resource: str, base: str) -> dict[str, Any]:
    """RFC 9728 metadata of ``resource``, protected by the authorization server at ``base``."""
    return {
        "resource": resource,
        "authorization_servers": [base],
        "scopes_supported": list(SCOPES),
        "bearer_methods_supported": ["header"],
        "resource_name": "Skillport",
    }


class AuthorizationServerMetadataHandler(FixedJSON):
    def __init__(self, base_url: str) -> None:
        super().__init__(authorization_server_metadata(base_url))


class ProtectedResourceMetadataHandler(FixedJSON):
    def __init__(self, resource: str, base_url: str) -> None:
        super().__init__(protected_resource_metadata(resource, base_url))
