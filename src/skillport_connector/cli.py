"""``skillport-connector`` command line: serve, validate, token (for operators), init (for
administrators), and the people's commands (:mod:`.people`): login, list, install, …"""

from __future__ import annotations

import argparse
import errno
import gc
import json
import logging
import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__

if TYPE_CHECKING:
    from .auth import TokenService
    from .catalog import Catalog, Finding
    from .services import Services
    from .settings import Settings

# The connector's modules are imported by the command that needs them, after main() has
# paused the garbage collector (see there): `serve` starts without the people's commands'
# code, `list` without the server's.
MAX_BANNER_ERRORS = 10


def catalog_report(catalog: Catalog) -> dict[str, Any]:
    """The ``validate --json`` document."""
    plugins = []
    for plugin in catalog.plugins:
        skills = catalog.skills_of(plugin)
        plugins.append(
            {
                "name": plugin.name,
                "source": plugin.source,
                "remote": plugin.remote,
                "published": plugin.published,
                "loadable": plugin.loadable,
                "version": plugin.version,
                "skills": [
                    {"name": s.name, "path": s.path, "description": s.description} for s in skills
                ],
            }
        )
    return {
        "marketplace": catalog.name,
        "plugins": plugins,
        "findings": [f.as_dict() for f in catalog.findings],
    }


def all_findings(catalog: Catalog) -> list[Finding]:
    """What ``validate`` and the ``serve`` banner both count: access.json's, then the
    catalog's."""
    from .access import AccessPolicy

    return [*AccessPolicy.for_catalog(catalog).findings(catalog), *catalog.findings]


def describe_skills(catalog: Catalog) -> str:
    """``8 skills (1 in unpublished groups, seen only by their editors)``."""
    unpublished = sum(1 for s in catalog.skills.values() if not s.published)
    text = f"{len(catalog.skills)} skills"
    if unpublished:
        text += f" ({unpublished} in unpublished groups, listed only for their editors)"
    return text


