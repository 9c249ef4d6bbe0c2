"""Who may read and who may write each skill: ``.skillport/access.json``.

Every path that reads or writes (REST, install and edit tokens, and the MCP surfaces
built on them) asks this one object, so no two surfaces can disagree.

Schema (the original connector's, made consistent)::

    {"version": "1.0",
     "editors":  [{"id": "google:1143…", "label": "ann@example.com"}],
     "skills":   {"<skill>": {"read": …, "write": …}},
     "groups":   {"<group>": {"read": …, "write": …}},
     "defaults": {"read": "*", "write": "editors"}}

A rule is ``"*"``, ``"editors"``, a ``"domain:<example.com>"``, a user id, or a list of
those (list items may also be ``{"id": …, "label": …}``). Read on a skill: the skill's rule,
else its group's rule, else the default; write likewise. Without the file everyone reads
and nobody writes. Unpublished skills are visible only to people who may write them. A
malformed file denies everything to everyone and says why: it never opens access.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .auth import Identity
from .catalog import Catalog, Finding, Skill
from .catalog.data import DataError, parse_json
from .catalog.layout import ACCESS_FILE
from .catalog.limits import DEFAULT_LIMITS
from .catalog.tree import Tree

__all__ = ["ACCESS_FILE", "AccessPolicy", "PolicyError", "Rule"]
#: Larger than any real policy; a bigger file is refused (deny-all), not read.
MAX_ACCESS_BYTES = DEFAULT_LIMITS.max_manifest_bytes


class PolicyError(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    everyone: bool = False
    editors: bool = False
    users: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, value: Any, where: str) -> Rule:
        items = value if isinstance(value, list) else [value]
        everyone = editors = False
        users: set[str] = set()
        domains: set[str] = set()
        for item in items:
            if isinstance(item, dict):
                item = item.get("id")
            if not isinstance(item, str) or not item.strip():
                raise PolicyError(
                    f"{where}: each entry must be a user id, '*', 'editors' or 'domain:…'"
                )
            item = item.strip()
            if item == "*":
                everyone = True
            elif item == "editors":
                editors = True
            elif item.startswith("domain:"):
                domain = item[len("domain:") :].strip().lower()
                if not domain or "@" in domain:
                    raise PolicyError(f"{where}: {item!r} must look like domain:example.com")
                domains.add(domain)
            elif ":" in item:
                users.add(item)
            else:
                raise PolicyError(f"{where}: {item!r} is not a user id (PROVIDER:UID)")
        return cls(everyone, editors, frozenset(users), frozenset(domains))

    def allows(self, who: Identity, is_editor: bool) -> bool:
        if self.everyone or (self.editors and is_editor) or who.id in self.users:
            return True
        # Only domains the identity provider vouches for: an unverified e-mail matches none.
        return any(who.in_domain(domain) for domain in self.domains)


@dataclass(frozen=True)
class AccessPolicy:
    editors: frozenset[str] = frozenset()
    skills: dict[str, dict[str, Rule]] = field(default_factory=dict)
    groups: dict[str, dict[str, Rule]] = field(default_factory=dict)
    default_read: Rule = Rule(everyone=True)
    default_write: Rule = Rule()
    #: Why the policy denies everything (a malformed access.json), else None.
    error: str | None = None
    present: bool = False
    #: The same reason without the file's name, and the line it concerns (for findings).
    problem: str | None = None
    problem_line: int | None = None

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def open_default(cls) -> AccessPolicy:
        """No access.json: everyone reads, nobody writes."""
        return cls()

    @classmethod
    def deny_all(cls, reason: str, line: int | None = None) -> AccessPolicy:
        """A policy that denies everything because access.json (at ``line``) is ``reason``."""
        where = f"{ACCESS_FILE}:{line}" if line else ACCESS_FILE
        return cls(
            default_read=Rule(),
            default_write=Rule(),
            error=f"{where}: {reason}",
            present=True,
            problem=reason,
            problem_line=line,
        )

    @classmethod
    def parse(cls, data: Any) -> AccessPolicy:
        if not isinstance(data, dict):
            raise PolicyError("access.json must be a JSON object")
        editors_raw = data.get("editors", [])
        if not isinstance(editors_raw, list):
            raise PolicyError('\'editors\' must be a list of {"id": …, "label": …}')
        editors = set()
        for i, item in enumerate(editors_raw):
            uid = item.get("id") if isinstance(item, dict) else item
            if not isinstance(uid, str) or ":" not in uid:
                raise PolicyError(f"editors[{i}] needs an 'id' like google:1143… (see /api/whoami)")
            editors.add(uid.strip())

        def rules(key: str) -> dict[str, dict[str, Rule]]:
            raw = data.get(key, {})
            if not isinstance(raw, dict):
                raise PolicyError(f"'{key}' must be an object keyed by name")
            out: dict[str, dict[str, Rule]] = {}
            for name, rule in raw.items():
                if not isinstance(rule, dict):
                    raise PolicyError(f"{key}.{name} must be an object with 'read' and/or 'write'")
                unknown = set(rule) - {"read", "write"}
                if unknown:
                    raise PolicyError(
                        f"{key}.{name} has unknown keys: {', '.join(sorted(unknown))}"
                    )
                out[name] = {op: Rule.parse(v, f"{key}.{name}.{op}") for op, v in rule.items()}
            return out

        defaults = data.get("defaults", {})
        if not isinstance(defaults, dict):
            raise PolicyError("'defaults' must be an object with 'read' and 'write'")
        return cls(
            editors=frozenset(editors),
            skills=rules("skills"),
            groups=rules("groups"),
            default_read=Rule.parse(defaults.get("read", "*"), "defaults.read"),
            default_write=Rule.parse(defaults.get("write", "editors"), "defaults.write"),
            present=True,
        )

    @classmethod
    def from_tree(cls, tree: Tree) -> AccessPolicy:
        """The policy of a tree. Never raises: whatever is wrong with the file (unreadable,
        too large, not JSON, huge integers, deep nesting, a bad rule) denies everything."""
        try:
            if tree.kind(ACCESS_FILE) is None:
                return cls.open_default()
            if tree.size(ACCESS_FILE) > MAX_ACCESS_BYTES:
                return cls.deny_all(f"is larger than {MAX_ACCESS_BYTES} bytes")
            data, _ = parse_json(tree.read_bytes(ACCESS_FILE))
            return cls.parse(data)
        except OSError as exc:
            return cls.deny_all(f"cannot be read: {exc.strerror or exc}")
        except DataError as exc:
            return cls.deny_all(exc.message, exc.line)
        except PolicyError as exc:
            return cls.deny_all(str(exc))
        except (ValueError, TypeError, RecursionError) as exc:  # a rule the parser missed
            return cls.deny_all(f"cannot be used ({type(exc).__name__})")

    @classmethod
    def for_catalog(cls, catalog: Catalog) -> AccessPolicy:
        return cls.from_tree(catalog.tree)

    def findings(self, catalog: Catalog | None = None) -> list[Finding]:
        """What is wrong with the policy. Given the ``catalog`` it applies to, a rule naming
        no skill or group in it is a warning too: it matches nothing, so the skill it was
        meant to guard (``Secret-Skill`` for ``secret-skill``, a renamed group) falls back
        to ``defaults`` without a word. Those name access.json's rules: editors' findings."""
        if self.error is not None:
            message = f"{self.problem or self.error}; until fixed nobody can read or write"
            return [Finding("error", ACCESS_FILE, self.problem_line, message)]
        if catalog is None:
            return []
        groups = {p.name for p in catalog.plugins}
        return [
            # A rule may name a skill bare or qualified (plugin:skill).
            *_unmatched("skills", "skill", self.skills, _skill_refs(catalog)),
            *_unmatched("groups", "group", self.groups, groups),
        ]

    # -- decisions ------------------------------------------------------------------------

    def is_editor(self, who: Identity) -> bool:
        return self.error is None and who.id in self.editors

    def _rule(self, op: str, skill: str, group: str) -> Rule:
        """The qualified ``plugin:skill`` rule, else the skill's, else its group's."""
        tables = (
            self.skills.get(f"{group}:{skill}"),
            self.skills.get(skill),
            self.groups.get(group),
        )
        for table in tables:
            if table and op in table:
                return table[op]
        return self.default_read if op == "read" else self.default_write

    def can_write(self, who: Identity, skill: Skill) -> bool:
        return self.can_write_names(who, skill.name, skill.plugin)

    def can_write_names(self, who: Identity, skill: str, group: str) -> bool:
        if self.error is not None:
            return False
        return self._rule("write", skill, group).allows(who, self.is_editor(who))

    def can_read(self, who: Identity, skill: Skill) -> bool:
        if self.error is not None:
            return False
        if not skill.published:
            return self.can_write(who, skill)
        return self._rule("read", skill.name, skill.plugin).allows(
            who, self.is_editor(who)
        ) or self.can_write(who, skill)

    def view_key(self, who: Identity) -> Hashable:
        """People with the same key see the same skills; used to share cached listings."""
        if self.error is not None:
            return "nobody"
        if not self.present:
            return "everyone"
        return who.id, who.verified_domains


def _skill_refs(catalog: Catalog) -> set[str]:
    skills = catalog.skills.values()
    return {s.name for s in skills} | {s.id for s in skills}


def _unmatched(
    key: str, what: str, rules: Mapping[str, object], names: Collection[str]
) -> list[Finding]:
    return [
        Finding(
            "warning",
            ACCESS_FILE,
            None,
            f"{key}.{name}: no {what} is called {name!r} (names are case-sensitive), so this "
            f"rule applies to nothing and the defaults apply instead",
        )
        for name in sorted(rules)
        if name not in names
    ]
