"""Tokens never reach a log: redaction of request paths and of every log line.

Install and edit tokens travel in URL paths (``/api/install/sk_install_…``), so a path is
logged only through :func:`redact_path`, and :func:`install_log_redaction` makes every
log record of the process pass through :func:`redact_text` as a last line of defence.
"""

from __future__ import annotations

import logging
import re
from typing import Any

#: Token shapes of this server: API, install and edit tokens, OAuth access/refresh tokens.
TOKEN = re.compile(r"\b(sk_api_|sk_install_|sk_edit_|sk_cc_|spat_|sprt_)[A-Za-z0-9_\-]{4,}")
#: Paths whose last segment is a token, whatever it looks like.
_TOKEN_PATHS = re.compile(r"^(/api/(?:install|edit)/)[^/]+")
REDACTED = "[redacted]"


def redact_text(text: str) -> str:
    return TOKEN.sub(lambda m: m.group(1) + REDACTED, text)


def redact_path(path: str) -> str:
    """``/api/install/<anything>`` and token-shaped segments anywhere become ``[redacted]``."""
    return redact_text(_TOKEN_PATHS.sub(lambda m: m.group(1) + REDACTED, path))


_installed = False


def install_log_redaction() -> None:
    """Redact tokens from every log record created from now on (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return record
        cleaned = redact_text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return record

    logging.setLogRecordFactory(factory)
