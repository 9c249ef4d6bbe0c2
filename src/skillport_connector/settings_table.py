"""The one table of every setting: field, environment variable, flag, cast, default, help.

It reads the environment (:meth:`..settings.Settings.from_env`), builds ``serve``'s flags and
``--help`` (:mod:`.cli`), and generates the README's configuration table
(:func:`markdown_table`; ``tests/test_settings.py`` checks that they all agree).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .catalog import Limits
from .clientip import parse_networks
from .errors import ConfigError

# -- casts: text from the environment or a flag -> a value, or ConfigError naming the source -


def _str(text: str, name: str) -> object:
    return text


def _int(text: str, name: str) -> object:
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {text!r}") from None


def _seconds(text: str, name: str) -> object:
    return float(_int(text, name))  # type: ignore[arg-type]


def _bool(text: str, name: str) -> object:
    return text.strip().lower() in ("1", "true", "yes", "on")


def _list(text: str, name: str) -> object:
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _lower_list(text: str, name: str) -> object:
    return tuple(item.lower() for item in _list(text, name))  # type: ignore[attr-defined]


def _log_format(text: str, name: str) -> object:
    value = text.strip().lower()
    if value not in ("text", "json"):
        raise ConfigError(f"{name} must be text or json, not {text!r}")
    return value


def _path(text: str, name: str) -> object:
    return Path(text)


def _file_limit(text: str, name: str) -> object:
    return Limits(max_file_bytes=_int(text, name))  # type: ignore[arg-type]


def _networks(text: str, name: str) -> object:
    items = _list(text, name)
    try:
        parse_networks(items)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from None
    return items


@dataclass(frozen=True)
class Setting:
    """One row of the configuration table. ``field`` is None for settings the command
    line reads itself (the TOML file, the log format, the number of workers)."""

    field: str | None
    env: str | None
    default: str
    help: str
    cast: Callable[[str, str], object] = _str
    flag: str | None = None
    #: An empty value is a value (``SKILLPORT_AUDIT_LOG=`` switches the log off).
    empty_is_value: bool = False
    #: A flag that takes no value (``--no-auth``).
    switch: bool = False


S = Setting
SETTINGS: tuple[Setting, ...] = (
    S(
        "marketplace",
        "SKILLPORT_MARKETPLACE",
        "the bundled demo",
        "a folder (read-only), a local git repository, or a git URL",
        flag="--marketplace",
    ),
    S(
        "branch",
        "SKILLPORT_BRANCH",
        "`main` (a local repository: its checked-out branch)",
        "branch to serve and write",
        flag="--branch",
    ),
    S(
        "git_read_token",
        "SKILLPORT_GIT_READ_TOKEN",
        "none",
        "token for fetching (sent as HTTP Basic password)",
    ),
    S(
        "git_write_token",
        "SKILLPORT_GIT_WRITE_TOKEN",
        "the read token",
        "token for pushing editors' commits",
    ),
    S(
        "poll_interval",
        "SKILLPORT_POLL_INTERVAL",
        "`60`",
        "seconds between polls; `0` turns polling off",
        _seconds,
    ),
    S(
        "github_webhook_secret",
        "SKILLPORT_GITHUB_WEBHOOK_SECRET",
        "none (webhook off)",
        "HMAC secret of the GitHub webhook",
    ),
    S(
        "gitlab_webhook_token",
        "SKILLPORT_GITLAB_WEBHOOK_TOKEN",
        "none (webhook off)",
        "secret token of the GitLab webhook",
    ),
    S(
        "audit_log",
        "SKILLPORT_AUDIT_LOG",
        "`-` (standard output)",
        "audit log file; empty switches it off",
        empty_is_value=True,
    ),
    S(
        None,
        "SKILLPORT_CONFIG",
        "none",
        'a TOML file with any of these keys (`SKILLPORT_X = "…"`; lists allowed); the '
        "environment wins",
        flag="--config",
    ),
    S("google_client_id", "SKILLPORT_GOOGLE_CLIENT_ID", "none", "Google sign-in: OAuth client id"),
    S(
        "google_client_secret",
        "SKILLPORT_GOOGLE_CLIENT_SECRET",
        "none",
        "Google sign-in: client secret",
    ),
    S(
        "entra_tenant_id",
        "SKILLPORT_ENTRA_TENANT_ID",
        "none",
        "Microsoft Entra ID sign-in: tenant id",
    ),
    S(
        "entra_client_id",
        "SKILLPORT_ENTRA_CLIENT_ID",
        "none",
        "Microsoft Entra ID sign-in: application (client) id",
    ),
    S(
        "entra_client_secret",
        "SKILLPORT_ENTRA_CLIENT_SECRET",
        "none",
        "Microsoft Entra ID sign-in: client secret",
    ),
    S(
        "oidc_issuer",
        "SKILLPORT_OIDC_ISSUER",
        "none",
        "any OpenID Connect issuer (discovery at `<issuer>/.well-known/openid-configuration`)",
    ),
    S("oidc_client_id", "SKILLPORT_OIDC_CLIENT_ID", "none", "OpenID Connect client id"),
    S("oidc_client_secret", "SKILLPORT_OIDC_CLIENT_SECRET", "none", "OpenID Connect client secret"),
    S(
        "oidc_provider_name",
        "SKILLPORT_OIDC_PROVIDER_NAME",
        "`oidc`",
        "provider part of user ids for a generic issuer",
    ),
    S(
        "allowed_domains",
        "SKILLPORT_ALLOWED_DOMAINS",
        "none (everyone the provider signs in)",
        "comma-separated: Google `hd`, Entra tenant ids, or verified e-mail domains",
        _lower_list,
    ),
    S(
        "mcp_classic_tools",
        "SKILLPORT_MCP_CLASSIC_TOOLS",
        "`false`",
        "also expose list/search/get/install/check-updates/whoami as MCP tools",
        _bool,
    ),
    S(
        "allowed_hosts",
        "SKILLPORT_ALLOWED_HOSTS",
        "public host + loopback",
        "extra `Host` values the server answers to (every route; others get 421)",
        _list,
    ),
    S(
        "allowed_origins",
        "SKILLPORT_ALLOWED_ORIGINS",
        "`https://claude.ai,https://claude.com`",
        "browser origins the MCP endpoints accept",
        _list,
    ),
    S(
        "redis_url",
        "SKILLPORT_REDIS_URL",
        "none (embedded SQLite)",
        "shared state for several instances (`redis://host:6379/0`)",
    ),
    S(
        "secret_key",
        "SKILLPORT_SECRET_KEY",
        "a key file created in the data folder",
        "Fernet key encrypting stored values; required with Redis, the same on every instance",
    ),
    S(
        "rate_limit_user",
        "SKILLPORT_RATE_LIMIT_USER",
        "`120`",
        "install/edit tokens and `skillport_auth` calls per user per minute (429 + "
        "`Retry-After` beyond)",
        _int,
    ),
    S(
        "rate_limit_ip",
        "SKILLPORT_RATE_LIMIT_IP",
        "`600`",
        "sign-in and token-endpoint requests per client address per minute",
        _int,
    ),
    S(
        "rate_limit_register",
        "SKILLPORT_RATE_LIMIT_REGISTER",
        "`30`",
        "OAuth client registrations per client address per minute (a client unused for "
        "an hour expires)",
        _int,
    ),
    S(
        "trusted_proxies",
        "SKILLPORT_TRUSTED_PROXIES",
        "none (`X-Forwarded-For` ignored)",
        "comma-separated addresses or CIDR ranges of reverse proxies whose "
        "`X-Forwarded-For` names the client address",
        _networks,
    ),
    S(
        "log_format",
        "SKILLPORT_LOG_FORMAT",
        "text",
        "`json` for one JSON object per log line",
        _log_format,
    ),
    S(None, None, "`1`", "worker processes (each reads the same settings)", _int, flag="--workers"),
    S(
        None,
        None,
        "off",
        "MCP without sign-in, acting as `SKILLPORT_DEV_USER`, for local MCP clients and the "
        "conformance suite; refused unless the host and the public URL are loopback",
        flag="--no-auth",
        switch=True,
    ),
    S("host", "SKILLPORT_HOST", "`127.0.0.1`", "address to listen on", flag="--host"),
    S("port", "SKILLPORT_PORT", "`8787`", "port", _int, flag="--port"),
    S(
        "data_dir",
        "SKILLPORT_DATA_DIR",
        "`~/.local/share/skillport-connector`",
        "embedded store (SQLite, tokens stored hashed; files 0600)",
        _path,
        flag="--data-dir",
    ),
    S(
        "public_url",
        "SKILLPORT_PUBLIC_URL",
        "`http://HOST:PORT`",
        "address clients reach (https, or http on loopback); baked into `install.sh` and "
        "install commands (never taken from a request's `Host`)",
        flag="--public-url",
    ),
    S(
        "dev_user",
        "SKILLPORT_DEV_USER",
        "`developer@localhost`",
        "who the start-up token on loopback is for",
    ),
    S(
        "max_package_bytes",
        "SKILLPORT_MAX_PACKAGE_BYTES",
        "`31457280` (30 MB)",
        "largest skill that will be packaged (413 beyond)",
        _int,
    ),
    S(
        "limits",
        "SKILLPORT_MAX_FILE_BYTES",
        "`10485760` (10 MB)",
        "larger files are reported and not served",
        _file_limit,
    ),
)
del S


def markdown_table() -> str:
    """The README's configuration table, generated from :data:`SETTINGS`."""
    lines = ["| Variable | Flag | Default | Meaning |", "|---|---|---|---|"]
    for s in SETTINGS:
        env = f"`{s.env}`" if s.env else ""
        flag = f"`{s.flag}`" if s.flag else ""
        cells = (env, flag, s.default, s.help)
        lines.append("|" + "|".join(f" {c} " if c else " " for c in cells) + "|")
    return "\n".join(lines) + "\n"


def help_text() -> str:
    """Every setting for ``serve --help``."""
    lines = ["settings (environment; flags above win):"]
    for s in SETTINGS:
        if s.env:
            plain = f"{s.help} (default: {s.default})".replace("`", "")
            lines.append(f"  {s.env}\n      {plain}")
    return "\n".join(lines)
