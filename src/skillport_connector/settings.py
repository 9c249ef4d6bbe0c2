"""Configuration: command-line flags win over ``SKILLPORT_*`` environment variables (or a
TOML file of them), which win over the defaults. Every setting is a row of
:data:`.settings_table.SETTINGS`; this module holds the values and the checks at start."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .auth.providers import UpstreamConfig, select_provider
from .catalog import Limits
from .clientip import ClientAddress, parse_networks
from .errors import ConfigError
from .loopback import is_loopback_host, is_loopback_url
from .settings_table import SETTINGS, Setting

__all__ = ["SETTINGS", "ConfigError", "Setting", "Settings", "demo_marketplace"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(base) / "skillport-connector"


def demo_marketplace() -> Path:
    return Path(__file__).parent / "demo"


@dataclass(frozen=True)
class Settings:
    #: A folder, a git repository path, or a git URL (https://, ssh://, git@host:repo, file://).
    marketplace: Path | str = field(default_factory=demo_marketplace)
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    data_dir: Path = field(default_factory=default_data_dir)
    public_url: str | None = None
    dev_user: str = "developer@localhost"
    max_package_bytes: int = 30 * 1024 * 1024
    min_refresh_interval: float = 2.0
    branch: str | None = None
    git_read_token: str | None = field(default=None, repr=False)
    git_write_token: str | None = field(default=None, repr=False)
    poll_interval: float = 60.0
    github_webhook_secret: str | None = field(default=None, repr=False)
    gitlab_webhook_token: str | None = field(default=None, repr=False)
    #: "-" for standard output, a file path, or "" to switch the audit log off.
    audit_log: str = "-"
    log_format: Literal["text", "json"] = "text"
    demo_path: Path = field(default_factory=demo_marketplace)
    mcp_classic_tools: bool = False
    allowed_hosts: tuple[str, ...] = ()
    rate_limit_user: int = 120
    rate_limit_ip: int = 600
    rate_limit_register: int = 30
    #: Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For is believed.
    trusted_proxies: tuple[str, ...] = ()
    redis_url: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = field(default=None, repr=False)
    oidc_provider_name: str = "oidc"
    google_client_id: str | None = None
    google_client_secret: str | None = field(default=None, repr=False)
    entra_tenant_id: str | None = None
    entra_client_id: str | None = None
    entra_client_secret: str | None = field(default=None, repr=False)
    allowed_domains: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ("https://claude.ai", "https://claude.com")
    limits: Limits = field(default_factory=Limits)

    @property
    def base_url(self) -> str:
        """The address clients use; install.sh has it baked in, so it never comes from a request."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def store_path(self) -> Path:
        return self.data_dir / "state.sqlite3"

    @property
    def loopback(self) -> bool:
        """The server listens on a loopback address only."""
        return is_loopback_host(self.host)

    @property
    def local_only(self) -> bool:
        """Nobody but this machine can reach the server: it listens on loopback and its
        public URL is loopback (no reverse proxy publishes it)."""
        return self.loopback and is_loopback_url(self.base_url)

    @property
    def dev_sign_in(self) -> bool:
        """The "any e-mail" sign-in: only without an identity provider, and only when
        nobody else can reach the server (:attr:`local_only`: it listens on loopback and its
        public URL is loopback, so neither the network nor a proxy can use it)."""
        return self.upstream() is None and self.local_only

    def client_address(self) -> ClientAddress:
        """How to tell the client's address (trusted proxies' X-Forwarded-For)."""
        return ClientAddress(parse_networks(self.trusted_proxies))

    def upstream(self) -> UpstreamConfig | None:
        """The configured identity provider, or None (see :mod:`.auth.providers`)."""
        return select_provider(self)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = dict(os.environ if env is None else env)
        config_file = overrides.pop("config", None) or env.get("SKILLPORT_CONFIG")
        if config_file:
            env = {**_read_toml(str(config_file)), **env}
        values: dict[str, object] = {}
        for s in SETTINGS:
            if s.field is None or s.env is None or s.env not in env:
                continue
            text = env[s.env]
            if text or s.empty_is_value:
                values[s.field] = s.cast(text, s.env)
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)  # type: ignore[arg-type]
        settings.check()
        return settings

    def check(self) -> None:
        """ConfigError for a configuration that cannot work or is unsafe."""
        if not 0 < self.port < 65536:
            raise ConfigError(f"port {self.port} is out of range (1-65535)")
        self._check_public_url()
        if self.upstream() is None and not self.local_only:
            raise ConfigError(
                "no identity provider is configured and the server can be reached from "
                f"elsewhere (it listens on {self.host}, public URL {self.base_url}): the "
                "development sign-in only runs on 127.0.0.1 (it lets anyone sign in as anyone): "
                "listening on loopback (SKILLPORT_HOST=127.0.0.1) with a loopback public URL, "
                "never behind a proxy. Set SKILLPORT_GOOGLE_CLIENT_ID/SECRET, "
                "SKILLPORT_ENTRA_TENANT_ID/CLIENT_ID/CLIENT_SECRET or "
                "SKILLPORT_OIDC_ISSUER/CLIENT_ID/CLIENT_SECRET"
            )
        self._check_store()
        try:
            parse_networks(self.trusted_proxies)
        except ValueError as exc:
            raise ConfigError(f"SKILLPORT_TRUSTED_PROXIES: {exc}") from None
        from .sources.factory import is_remote

        location = str(self.marketplace)
        if not is_remote(location) and not Path(location).is_dir():
            raise ConfigError(
                f"marketplace {location} is neither a folder nor a git URL "
                "(https://…, ssh://…, git@host:repo, file://…)"
            )

    def _check_public_url(self) -> None:
        if not self.public_url and not self.loopback:
            raise ConfigError(
                "set SKILLPORT_PUBLIC_URL (the https address clients reach) off loopback"
            )
        url = self.public_url
        if url and not url.startswith(("http://", "https://")):
            raise ConfigError(
                "SKILLPORT_PUBLIC_URL must start with https:// (or http:// on loopback)"
            )
        if url and url.startswith("http://") and not is_loopback_url(url):
            raise ConfigError(
                f"SKILLPORT_PUBLIC_URL {url} must use https:// (http:// is accepted only for a "
                "loopback address): tokens and sign-in cookies would cross the network in clear"
            )

    def _check_store(self) -> None:
        if self.redis_url and not self.secret_key:
            raise ConfigError(
                "SKILLPORT_REDIS_URL needs SKILLPORT_SECRET_KEY (the same on every instance); "
                "make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            )
        if self.secret_key:
            try:
                from cryptography.fernet import Fernet

                Fernet(self.secret_key.encode())
            except ValueError:
                raise ConfigError(
                    "SKILLPORT_SECRET_KEY must be 32 url-safe base64-encoded bytes"
                ) from None


def _read_toml(path: str) -> dict[str, str]:
    """The same SKILLPORT_* keys as the environment, from one TOML file."""
    import tomllib

    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the configuration file {path}: {exc}") from None
    known = [s.env for s in SETTINGS if s.env]
    out: dict[str, str] = {}
    for key, value in data.items():
        if key not in known:  # a typo would otherwise be ignored without a word
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]}?" if close else "keys are the SKILLPORT_* variables"
            raise ConfigError(f"{path}: unknown key {key!r} ({hint})")
        out[key] = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    return out
