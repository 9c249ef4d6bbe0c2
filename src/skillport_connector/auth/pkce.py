"""PKCE (RFC 7636), ``S256`` only: the server checks it, the upstream sign-in uses it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

#: A verifier, and an S256 challenge, is 43 to 128 unreserved characters (RFC 7636 §4.1-4.2).
_UNRESERVED = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def well_formed(value: str | None) -> bool:
    """Whether ``value`` may be a verifier or a challenge: 43 to 128 characters of
    ``[A-Za-z0-9-._~]`` (RFC 7636 §4.1), so ASCII and safe to compare as bytes."""
    return value is not None and _UNRESERVED.fullmatch(value) is not None


def verify(verifier: str | None, challenge: str) -> bool:
    return (
        well_formed(verifier)
        and well_formed(challenge)
        and hmac.compare_digest(s256(verifier or "").encode(), challenge.encode())
    )
