"""Encryption at rest for any store: values are Fernet tokens (AES-128-CBC + HMAC-SHA256).

Keys are already hashes of the tokens they index; this protects what the values hold
(who a token belongs to, sign-in state, PKCE verifiers) in a copied database or a shared
Redis. The key comes from ``SKILLPORT_SECRET_KEY``, or for the embedded store from a key
file created in the data folder (mode 0600) on first start.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from .base import Listener, Store, Subscription


def load_or_create_key(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key


class EncryptedStore:
    def __init__(self, inner: Store, key: str) -> None:
        self.inner = inner
        self._fernet = Fernet(key.encode() if isinstance(key, str) else key)

    def _seal(self, value: dict[str, Any]) -> dict[str, Any]:
        return {"sealed": self._fernet.encrypt(json.dumps(value).encode()).decode()}

    def _open(self, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        try:
            return json.loads(self._fernet.decrypt(value["sealed"].encode()))  # type: ignore[no-any-return]
        except (InvalidToken, KeyError, TypeError):
            return None  # written with another key, or not by us: as good as absent

    def put(self, key: str, value: dict[str, Any], ttl: float | None = None) -> None:
        self.inner.put(key, self._seal(value), ttl)

    def get(self, key: str) -> dict[str, Any] | None:
        return self._open(self.inner.get(key))

    def get_expiring(self, key: str) -> tuple[dict[str, Any] | None, float | None]:
        value, expires_at = self.inner.get_expiring(key)
        opened = self._open(value)
        return opened, expires_at if opened is not None else None

    def delete(self, key: str) -> bool:
        return self.inner.delete(key)

    def claim(self, key: str) -> tuple[dict[str, Any] | None, bool]:
        value, first = self.inner.claim(key)
        opened = self._open(value)
        return opened, first and opened is not None

    def incr(self, key: str, ttl: float) -> int:
        return self.inner.incr(key, ttl)

    def publish(self, channel: str, message: dict[str, Any]) -> int:
        # Messages are hints (a commit id, a token digest), never secrets or authority.
        return self.inner.publish(channel, message)

    def subscribe(self, channel: str, listener: Listener) -> Subscription:
        return self.inner.subscribe(channel, listener)

    def close(self) -> None:
        self.inner.close()