def cmd_validate(args: argparse.Namespace) -> int:
    from .catalog import load_catalog
    from .sources.tree import DirectoryTree

    path = Path(args.path)
    if not path.is_dir():
        hint = ""
        if "://" in args.path or args.path.startswith("git@"):
            hint = "; validate reads a local folder: `git clone` the repository first"
        print(f"skillport-connector: {args.path} is not a folder{hint}", file=sys.stderr)
        return 2
    catalog = load_catalog(DirectoryTree(path))
    if not catalog.marketplace and not catalog.plugins:
        print(
            f"skillport-connector: {path} is not a marketplace: it has no "
            ".claude-plugin/marketplace.json and no plugin folders",
            file=sys.stderr,
        )
        return 2
    findings = all_findings(catalog)
    errors = sum(1 for f in findings if f.level == "error")
    warnings = len(findings) - errors
    if args.json:
        report = catalog_report(catalog)
        report["findings"] = [f.as_dict() for f in findings]
        json.dump(report, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        for finding in findings:
            print(finding)
        published = sum(1 for p in catalog.plugins if p.published)
        print(
            f"{catalog.name or path}: {len(catalog.plugins)} plugins ({published} published), "
            f"{describe_skills(catalog)}; {errors} errors, {warnings} warnings"
        )
    failed = errors > 0 or (args.strict and warnings > 0)
    return 1 if failed else 0


def _settings(args: argparse.Namespace) -> Settings:
    """Settings from the environment, with the flags given on the command line winning."""
    from .settings import Settings
    from .settings_table import SETTINGS

    overrides: dict[str, object] = {"config": getattr(args, "config", None)}
    for setting in SETTINGS:
        value = getattr(args, _dest(setting.flag), None) if setting.flag else None
        if setting.field is not None and value is not None:
            overrides[setting.field] = setting.cast(str(value), setting.flag or "")
    return Settings.from_env(**overrides)


def _dest(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def cmd_token(args: argparse.Namespace) -> int:
    from .auth import Identity, TokenService
    from .store import open_store

    try:
        identity = Identity.local(args.user, id=args.id, name=args.name)
    except ValueError as exc:
        print(f"skillport-connector: {exc}", file=sys.stderr)
        return 2
    settings = _settings(args)
    store = open_store(settings)
    try:
        print(TokenService(store).mint_api_token(identity))
    finally:
        store.close()
    return 0


class JsonLogFormatter(logging.Formatter):
    """One JSON object per log line (``SKILLPORT_LOG_FORMAT=json``), for log pipelines."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class TextLogFormatter(logging.Formatter):
    """``time LEVEL logger: message``, one line per record: a message that spans lines
    (git's stderr in a refresh warning) is joined with `` | ``; a traceback still follows."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        text = super().formatMessage(record)
        return (
            " | ".join(part for part in text.splitlines() if part.strip()) if "\n" in text else text
        )


class _NoSessionChatter(logging.Filter):
    """Drops the MCP SDK's "Terminating session: None", logged for every stateless request."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Terminating session")


def configure_logging(log_format: str = "text") -> None:
    """One format for every line: ours, uvicorn's, fastmcp's (its rich handler removed) and
    the MCP SDK's all go through the root handler."""
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonLogFormatter())
    else:
        handler.setFormatter(TextLogFormatter())
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    fastmcp = logging.getLogger("fastmcp")
    for own in fastmcp.handlers[:]:
        fastmcp.removeHandler(own)
    fastmcp.propagate = True
    logging.getLogger("mcp.server.streamable_http").addFilter(_NoSessionChatter())


def port_in_use(host: str, port: int) -> bool:
    """Someone already listens on ``host:port`` (checked before anything is printed)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        return False  # uvicorn reports an unknown host itself
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


def cmd_serve(args: argparse.Namespace) -> int:
    from .app import create_app

    settings = _settings(args)
    no_auth = bool(getattr(args, "no_auth", False))
    workers = int(args.workers or 1)
    _check_serve(settings, no_auth, workers)
    configure_logging(settings.log_format)
    app = create_app(settings, mcp_auth=not no_auth)
    _print_catalog_summary(app.state.services)
    _print_how_to_reach(settings, app.state.services, no_auth)
    _run(app, args, settings, workers)
    return 0


def _check_serve(settings: Settings, no_auth: bool, workers: int) -> None:
    """Refuse what cannot start, before anything is printed or built."""
    from .settings import ConfigError

    if no_auth and workers > 1:
        raise ConfigError("--no-auth runs a single worker; leave out --workers")
    if port_in_use(settings.host, settings.port):
        raise ConfigError(
            f"port {settings.port} on {settings.host} is already in use (another connector?); "
            "pick another with --port N or SKILLPORT_PORT=N"
        )


def _print_catalog_summary(services: Services) -> None:
    """The banner: what is served from where, with its errors (the first few shown)."""
    catalog = services.source.catalog
    findings = all_findings(catalog)
    errors = [f for f in findings if f.level == "error"]
    print(
        f"Skillport Connector {__version__}: {catalog.name or 'marketplace'} from "
        f"{services.source.describe()} — {describe_skills(catalog)}, "
        f"{len(errors)} errors, {len(findings) - len(errors)} warnings",
        flush=True,
    )
    for finding in errors[:MAX_BANNER_ERRORS]:  # an access.json error hides every skill
        print(f"  {finding}", flush=True)
    if len(errors) > MAX_BANNER_ERRORS:
        print(f"  … and {len(errors) - MAX_BANNER_ERRORS} more: run `validate`", flush=True)


def _print_how_to_reach(settings: Settings, services: Services, no_auth: bool) -> None:
    """On loopback, a development token and where to try it; without sign-in, the MCP URLs."""
    if settings.dev_sign_in:
        _print_dev_sign_in(settings, services.tokens)
    if no_auth:
        print(
            f"MCP without sign-in (--no-auth, loopback only): {settings.base_url}/mcp and "
            f"{settings.base_url}/sse act as {settings.dev_user}",
            flush=True,
        )


def _print_dev_sign_in(settings: Settings, tokens: TokenService) -> None:
    """The start-up token and the lines to try it. A store that is down (Redis) gets a
    line saying so, not a traceback: the server starts and answers 503 until it is back."""
    from .auth import API_TOKEN_TTL, Identity
    from .store import StoreUnavailable

    who = Identity.local(settings.dev_user)
    try:
        token = tokens.mint_api_token(who)
    except StoreUnavailable as exc:
        print(
            f"No dev token: {exc}. The server starts anyway and answers 503 until the store "
            "is back; then mint one with `skillport-connector token --user EMAIL`.",
            flush=True,
        )
        return
    print(
        f"Dev token for {who.id} (valid {API_TOKEN_TTL // 60} min; mint more with "
        f"`skillport-connector token --user EMAIL`):\n  {token}\n"
        f"Try: curl -H 'Authorization: Bearer {token}' {settings.base_url}/api/skills\n"
        f"Catalog: {settings.base_url}/ (development sign-in: type {settings.dev_user})",
        flush=True,
    )


def _run(app: Any, args: argparse.Namespace, settings: Settings, workers: int) -> None:
    """Serve ``app`` with uvicorn; several workers each build their own app from the
    environment."""
    import uvicorn

    from . import heap

    # proxy_headers off: X-Forwarded-For is read only from SKILLPORT_TRUSTED_PROXIES, by the
    # one client-address rule (clientip.py), never rewritten into the peer by uvicorn.
    heap.freeze_start()  # what the start built lives as long as the process (see main)
    gc.enable()
    common = {
        "host": settings.host,
        "port": settings.port,
        "access_log": False,
        "log_config": None,
        "proxy_headers": False,
    }
    if workers > 1:
        # Each worker builds its own app from the environment: pass the flags on that way.
        for flag, name in (
            ("marketplace", "SKILLPORT_MARKETPLACE"),
            ("branch", "SKILLPORT_BRANCH"),
            ("public_url", "SKILLPORT_PUBLIC_URL"),
            ("config", "SKILLPORT_CONFIG"),
        ):
            if getattr(args, flag, None):
                os.environ[name] = str(getattr(args, flag))
        os.environ["SKILLPORT_HOST"] = settings.host
        os.environ["SKILLPORT_PORT"] = str(settings.port)
        os.environ["SKILLPORT_DATA_DIR"] = str(settings.data_dir)
        uvicorn.run("skillport_connector.app:app_from_env", factory=True, workers=workers, **common)
    else:
        uvicorn.run(app, timeout_graceful_shutdown=20, **common)


def build_parser(serving: bool = False) -> argparse.ArgumentParser:
    """Every command; ``serving`` (the command line starts with ``serve``): the operators'
    only, so a server does not load the people's commands and their HTTP client."""
    from .settings_table import SETTINGS, help_text

    parser = argparse.ArgumentParser(
        prog="skillport-connector",
        description="Serve a Claude Skills marketplace to Claude.ai, Claude Desktop and Code.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser(
        "serve",
        help="run the connector (defaults: demo marketplace, 127.0.0.1:8787)",
        epilog=help_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for setting in SETTINGS:
        if setting.flag:
            plain = f"{setting.help} (default: {setting.default})".replace("`", "")
            plain = plain.replace("%", "%%")
            env = f"; {setting.env}" if setting.env else ""
            action = "store_true" if setting.switch else "store"
            serve.add_argument(
                setting.flag, dest=_dest(setting.flag), action=action, help=plain + env
            )
    serve.set_defaults(func=cmd_serve)

    validate = sub.add_parser(
        "validate", help="check a marketplace folder and explain every problem"
    )
    validate.add_argument("path")
    validate.add_argument("--json", action="store_true", help="machine-readable report")
    validate.add_argument("--strict", action="store_true", help="fail on warnings too")
    validate.set_defaults(func=cmd_validate)

    token = sub.add_parser("token", help="mint a 15-minute API token (prints only the token)")
    token.add_argument("--user", required=True, metavar="EMAIL")
    token.add_argument("--id", metavar="PROVIDER:UID", help="user id (default local:EMAIL)")
    token.add_argument("--name", help="display name")
    token.add_argument("--data-dir", help="the server's data folder")
    token.set_defaults(func=cmd_token)
    if not serving:
        from .people.commands import add_people_commands

        add_people_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Starting builds hundreds of thousands of objects that live as long as the process
    # (modules, the snapshot); collecting while they are built walks them again and again
    # for nothing (a quarter of the start). So the collector is paused until the command
    # runs, or for `serve` until it is about to listen (it then freezes what the start
    # built: see heap.py).
    collecting = gc.isenabled()
    gc.disable()
    try:
        from .settings import ConfigError
        from .sources.git import SourceUnavailable
        from .store import StoreUnavailable

        words = sys.argv[1:] if argv is None else argv
        args = build_parser(serving=words[:1] == ["serve"]).parse_args(words)
        if collecting and args.func is not cmd_serve:
            gc.enable()
        try:
            return int(args.func(args))
        except (ConfigError, SourceUnavailable, StoreUnavailable) as exc:
            print(f"skillport-connector: {exc}", file=sys.stderr)
            return 2
        except BrokenPipeError:  # `… | head`: the reader has all it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
    finally:
        if collecting:
            gc.enable()


if __name__ == "__main__":
    sys.exit(main())
