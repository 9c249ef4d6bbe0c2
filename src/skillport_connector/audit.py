"""The audit log: one JSON line per user action, to standard output or a file."""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import IO, Any

from .auth import Identity


class AuditLog:
    def __init__(self, target: str = "-") -> None:
        self._lock = threading.Lock()
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
        action: str,
        *,
        result: str,
        skill: str | None = None,
        group: str | None = None,
        commit: str | None = None,
        **extra: Any,
    ) -> None:
        if self._stream is None:
            return
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
        text = json.dumps(line, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            self._stream.write(text + "\n")
            self._stream.flush()
