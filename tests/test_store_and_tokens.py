"""The embedded store and the token service."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from skillport_connector.auth import Identity, TokenService
from skillport_connector.store import SQLiteStore


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_values_survive_a_restart(tmp_path: Path):
    store = SQLiteStore(tmp_path / "s.db")
    store.put("k", {"v": 1})
    store.close()
    assert SQLiteStore(tmp_path / "s.db").get("k") == {"v": 1}


def test_expiry_is_enforced_by_the_store(tmp_path: Path):
    clock = Clock()
    store = SQLiteStore(tmp_path / "s.db", clock=clock)
    store.put("k", {"v": 1}, ttl=10)
    clock.now += 9.9
    assert store.get("k") == {"v": 1}
    clock.now += 0.2
    assert store.get("k") is None
    assert store.claim("k") == (None, False)


def test_claim_succeeds_exactly_once_across_threads(tmp_path: Path):
    store = SQLiteStore(tmp_path / "s.db")
    store.put("once", {"x": 1})
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda _: store.claim("once")[1], range(100)))
    assert results.count(True) == 1


def test_claim_succeeds_exactly_once_across_processes(tmp_path: Path):
    db = tmp_path / "s.db"
    SQLiteStore(db).put("once", {"x": 1})
    code = (
        "import sys; from skillport_connector.store import SQLiteStore;"
        f"print(SQLiteStore({str(db)!r}).claim('once')[1])"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    outputs = [p.communicate()[0].strip() for p in procs]
    assert outputs.count("True") == 1 and outputs.count("False") == 7


def test_api_token_maps_back_to_its_identity(tmp_path: Path):
    tokens = TokenService(SQLiteStore(tmp_path / "s.db"))
    who = Identity.local("bo@example.com", id="google:1143", name="Bo")
    token = tokens.mint_api_token(who)
    assert token.startswith("sk_api_") and len(token) == 7 + 32
    assert tokens.identity_for(token) == who
    assert tokens.identity_for(token + "x") is None


def test_revoked_api_token_stops_working_at_once(tmp_path: Path):
    tokens = TokenService(SQLiteStore(tmp_path / "s.db"))
    token = tokens.mint_api_token(Identity.local("bo@example.com"))
    assert tokens.revoke_api_token(token)
    assert tokens.identity_for(token) is None


def test_tokens_are_random_and_stored_hashed(tmp_path: Path):
    tokens = TokenService(SQLiteStore(tmp_path / "s.db"))
    who = Identity.local("bo@example.com")
    minted = {tokens.mint_api_token(who) for _ in range(200)}
    assert len(minted) == 200
    keys = [row[0] for row in sqlite3.connect(tmp_path / "s.db").execute("SELECT key FROM kv")]
    assert all(k.startswith("api:") and len(k) == 4 + 64 for k in keys)
    assert not any(t[7:] in k for t in minted for k in keys)


def test_identity_ids_are_provider_scoped():
    who = Identity.local("Ann@Example.com")
    assert who.id == "local:ann@example.com" and who.provider == "local"
    assert Identity.local("a@b.c", id="entra:xyz").provider == "entra"


def test_identity_rejects_bad_input():
    import pytest

    for bad in ("not-an-email", "a b@c.d"):
        with pytest.raises(ValueError):
            Identity.local(bad)
    with pytest.raises(ValueError):
        Identity.local("a@b.c", id="nocolon")


def test_values_are_encrypted_at_rest_and_unreadable_with_another_key(tmp_path: Path):
    from cryptography.fernet import Fernet

    from skillport_connector.store.encrypted import EncryptedStore

    key = Fernet.generate_key().decode()
    store = EncryptedStore(SQLiteStore(tmp_path / "s.db"), key)
    tokens = TokenService(store)
    token = tokens.mint_api_token(Identity.local("secret.person@example.com"))
    raw = (tmp_path / "s.db").read_bytes() + b"".join(
        p.read_bytes() for p in tmp_path.glob("s.db-*")
    )
    assert b"secret.person" not in raw
    assert tokens.identity_for(token).email == "secret.person@example.com"
    other = TokenService(
        EncryptedStore(SQLiteStore(tmp_path / "s.db"), Fernet.generate_key().decode())
    )
    assert other.identity_for(token) is None


def test_redis_without_a_shared_secret_key_does_not_start():
    import pytest

    from skillport_connector.settings import ConfigError, Settings, demo_marketplace

    with pytest.raises(ConfigError, match="SKILLPORT_SECRET_KEY"):
        Settings(marketplace=demo_marketplace(), redis_url="redis://127.0.0.1:1/0").check()


def test_the_database_and_its_wal_and_shm_files_are_private(tmp_path: Path):
    import os
    import stat

    store = SQLiteStore(tmp_path / "data" / "s.db")
    store.put("k", {"v": 1})
    files = sorted(p.name for p in (tmp_path / "data").iterdir())
    assert files == ["s.db", "s.db-shm", "s.db-wal"]
    for name in files:
        mode = stat.S_IMODE(os.stat(tmp_path / "data" / name).st_mode)
        assert mode == 0o600, f"{name} is {oct(mode)}"
    assert stat.S_IMODE(os.stat(tmp_path / "data").st_mode) == 0o700


def test_files_an_older_version_left_readable_are_made_private(tmp_path: Path):
    import os
    import stat

    db = tmp_path / "s.db"
    for name in ("s.db", "s.db-wal", "s.db-shm"):
        (tmp_path / name).touch(mode=0o644)
        os.chmod(tmp_path / name, 0o644)
    SQLiteStore(db).put("k", {"v": 1})
    for name in ("s.db", "s.db-wal", "s.db-shm"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600
