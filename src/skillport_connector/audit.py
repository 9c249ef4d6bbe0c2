"""The audit log: one JSON line per user action, to standard output or a file.

The most recent lines of this process are also kept in memory (bounded) for the admin page.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from typing import IO, Any, Literal

from .auth import Identity

#: Audit lines kept in memory for the admin page (this process's most recent).
RECENT = 200
#: Every action an audit line names, lowercase kebab-case (a webhook adds its provider);
#: README.md ("The audit log") says what each means.
Action = Literal[
    "install-token",
    "edit-token",
    "install",
    "edit",
    "download",
    "save",
    "delete",
    "publish",
    "bump",
    "web-sign-in",
    "web-sign-out",
    "claude-code-credential",
    "webhook:github",
    "webhook:gitlab",
]


class AuditLog:
    def __init__(self, target: str = "-") -> None:
        self._lock = threading.Lock()
        self._recent: deque[dict[str, Any]] = deque(maxlen=RECENT)
        self._stream: IO[str] | None
        if target == "":
            self._stream = None
        elif target == "-":
            self._stream = sys.stdout
        else:
            self._stream = open(target, "a", encoding="utf-8", buffering=1)  # noqa: SIM115

    def record(
        self,
        who: Identity | None,
        action: Action,
        *,
        result: str,
        skill: str | None = None,
        group: str | None = None,
        commit: str | None = None,
        **extra: Any,
    ) -> None:
        line = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "user": who.id if who else None,
            "email": who.email if who else None,
            "action": action,
            "skill": skill,
            "group": group,
            "result": result,
            "commit": commit,
            **extra,
        }
        with self._lock:
            self._recent.append(line)
            if self._stream is None:
                return
            text = json.dumps(line, ensure_ascii=False, separators=(",", ":"))
            self._stream.write(text + "\n")
            self._stream.flush()

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        """The latest ``limit`` lines this process recorded, newest first."""
        with self._lock:
            lines = list(self._recent)
        return lines[::-1][:limit]
