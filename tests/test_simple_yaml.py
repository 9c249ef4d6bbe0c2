"""The front-matter fast path agrees with PyYAML wherever it answers."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillport_connector.catalog.data import DataError, load_yaml
from skillport_connector.catalog.frontmatter import simple_yaml

TRICKY = "aZ09 -_:#'\"\\|>{}[],&*!%@`?~.\t\u00e9\u2603\U0001f600\x85\u2028"
word = st.text(alphabet=TRICKY, max_size=20)
key = st.sampled_from(
    ["name", "description", "license", "yes", "on", "Null", "a-b", "x_1", "metadata", "k"]
)
value_line = st.builds(lambda k, v: f"{k}: {v}", key, word)
bare_key = st.builds(
    lambda k, v: f"{k}:{v}", key, st.sampled_from(["", " ", " >", " |", " >-", " |-", " >+"])
)
child = st.builds(
    lambda ind, k, v: f"{ind}{k}: {v}", st.sampled_from([" ", "  ", "    "]), key, word
)
cont = st.builds(lambda ind, v: f"{ind}{v}", st.sampled_from([" ", "  ", "    "]), word)
line = st.one_of(value_line, bare_key, child, cont, word)


def authority(lines: list[str]):
    try:
        return yaml.safe_load("\n".join(lines))
    except yaml.YAMLError:
        return "error"


@settings(max_examples=3000, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(line, max_size=6))
def test_fast_path_agrees_with_pyyaml(lines):
    fast = simple_yaml(lines)
    if fast is not None:
        expected = authority(lines)
        if expected is None and fast == {}:
            return  # empty front matter: both mean "no keys"
        assert fast == expected, lines


def test_fast_path_handles_the_common_shapes():
    lines = [
        "name: my-skill",
        "description: >",
        "  Does one thing,",
        "  then another.",
        "license: 'MIT'",
        "metadata:",
        "  owner: team-7",
        '  reviewed: "2026-10-01"',
        "allowed-tools: Bash Read",
    ]
    assert simple_yaml(lines) == yaml.safe_load("\n".join(lines))
    assert simple_yaml(lines)["description"] == "Does one thing, then another.\n"


def test_fast_path_declines_what_it_does_not_understand():
    assert simple_yaml(["name: a", "description: Use when: x"]) is None
    assert simple_yaml(["version: 1.0"]) is None
    assert simple_yaml(["flag: yes"]) is None
    assert simple_yaml(["tools: [a, b]"]) is None
    assert simple_yaml(["text: |", "  a", "", "  b"]) is None


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(line, max_size=6))
def test_fast_path_agrees_with_the_bounded_loader(lines):
    """The bounded loader (``catalog/data.py``) is what the slow path uses now: where the
    fast path answers, both give the same plain data."""
    fast = simple_yaml(lines)
    if fast is None:
        return
    try:
        slow, _ = load_yaml("\n".join(lines))
    except (yaml.YAMLError, DataError):
        slow = "error"
    if slow is None and fast == {}:
        return
    assert fast == slow, lines
