"""Property-based tests (hypothesis): parsers never crash on any input, and what they
accept round-trips."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import (
    hostile_json_text,
    hostile_skill_md,
    hostile_trees,
    hostile_versions,
    is_plain,
)

from skillport_connector.access import AccessPolicy
from skillport_connector.catalog import load_catalog
from skillport_connector.catalog.frontmatter import parse_skill_md
from skillport_connector.catalog.semver import InvalidVersion, Version, is_newer
from skillport_connector.install import is_binary
from skillport_connector.names import is_skill_name
from skillport_connector.sources.tree import DirectoryTree, MemoryTree

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


# -- hostile repository content (issue 9): nothing escapes, what reaches clients is plain ----


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(hostile_trees())
def test_catalog_loader_never_raises_on_hostile_trees(tree):
    catalog = load_catalog(tree)
    json.dumps([f.as_dict() for f in catalog.findings], ensure_ascii=False).encode()
    for skill in catalog.skills.values():
        assert is_plain(catalog.document(skill).data)
        assert is_skill_name(skill.name)
        assert all(is_plain(f.path) for f in skill.files)
    for plugin in catalog.plugins:
        assert is_plain(dict(plugin.entry)) and is_plain(dict(plugin.manifest))
        json.dumps(plugin.name, ensure_ascii=False).encode()


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(hostile_skill_md())
def test_skill_md_parser_gives_plain_bounded_data_on_hostile_front_matter(raw):
    doc = parse_skill_md(raw)
    assert is_plain(doc.data)
    assert len(json.dumps(doc.data)) <= 2 * len(raw) + 64  # no alias can expand it


@settings(max_examples=200, deadline=None)
@given(hostile_json_text({"editors": [], "defaults": {"read": "*"}}))
def test_access_policy_never_raises_and_denies_on_hostile_json(text):
    policy = AccessPolicy.from_tree(MemoryTree({".skillport/access.json": text}))
    if policy.error is not None:
        assert not policy.default_read.everyone and policy.findings()


@settings(max_examples=200, deadline=None)
@given(hostile_versions, hostile_versions)
def test_semver_raises_only_invalid_version_on_hostile_versions(a, b):
    with contextlib.suppress(InvalidVersion):
        Version.parse(a)
    assert isinstance(is_newer(a, b), bool)


link_targets = st.sampled_from([".", "..", "../..", "d", "d/e", "../one", "x", "l0", "l1", "l2"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["", "d/", "d/e/"]), link_targets), max_size=8))
def test_any_symlink_graph_inside_a_skill_is_walked_in_linear_time(links):
    """Issue 9 #3: whatever links a skill holds (farms, chains, cycles), the loader lists
    each real folder at most once and serves only real files of the skill."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        skill = root / "a/skills/one"
        (skill / "d/e").mkdir(parents=True)
        (skill / "SKILL.md").write_text("---\nname: one\ndescription: d\n---\n")
        (skill / "d/e/f.txt").write_text("f")
        (root / ".claude-plugin").mkdir()
        (root / ".claude-plugin/marketplace.json").write_text(
            json.dumps(
                {"name": "m", "owner": {"name": "o"}, "plugins": [{"name": "a", "source": "./a"}]}
            )
        )
        for i, (where, target) in enumerate(links):
            with contextlib.suppress(FileExistsError):
                os.symlink(target, skill / where / f"l{i}")
        listings = 0

        class Counting(DirectoryTree):
            def list_dir(self, path):
                nonlocal listings
                listings += 1
                return super().list_dir(path)

        catalog = load_catalog(Counting(root))
        assert listings <= 8  # root, a/skills, one, d, d/e, plugins … never per link path
        files = {f.path for f in catalog.skill("one").files}
        assert {"SKILL.md", "d/e/f.txt"} <= files
        assert all(p.count("/") <= 3 for p in files)
