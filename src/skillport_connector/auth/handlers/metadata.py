"""Discovery documents: RFC 8414 (authorization server) and RFC 9728 (protected resource)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from ..oauth import SCOPES
from ..records import AUTH_METHODS, GRANT_TYPES
from .common import oauth_json


@dataclass(frozen=True)
class AuthorizationServerMetadataHandler:
    base_url: str

    async def handle(self, request: Request) -> Response:
        base = self.base_url
        return oauth_json(
            {
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
        )


@dataclass(frozen=True)
class ProtectedResourceMetadataHandler:
    resource: str
    base_url: str

    async def handle(self, request: Request) -> Response:
        return oauth_json(
            {
                "resource": self.resource,
                "authorization_servers": [self.base_url],
                "scopes_supported": list(SCOPES),
                "bearer_methods_supported": ["header"],
                "resource_name": "Skillport",
            }
        )
