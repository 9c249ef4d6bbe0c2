"""``login``, ``logout``, ``whoami`` and ``claude-code setup|remove``."""

from __future__ import annotations

import contextlib
import platform
import webbrowser
from urllib.parse import quote

import httpx

from . import claude_code, paths
from .context import DEFAULT_SERVER, Context, emit_json, normalise_server, say
from .exits import CliError, Exit


def cmd_login(ctx: Context) -> int:
    given = ctx.args.url or ctx.credentials.current_server() or DEFAULT_SERVER
    ctx.__dict__["server"] = normalise_server(given)
    if ctx.args.device:
        tokens = ctx.authorizer.login_device()
    else:
        opener = (lambda url: False) if ctx.args.no_browser else webbrowser.open
        tokens = ctx.authorizer.login_browser(opener)
    previous = ctx.credentials.tokens(ctx.server)
    ctx.credentials.save(ctx.server, tokens)
    ctx.credentials.set_current_server(ctx.server)
    if previous is not None:  # one sign-in per machine: the old one is revoked
        with contextlib.suppress(CliError, httpx.TransportError):
            ctx.authorizer.revoke(previous)
    who = ctx.session.json("GET", "/api/whoami")
    where = ctx.credentials.secrets.location
    say(f"Signed in to {ctx.server} as {who.get('email')} (credentials in {where}).")
    return Exit.OK


def cmd_logout(ctx: Context) -> int:
    tokens = ctx.credentials.tokens(ctx.server)
    if tokens is None:
        say(f"Not signed in to {ctx.server}.")
        return Exit.OK
    try:
        ctx.authorizer.revoke(tokens)
        revoked = True
    except (CliError, httpx.TransportError) as exc:
        say(f"Could not revoke the sign-in at {ctx.server}: {exc}")
        revoked = False
    ctx.credentials.forget(ctx.server)
    say(f"Signed out of {ctx.server}" + ("" if revoked else " on this machine only") + ".")
    return Exit.OK if revoked else Exit.UNAVAILABLE


def cmd_whoami(ctx: Context) -> int:
    who = ctx.session.json("GET", "/api/whoami")
    if ctx.json:
        emit_json({**who, "server": ctx.server})
    else:
        print(f"{who.get('email')} ({who.get('name')}) on {ctx.server}")
    return Exit.OK


def cmd_claude_code_setup(ctx: Context) -> int:
    record = claude_code.DeviceRecord(paths.config_dir() / "claude-code.json")
    try:
        ctx.session.request("GET", claude_code.MARKETPLACE_PATH)
    except CliError as exc:
        if exc.code != Exit.NOT_FOUND:
            raise
        raise CliError(
            f"{ctx.server} does not serve a Claude Code marketplace "
            f"({claude_code.MARKETPLACE_PATH}); ask its administrator to upgrade the connector",
            Exit.NOT_FOUND,
        ) from None
    label = ctx.args.label or f"{platform.node() or 'this computer'} (skillport-connector)"
    body = {"label": label[:100], "unpublished": bool(ctx.args.unpublished)}
    answer = ctx.session.json("POST", claude_code.CREDENTIALS_PATH, json=body)
    name, entry = claude_code.settings_entry(answer, ctx.server)
    settings = paths.claude_settings()
    try:
        claude_code.register(settings, name, entry)
    except CliError:
        _revoke_credential(ctx, str(answer.get("credential_id", "")))
        raise
    previous = record.get(ctx.server)
    record.put(ctx.server, str(answer["credential_id"]), name)
    if previous is not None and previous["credential_id"] != answer["credential_id"]:
        _revoke_credential(ctx, previous["credential_id"])  # one credential per device
    if ctx.json:
        emit_json(
            {"marketplace": name, "settings": str(settings), "url": entry["source"]["url"],
             "credential_id": answer["credential_id"], "label": answer.get("label")}
        )  # fmt: skip
    else:
        say(f"Marketplace {name} registered in {settings} (credential {answer['credential_id']}).")
        print(f"In Claude Code: /plugin install <plugin>@{name}  (or /plugin to browse)")
    return Exit.OK


def _revoke_credential(ctx: Context, credential_id: str) -> bool:
    if not credential_id:
        return False
    try:
        ctx.session.request("DELETE", f"{claude_code.CREDENTIALS_PATH}/{quote(credential_id)}")
    except CliError as exc:
        if exc.code == Exit.NOT_FOUND:
            return True  # already revoked
        say(f"Could not revoke the Claude Code credential {credential_id}: {exc.message}")
        return False
    return True


def cmd_claude_code_remove(ctx: Context) -> int:
    record = claude_code.DeviceRecord(paths.config_dir() / "claude-code.json")
    held = record.get(ctx.server)
    if held is None:
        raise CliError(f"claude-code setup was not run for {ctx.server} here", Exit.NOT_FOUND)
    if not _revoke_credential(ctx, held["credential_id"]):
        return Exit.UNAVAILABLE
    claude_code.unregister(paths.claude_settings(), held["marketplace"])
    record.drop(ctx.server)
    say(f"Removed the marketplace {held['marketplace']} and revoked its credential.")
    return Exit.OK
