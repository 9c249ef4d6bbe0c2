"""The people's subcommands of ``skillport-connector``, added to its parser, and how each
runs: a :class:`Context`, then one line on stderr and a documented exit code on failure."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TypeAlias

import httpx

from . import account, completion, scaffold, skills
from .context import Context
from .exits import EXIT_CODES_HELP, CliError, Exit

Handler = Callable[[Context], int]


def run(handler: Handler) -> Callable[[argparse.Namespace], int]:
    def runner(args: argparse.Namespace) -> int:
        ctx = Context(args)
        try:
            return int(handler(ctx))
        except CliError as exc:
            print(f"skillport-connector: {exc.message}", file=sys.stderr)
            return int(exc.code)
        except httpx.TransportError as exc:
            where = ctx.__dict__.get("server", "the connector")
            print(f"skillport-connector: cannot reach {where}: {exc}", file=sys.stderr)
            return int(Exit.UNAVAILABLE)
        finally:
            ctx.close()

    return runner


def _command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    help: str,
    handler: Handler,
    *,
    json: bool = False,
    server: bool = True,
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        name, help=help, description=help, epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    if json:
        parser.add_argument("--json", action="store_true", help="machine-readable output")
    if server:
        parser.add_argument(
            "--server", metavar="URL", help="the connector (default: the one you logged in to)"
        )
    parser.set_defaults(func=run(handler))
    return parser


Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_people_commands(sub: Subcommands) -> None:
    """login … uninstall, claude-code, completion and init, in the order ``--help`` lists them."""
    _account_commands(sub)
    _skill_commands(sub)
    _claude_code_commands(sub)
    _other_commands(sub)


def _account_commands(sub: Subcommands) -> None:
    login = _command(sub, "login", "sign in to a connector", account.cmd_login, server=False)
    login.add_argument("url", nargs="?", help="the connector's address (default: the last one)")
    mode = login.add_mutually_exclusive_group()
    mode.add_argument(
        "--device", action="store_true", help="sign in with a code, from a browser elsewhere"
    )
    mode.add_argument("--no-browser", action="store_true", help="print the sign-in URL only")
    _command(sub, "logout", "revoke this machine's sign-in", account.cmd_logout)
    _command(sub, "whoami", "who you are signed in as", account.cmd_whoami, json=True)


def _skill_commands(sub: Subcommands) -> None:
    listing = _command(sub, "list", "the skills you can use", skills.cmd_list, json=True)
    listing.add_argument("--surface", choices=["CC", "CD", "CAI"], help="only for one surface")
    search = _command(sub, "search", "search the skills you can use", skills.cmd_search, json=True)
    search.add_argument("query")
    show = _command(sub, "show", "one skill, with its SKILL.md", skills.cmd_show, json=True)
    show.add_argument("name")
    install = _command(sub, "install", "install a skill", skills.cmd_install, json=True)
    install.add_argument("name")
    install.add_argument(
        "--surface", choices=["cc", "package"], default="cc",
        help="cc: into ~/.claude/skills (default); package: a .skill file",
    )  # fmt: skip
    install.add_argument(
        "--dir", help="the skills folder (cc) or the folder of the .skill file (package)"
    )
    _command(
        sub, "outdated", "installed skills with a newer version", skills.cmd_outdated, json=True
    )
    update = _command(sub, "update", "update installed skills", skills.cmd_update, json=True)
    update.add_argument("name", nargs="?")
    update.add_argument("--all", action="store_true", help="every outdated skill")
    uninstall = _command(sub, "uninstall", "remove an installed skill", skills.cmd_uninstall)
    uninstall.add_argument("name")


def _claude_code_commands(sub: Subcommands) -> None:
    claude = sub.add_parser("claude-code", help="Claude Code's native plugin manager")
    claude_sub = claude.add_subparsers(dest="claude_command", required=True)
    setup = _command(
        claude_sub, "setup",
        "make a Claude Code credential for this device and register the marketplace",
        account.cmd_claude_code_setup, json=True,
    )  # fmt: skip
    setup.add_argument("--label", help="names this device's credential (default: host name)")
    setup.add_argument(
        "--unpublished", action="store_true", help="also the unpublished groups you can change"
    )
    _command(
        claude_sub, "remove", "revoke this device's Claude Code credential and unregister",
        account.cmd_claude_code_remove,
    )  # fmt: skip


def _other_commands(sub: Subcommands) -> None:
    comp = sub.add_parser("completion", help="print a shell completion script")
    comp.add_argument("shell", choices=list(completion.SHELLS))
    comp.set_defaults(func=completion.cmd_completion)

    init = sub.add_parser("init", help="create a new skills repository (for administrators)")
    init.add_argument("dir")
    init.add_argument("--name", help="the marketplace name (default: the folder's name)")
    init.add_argument("--owner", help="the organisation (default: the marketplace name)")
    init.add_argument("--editor", help="your e-mail: the first editor (default: git's user.email)")
    init.add_argument("--url", help="the connector's public address, for the README")
    init.set_defaults(func=scaffold.cmd_init)
