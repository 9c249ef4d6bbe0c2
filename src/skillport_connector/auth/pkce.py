"""PKCE (RFC 7636), ``S256`` only: the server checks it, the upstream sign-in uses it."""

from __future__ import annotations

import base64
import hashlib
import hmac


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def valid_length(value: str | None) -> bool:
    """Verifiers and challenges are 43 to 128 characters (RFC 7636 §4.1)."""
    return value is not None and 43 <= len(value) <= 128


def verify(verifier: str | None, challenge: str) -> bool:
    return (
        verifier is not None
        and valid_length(verifier)
        and hmac.compare_digest(s256(verifier), challenge)
    )
