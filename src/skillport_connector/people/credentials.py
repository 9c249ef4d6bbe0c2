"""Signed-in state per connector: tokens in the OS keyring when there is a usable one
(the optional ``keyring`` package), else in a 0600 file under the config folder; the
current connector and the registered client id (not secrets) in ``config.json``.

``SKILLPORT_KEYRING=0`` forces the file. Files are written whole and atomically (a crash
leaves the old one), created 0600 in a 0700 folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from . import paths

KEYRING_SERVICE = "skillport-connector"


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    #: Unix time the access token stops working.
    expires_at: float
    client_id: str

    @classmethod
    def from_dict(cls, data: Any) -> Tokens | None:
        try:
            return cls(
                access_token=str(data["access_token"]),
                refresh_token=str(data["refresh_token"]),
                expires_at=float(data["expires_at"]),
                client_id=str(data["client_id"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object file, or {} when missing or unreadable (never an exception)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_private(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as JSON, readable by the owner only, replacing the file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        path.parent.chmod(0o700)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2)
            out.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class SecretBackend(Protocol):
    name: str

    @property
    def location(self) -> str:
        """Where the secrets are, for a person to read."""
        ...

    def load(self, server: str) -> dict[str, Any] | None: ...

    def save(self, server: str, data: dict[str, Any]) -> None: ...

    def delete(self, server: str) -> None: ...


class FileBackend:
    name = "file"

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def location(self) -> str:
        return str(self.path)

    def load(self, server: str) -> dict[str, Any] | None:
        entry = read_json(self.path).get(server)
        return entry if isinstance(entry, dict) else None

    def save(self, server: str, data: dict[str, Any]) -> None:
        everything = read_json(self.path)
        everything[server] = data
        write_private(self.path, everything)

    def delete(self, server: str) -> None:
        everything = read_json(self.path)
        if everything.pop(server, None) is not None:
            write_private(self.path, everything)


class KeyringBackend:
    name = "keyring"
    location = "the OS keyring"

    def __init__(self, module: Any) -> None:
        self.keyring = module

    def load(self, server: str) -> dict[str, Any] | None:
        raw = self.keyring.get_password(KEYRING_SERVICE, server)
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def save(self, server: str, data: dict[str, Any]) -> None:
        self.keyring.set_password(KEYRING_SERVICE, server, json.dumps(data))

    def delete(self, server: str) -> None:
        with contextlib.suppress(Exception):
            self.keyring.delete_password(KEYRING_SERVICE, server)


def usable_keyring() -> KeyringBackend | None:
    """The OS keyring through the optional ``keyring`` package, if one really works here."""
    if os.environ.get("SKILLPORT_KEYRING", "1") == "0":
        return None
    try:
        import keyring  # type: ignore[import-not-found, unused-ignore]
        from keyring.backends import fail  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
            return None
    except Exception:
        return None
    return KeyringBackend(keyring)


class Credentials:
    """The current connector, and the tokens for each connector signed in to."""

    def __init__(self, root: Path | None = None, secrets: SecretBackend | None = None) -> None:
        self.root = root or paths.config_dir()
        self.config_path = self.root / "config.json"
        self.secrets: SecretBackend = (
            secrets or usable_keyring() or FileBackend(self.root / "credentials.json")
        )

    def current_server(self) -> str | None:
        server = os.environ.get("SKILLPORT_URL") or read_json(self.config_path).get("server")
        return server.rstrip("/") if isinstance(server, str) and server else None

    def set_current_server(self, server: str) -> None:
        config = read_json(self.config_path)
        config["server"] = server
        write_private(self.config_path, config)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """An exclusive lock across processes (``flock`` on ``.lock``; none where absent)."""
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock
            yield
            return
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def tokens(self, server: str) -> Tokens | None:
        return Tokens.from_dict(self.secrets.load(server))

    def save(self, server: str, tokens: Tokens) -> None:
        self.secrets.save(server, asdict(tokens))

    def forget(self, server: str) -> None:
        self.secrets.delete(server)
