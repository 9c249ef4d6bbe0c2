"""``login``, ``logout``, ``whoami`` and ``claude-code setup|headers``."""

from __future__ import annotations

import contextlib
import json
import sys
import webbrowser

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
    where = ctx.credentials.secrets.name
    say(f"Signed in to {ctx.server} as {who.get('email')} (credentials in the {where}).")
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
    response = ctx.session.http.get(
        f"{ctx.server}{claude_code.MARKETPLACE_PATH}",
        headers={"Authorization": f"Bearer {ctx.session.access_token()}"},
    )
    if response.status_code == 404:
        raise CliError(
            f"{ctx.server} does not serve a Claude Code marketplace "
            f"({claude_code.MARKETPLACE_PATH}); ask its administrator to upgrade the connector",
            Exit.NOT_FOUND,
        )
    if not response.is_success:
        from .api import failure

        raise failure(response)
    try:
        name = claude_code.marketplace_name(response.json())
    except ValueError:
        raise CliError("the connector's Claude Code marketplace is not JSON") from None
    entry = claude_code.marketplace_entry(ctx.server)
    settings = paths.claude_settings()
    changed = claude_code.register(settings, name, entry)
    if ctx.json:
        emit_json({"marketplace": name, "settings": str(settings), "changed": changed, **entry})
    else:
        state = "registered in" if changed else "already registered in"
        say(f"Marketplace {name} {state} {settings}.")
        print(f"In Claude Code: /plugin install <plugin>@{name}  (or /plugin to browse)")
    return Exit.OK


def cmd_claude_code_headers(ctx: Context) -> int:
    """For Claude Code's ``headersHelper``: the Authorization header as a JSON object."""
    json.dump({"Authorization": f"Bearer {ctx.session.access_token()}"}, sys.stdout)
    sys.stdout.write("\n")
    return Exit.OK
