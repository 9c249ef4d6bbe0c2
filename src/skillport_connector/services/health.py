"""Liveness, readiness and the detailed status.

Anonymous callers learn only that the server is alive (``status``, ``version``) or ready;
totals, the source, the upstream state and the access-file state are for signed-in
callers (``/healthz`` with a bearer token).
"""

from __future__ import annotations

from typing import Any

from .. import __version__
from ..access import AccessPolicy
from ..sources.base import Source
from ..store import Store, StoreUnavailable, keys


def liveness() -> dict[str, Any]:
    return {"status": "ok", "version": __version__}


def details(source: Source, policy: AccessPolicy) -> dict[str, Any]:
    """The state of the served snapshot, for signed-in callers."""
    catalog = source.catalog
    # The same findings as the `serve` banner and `validate`: access.json's count too.
    findings = [*policy.findings(catalog), *catalog.findings]
    errors = sum(1 for f in findings if f.level == "error")
    return {
        **liveness(),
        "marketplace": catalog.name,
        "source": source.describe(),
        "plugins": len(catalog.plugins),
        "skills": len(catalog.skills),
        "errors": errors,
        "warnings": len(findings) - errors,
        "loaded_at": source.loaded_at,
        "snapshot_age_seconds": round(source.snapshot_age(), 3),
        "upstream": source.health(),
        "access": {"ok": policy.error is None, "error": policy.error},
    }


def readiness(source: Source, store: Store) -> dict[str, Any]:
    """Ready when a snapshot is loaded and the state store answers; no server details."""
    problems = []
    try:
        store.get(keys.READY_PROBE)
    except StoreUnavailable:
        problems.append("the state store is unreachable")
    return {
        "ready": not problems,
        "snapshot_age_seconds": round(source.snapshot_age(), 3),
        "problems": problems,
    }
