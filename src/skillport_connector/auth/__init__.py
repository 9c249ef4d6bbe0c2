"""Who is calling: identities and the tokens that carry them."""

from .identity import Identity
from .tokens import API_TOKEN_TTL, INSTALL_TOKEN_TTL, TokenService

__all__ = ["API_TOKEN_TTL", "INSTALL_TOKEN_TTL", "Identity", "TokenService"]
