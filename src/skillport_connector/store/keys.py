"""Every key the connector writes to the store, in one place.

A key is ``<prefix><id>``; ids that are secrets (tokens, codes) are stored only as their
SHA-256 hex digest, so a copied store reveals no usable credential. The strings are part
of the on-disk format: changing one forgets what the store already holds.
"""

from __future__ import annotations

import hashlib

#: OAuth: registered clients, by client id.
OAUTH_CLIENT = "oauth:client:"
#: OAuth: an authorization request waiting for sign-in and consent, by its random id.
OAUTH_PENDING = "oauth:pending:"
#: OAuth: the state of a sign-in at the upstream identity provider, by its ``state``.
OAUTH_UPSTREAM = "oauth:upstream:"
#: OAuth: authorization codes (hashed).
OAUTH_CODE = "oauth:code:"
#: OAuth: which grant family a spent code produced (hashed code), to revoke it on replay.
OAUTH_CODE_FAMILY = "oauth:codefamily:"
#: OAuth: a grant family (every token descended from one authorization).
OAUTH_FAMILY = "oauth:family:"
#: OAuth: access tokens (hashed).
OAUTH_ACCESS = "oauth:access:"
#: OAuth: refresh tokens (hashed).
OAUTH_REFRESH = "oauth:refresh:"
#: OAuth device authorization grant (RFC 8628): requests by device code (hashed), and the
#: device code's digest by user code (hashed, normalised).
OAUTH_DEVICE = "oauth:device:"
OAUTH_USER_CODE = "oauth:usercode:"
#: API tokens, install and edit tickets (hashed): ``api:``, ``install:``, ``edit:``.
API_TOKEN = "api:"
INSTALL_TICKET = "install:"
EDIT_TICKET = "edit:"
#: Marks a redeemed install/edit ticket (hashed), so a replay is refused unread:
#: ``spent:install:``, ``spent:edit:``.
SPENT_TICKET = "spent:"
#: Claude Code marketplace credentials (hashed), and each person's list of them (by the
#: digest of the person's id): ``cc:credential:``, ``cc:person:``.
CC_CREDENTIAL = "cc:credential:"
CC_PERSON = "cc:person:"
#: Webhook deliveries already acted on: ``webhook:<provider>:id:`` / ``:body:`` + digest.
WEBHOOK_DELIVERY = "webhook:"
#: Browser sessions of the web pages (hashed): ``websession:`` + digest of the cookie.
WEB_SESSION = "websession:"
#: Rate-limit counters: ``rl:<scope>:<subject>:<window>``.
RATE_LIMIT = "rl:"
#: Read by the readiness probe; never written.
READY_PROBE = "readyz:probe"


def digest(secret: str) -> str:
    """The SHA-256 hex digest under which a secret is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def hashed(prefix: str, secret: str) -> str:
    """The key of a secret-indexed record: ``prefix`` + its digest."""
    return prefix + digest(secret)


def rate_limit(scope: str, subject: str, window: int) -> str:
    return f"{RATE_LIMIT}{scope}:{subject}:{window}"
