"""Property-based tests (hypothesis): parsers never crash on any input, and what they
accept round-trips."""

from __future__ import annotations

import contextlib
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillport_connector.access import AccessPolicy
from skillport_connector.catalog import load_catalog
from skillport_connector.catalog.frontmatter import parse_skill_md
from skillport_connector.catalog.semver import InvalidVersion, Version, is_newer
from skillport_connector.install import is_binary
from skillport_connector.sources.tree import MemoryTree

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(st.binary(max_size=2000))
def test_skill_md_parser_never_raises(raw):
    doc = parse_skill_md(raw)
    assert isinstance(doc.data, dict)
    assert all(p.level in ("error", "warning") for p in doc.problems)


@given(st.text(max_size=300))
def test_skill_md_parser_never_raises_on_text_with_front_matter(text):
    parse_skill_md(f"---\n{text}\n---\nbody\n".encode())


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(json_values, json_values)
def test_catalog_loader_never_raises_on_any_manifest(marketplace, manifest):
    tree = MemoryTree(
        {
            ".claude-plugin/marketplace.json": json.dumps(marketplace),
            "plugins/p/.claude-plugin/plugin.json": json.dumps(manifest),
            "plugins/p/skills/s/SKILL.md": "---\nname: s\ndescription: d\n---\n",
        }
    )
    catalog = load_catalog(tree)
    assert all(f.level in ("error", "warning") for f in catalog.findings)


@settings(max_examples=200)
@given(json_values)
def test_access_policy_never_opens_access_when_it_cannot_parse(data):
    policy = AccessPolicy.from_tree(MemoryTree({".skillport/access.json": json.dumps(data)}))
    assert policy.error is not None or isinstance(data, dict)


@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6))
def test_versions_round_trip_and_order_like_tuples(a, b, c):
    v = Version.parse(f"{a}.{b}.{c}")
    assert str(v) == f"{a}.{b}.{c}"
    assert Version.parse(f"{a}.{b}.{c}-rc.1") < v
    assert is_newer(f"{a}.{b}.{c + 1}", str(v))


@given(st.text(max_size=40))
def test_version_parser_raises_only_invalid_version(text):
    with contextlib.suppress(InvalidVersion):
        Version.parse(text)


@given(st.text(max_size=3000))
def test_any_utf8_text_without_nul_is_not_binary(text):
    if "\x00" not in text:
        assert is_binary(text.encode("utf-8")) is False
