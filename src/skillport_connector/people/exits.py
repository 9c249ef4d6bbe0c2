"""Exit codes scripts can rely on, and the one error type that carries them."""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    #: Anything else that went wrong (a refused request, a bad payload, a local file problem).
    ERROR = 1
    #: The command line itself is wrong (argparse uses 2 as well).
    USAGE = 2
    #: Not signed in, or the sign-in expired or was revoked: run ``login``.
    NOT_SIGNED_IN = 3
    #: The skill (or the endpoint) does not exist, or you may not see it.
    NOT_FOUND = 4
    #: The connector cannot be reached or is unavailable (network error, 5xx, 429).
    UNAVAILABLE = 5


EXIT_CODES_HELP = """exit codes:
  0  success
  1  error (a refused request, a bad answer, a local file problem)
  2  usage error
  3  not signed in (or the sign-in expired or was revoked): run `skillport-connector login`
  4  not found (no such skill, or not installed)
  5  connector unreachable or unavailable (network error, 5xx, rate limited)"""


class CliError(Exception):
    """A failure to report in one line and exit with ``code``."""

    def __init__(self, message: str, code: Exit = Exit.ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
