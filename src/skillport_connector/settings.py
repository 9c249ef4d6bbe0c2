"""Configuration: command-line flags win over ``SKILLPORT_*`` environment variables,
which win over the defaults."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

from .auth.upstream import UpstreamConfig, entra, google, issuer_allowed
from .catalog import Limits

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(base) / "skillport-connector"


def demo_marketplace() -> Path:
    return Path(__file__).parent / "demo"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class ConfigError(Exception):
    """Configuration that cannot work; the message says what to change."""


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
    demo_path: Path = field(default_factory=demo_marketplace)
    #: Also expose list/search/get/install/check-updates/whoami as MCP tools.
    mcp_classic_tools: bool = False
    #: Extra Host header values the MCP endpoints accept (behind a proxy, say).
    allowed_hosts: tuple[str, ...] = ()
    #: Token-minting requests (install/edit tickets, skillport_auth) per user per minute.
    rate_limit_user: int = 120
    #: Sign-in and token-endpoint requests per client address per minute.
    rate_limit_ip: int = 600
    #: Shared state for several instances; the embedded SQLite store when unset.
    redis_url: str | None = field(default=None, repr=False)
    #: Fernet key encrypting stored values; required with Redis (all instances share it).
    secret_key: str | None = field(default=None, repr=False)
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = field(default=None, repr=False)
    #: Provider part of user ids for a generic issuer: okta:…, keycloak:…
    oidc_provider_name: str = "oidc"
    google_client_id: str | None = None
    google_client_secret: str | None = field(default=None, repr=False)
    entra_tenant_id: str | None = None
    entra_client_id: str | None = None
    entra_client_secret: str | None = field(default=None, repr=False)
    #: Google Workspace domains (hd), Entra tenant ids (tid) or verified e-mail domains.
    allowed_domains: tuple[str, ...] = ()
    #: Browser origins the MCP endpoints trust (others are refused: DNS-rebinding protection).
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
        return is_loopback(self.host)

    def upstream(self) -> UpstreamConfig | None:
        """The configured identity provider, or None (development sign-in on loopback)."""
        configured = []
        if self.oidc_issuer or self.oidc_client_id:
            configured.append("OIDC")
        if self.google_client_id:
            configured.append("Google")
        if self.entra_client_id or self.entra_tenant_id:
            configured.append("Entra")
        if len(configured) > 1:
            raise ConfigError(f"configure one identity provider, not {' and '.join(configured)}")
        if not configured:
            return None
        if configured == ["Google"]:
            if not self.google_client_secret:
                raise ConfigError("SKILLPORT_GOOGLE_CLIENT_SECRET is missing")
            return google(
                self.google_client_id or "", self.google_client_secret, self.allowed_domains
            )
        if configured == ["Entra"]:
            missing = [
                n
                for n, v in (
                    ("SKILLPORT_ENTRA_TENANT_ID", self.entra_tenant_id),
                    ("SKILLPORT_ENTRA_CLIENT_ID", self.entra_client_id),
                    ("SKILLPORT_ENTRA_CLIENT_SECRET", self.entra_client_secret),
                )
                if not v
            ]
            if missing:
                raise ConfigError(f"Entra ID sign-in needs {', '.join(missing)}")
            return entra(
                self.entra_tenant_id or "",
                self.entra_client_id or "",
                self.entra_client_secret or "",
                self.allowed_domains,
            )
        missing = [
            n
            for n, v in (
                ("SKILLPORT_OIDC_ISSUER", self.oidc_issuer),
                ("SKILLPORT_OIDC_CLIENT_ID", self.oidc_client_id),
                ("SKILLPORT_OIDC_CLIENT_SECRET", self.oidc_client_secret),
            )
            if not v
        ]
        if missing:
            raise ConfigError(f"OIDC sign-in needs {', '.join(missing)}")
        why = issuer_allowed(self.oidc_issuer or "", self.loopback)
        if why:
            raise ConfigError(why)
        return UpstreamConfig(
            self.oidc_provider_name,
            self.oidc_issuer or "",
            self.oidc_client_id or "",
            self.oidc_client_secret or "",
            self.allowed_domains,
        )

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Settings:
        env = dict(os.environ if env is None else env)
        config_file = overrides.pop("config", None) or env.get("SKILLPORT_CONFIG")
        if config_file:
            env = {**_read_toml(str(config_file)), **env}
        values: dict[str, object] = {}
        for key, name in (
            ("redis_url", "SKILLPORT_REDIS_URL"),
            ("secret_key", "SKILLPORT_SECRET_KEY"),
            ("oidc_issuer", "SKILLPORT_OIDC_ISSUER"),
            ("oidc_client_id", "SKILLPORT_OIDC_CLIENT_ID"),
            ("oidc_client_secret", "SKILLPORT_OIDC_CLIENT_SECRET"),
            ("oidc_provider_name", "SKILLPORT_OIDC_PROVIDER_NAME"),
            ("google_client_id", "SKILLPORT_GOOGLE_CLIENT_ID"),
            ("google_client_secret", "SKILLPORT_GOOGLE_CLIENT_SECRET"),
            ("entra_tenant_id", "SKILLPORT_ENTRA_TENANT_ID"),
            ("entra_client_id", "SKILLPORT_ENTRA_CLIENT_ID"),
            ("entra_client_secret", "SKILLPORT_ENTRA_CLIENT_SECRET"),
        ):
            if env.get(name):
                values[key] = env[name]
        for key, name in (
            ("rate_limit_user", "SKILLPORT_RATE_LIMIT_USER"),
            ("rate_limit_ip", "SKILLPORT_RATE_LIMIT_IP"),
        ):
            if env.get(name):
                values[key] = _int(env[name], name)
        if env.get("SKILLPORT_ALLOWED_DOMAINS"):
            values["allowed_domains"] = tuple(
                d.strip().lower() for d in env["SKILLPORT_ALLOWED_DOMAINS"].split(",") if d.strip()
            )
        if env.get("SKILLPORT_MARKETPLACE"):
            values["marketplace"] = env["SKILLPORT_MARKETPLACE"]
        for key, name in (
            ("branch", "SKILLPORT_BRANCH"),
            ("git_read_token", "SKILLPORT_GIT_READ_TOKEN"),
            ("git_write_token", "SKILLPORT_GIT_WRITE_TOKEN"),
            ("github_webhook_secret", "SKILLPORT_GITHUB_WEBHOOK_SECRET"),
            ("gitlab_webhook_token", "SKILLPORT_GITLAB_WEBHOOK_TOKEN"),
        ):
            if env.get(name):
                values[key] = env[name]
        if env.get("SKILLPORT_MCP_CLASSIC_TOOLS"):
            values["mcp_classic_tools"] = env["SKILLPORT_MCP_CLASSIC_TOOLS"].lower() in (
                "1",
                "true",
                "yes",
            )
        if env.get("SKILLPORT_ALLOWED_HOSTS"):
            values["allowed_hosts"] = tuple(
                h.strip() for h in env["SKILLPORT_ALLOWED_HOSTS"].split(",") if h.strip()
            )
        if env.get("SKILLPORT_ALLOWED_ORIGINS"):
            values["allowed_origins"] = tuple(
                o.strip() for o in env["SKILLPORT_ALLOWED_ORIGINS"].split(",") if o.strip()
            )
        if "SKILLPORT_AUDIT_LOG" in env:
            values["audit_log"] = env["SKILLPORT_AUDIT_LOG"]
        if env.get("SKILLPORT_POLL_INTERVAL"):
            values["poll_interval"] = float(
                _int(env["SKILLPORT_POLL_INTERVAL"], "SKILLPORT_POLL_INTERVAL")
            )
        if env.get("SKILLPORT_HOST"):
            values["host"] = env["SKILLPORT_HOST"]
        if env.get("SKILLPORT_PORT"):
            values["port"] = _int(env["SKILLPORT_PORT"], "SKILLPORT_PORT")
        if env.get("SKILLPORT_DATA_DIR"):
            values["data_dir"] = Path(env["SKILLPORT_DATA_DIR"])
        if env.get("SKILLPORT_PUBLIC_URL"):
            values["public_url"] = env["SKILLPORT_PUBLIC_URL"]
        if env.get("SKILLPORT_DEV_USER"):
            values["dev_user"] = env["SKILLPORT_DEV_USER"]
        if env.get("SKILLPORT_MAX_PACKAGE_BYTES"):
            values["max_package_bytes"] = _int(
                env["SKILLPORT_MAX_PACKAGE_BYTES"], "SKILLPORT_MAX_PACKAGE_BYTES"
            )
        if env.get("SKILLPORT_MAX_FILE_BYTES"):
            values["limits"] = Limits(
                max_file_bytes=_int(env["SKILLPORT_MAX_FILE_BYTES"], "SKILLPORT_MAX_FILE_BYTES")
            )
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)  # type: ignore[arg-type]
        settings.check()
        return settings

    def check(self) -> None:
        upstream = self.upstream()
        if upstream is None and not self.loopback:
            raise ConfigError(
                f"no identity provider is configured and {self.host} is not a loopback address: "
                "the development sign-in only runs on 127.0.0.1. Set SKILLPORT_GOOGLE_CLIENT_ID/"
                "SECRET, SKILLPORT_ENTRA_TENANT_ID/CLIENT_ID/CLIENT_SECRET or "
                "SKILLPORT_OIDC_ISSUER/CLIENT_ID/CLIENT_SECRET"
            )
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
        if not self.public_url and not self.loopback:
            raise ConfigError(
                "set SKILLPORT_PUBLIC_URL (the https address clients reach) off loopback"
            )
        if not 0 < self.port < 65536:
            raise ConfigError(f"port {self.port} is out of range (1-65535)")
        if self.public_url and not self.public_url.startswith(("http://", "https://")):
            raise ConfigError(
                "SKILLPORT_PUBLIC_URL must start with https:// (or http:// on loopback)"
            )
        from .sources.factory import is_remote

        location = str(self.marketplace)
        if not is_remote(location) and not Path(location).is_dir():
            raise ConfigError(
                f"marketplace {location} is neither a folder nor a git URL "
                "(https://…, ssh://…, git@host:repo, file://…)"
            )


def _read_toml(path: str) -> dict[str, str]:
    """The same SKILLPORT_* keys as the environment, from one TOML file."""
    import tomllib

    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the configuration file {path}: {exc}") from None
    out: dict[str, str] = {}
    for key, value in data.items():
        if not key.startswith("SKILLPORT_"):
            raise ConfigError(
                f"{path}: unknown key {key!r} (keys are the SKILLPORT_* variable names)"
            )
        out[key] = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    return out


def _int(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {text!r}") from None
