"""Editing as a service: plan (pure), then one commit through the editable source.

Plans walk the snapshot's tree, so :func:`edit` is blocking: callers run it off the
event loop. Every outcome, refusals included, is one audit line.
"""

from __future__ import annotations

from collections.abc import Callable

from ..access import AccessPolicy
from ..api.errors import HTTP_STATUS
from ..audit import AuditLog
from ..auth import Identity
from ..catalog import Catalog
from ..editing.operations import Action, Plan
from ..errors import Conflict, InvalidRequest, SkillportError, Unavailable
from ..sources.base import EditableSource, Source
from .records import EditOutcome

Planner = Callable[[Catalog, AccessPolicy, Identity], Plan]

_RESULTS: dict[type[SkillportError], str] = {
    Conflict: "conflict",
    InvalidRequest: "invalid",
    Unavailable: "unavailable",
}


def editable(source: Source) -> EditableSource:
    if not isinstance(source, EditableSource):
        raise Unavailable(
            "This marketplace is a plain folder, so it is read-only: serve a git repository "
            "(SKILLPORT_MARKETPLACE=<path or URL of a git repository>) to edit skills."
        )
    return source


def new_errors(before: Catalog, after: Catalog) -> list[str]:
    """Catalog errors the change adds (those already there are not the editor's fault)."""
    known = {(f.file, f.message) for f in before.errors}
    return [str(f) for f in after.errors if (f.file, f.message) not in known]


def edit(
    source: Source,
    policy_of: Callable[[Catalog], AccessPolicy],
    audit: AuditLog,
    who: Identity,
    name: str,
    action: Action,
    plan_fn: Planner,
) -> EditOutcome:
    """Plan a change of skill ``name`` as ``who`` and commit it; blocking."""
    target = editable(source)
    catalog = target.catalog
    try:
        plan = plan_fn(catalog, policy_of(catalog), who)
    except SkillportError as exc:
        # The audit log has always said "refused:<HTTP status>" here.
        audit.record(who, action, skill=name, result=f"refused:{HTTP_STATUS[exc.kind]}")
        raise
    try:
        result = target.write(
            catalog, plan.changes, plan.touched, plan.message(who), (who.name, who.email),
            new_errors,
        )  # fmt: skip
    except SkillportError as exc:
        outcome = next((r for t, r in _RESULTS.items() if isinstance(exc, t)), exc.kind)
        audit.record(who, plan.action, skill=name, group=plan.group, result=outcome)
        raise
    audit.record(who, plan.action, skill=name, group=plan.group, result="ok", commit=result.commit)
    return EditOutcome(
        action=plan.action,
        skill=name,
        plugin=plan.group,
        commit=result.commit,
        message=plan.text,  # what the commit says, as `git log` shows it
        reapplied=result.reapplied,
        files=tuple(sorted(plan.changes)),
        extra=dict(plan.extra),
    )
