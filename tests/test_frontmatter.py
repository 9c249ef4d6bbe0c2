"""SKILL.md front matter: real YAML, and the Agent Skills checks as problems, never crashes."""

from __future__ import annotations

import pytest

from skillport_connector.catalog.frontmatter import parse_skill_md


def problems(raw: str | bytes) -> list[str]:
    data = raw.encode() if isinstance(raw, str) else raw
    return [p.message for p in parse_skill_md(data).problems]


def test_folded_block_scalar_description():
    doc = parse_skill_md(b"---\nname: a\ndescription: >\n  one\n  two\n---\nbody\n")
    assert doc.description == "one two"
    assert doc.body == "body\n"


def test_literal_block_scalar_description():
    doc = parse_skill_md(b"---\nname: a\ndescription: |\n  line one\n  line two\n---\n")
    assert doc.description == "line one\nline two"


def test_quoted_values_with_colons_and_hashes():
    doc = parse_skill_md(b"---\nname: 'a'\ndescription: \"Use when: #1 priority\"\n---\n")
    assert doc.name == "a"
    assert doc.description == "Use when: #1 priority"


def test_crlf_line_endings():
    doc = parse_skill_md(b"---\r\nname: a\r\ndescription: Works.\r\n---\r\nBody\r\n")
    assert doc.name == "a" and doc.description == "Works." and doc.body == "Body\n"
    assert doc.problems == ()


def test_utf8_bom_is_ignored():
    doc = parse_skill_md("\ufeff---\nname: a\ndescription: Déjà vu.\n---\n".encode())
    assert doc.description == "Déjà vu."
    assert doc.problems == ()


def test_non_string_values_do_not_crash():
    doc = parse_skill_md(b"---\nname: 123\ndescription: 4.5\nmetadata:\n  n: 1\n---\n")
    assert doc.name is None
    assert doc.description == "4.5"
    msgs = [p.message for p in doc.problems]
    assert any("name must be a non-empty string" in m for m in msgs)
    assert any("description must be a string" in m for m in msgs)
    assert any("metadata must map strings to strings" in m for m in msgs)


def test_missing_front_matter_is_an_error_on_line_1():
    [problem] = parse_skill_md(b"# Just markdown\n").problems
    assert problem.line == 1 and "no YAML front matter" in problem.message


def test_unclosed_front_matter_is_an_error():
    assert any("not closed" in m for m in problems("---\nname: a\n"))


def test_yaml_error_points_at_the_file_line():
    [problem] = parse_skill_md(b"---\nname: a\ndescription: ok\nbad: [x\n---\n").problems
    assert "not valid YAML" in problem.message
    assert problem.line == 4


def test_front_matter_that_is_not_a_mapping():
    assert any("must be a YAML mapping" in m for m in problems("---\n- a\n- b\n---\n"))


@pytest.mark.parametrize(
    "name",
    ["Upper", "under_score", "-lead", "trail-", "dou--ble", "sp ace", "a" * 65, ""],
)
def test_invalid_names_are_reported(name):
    msgs = problems(f"---\nname: '{name}'\ndescription: ok\n---\n")
    assert any("name" in m for m in msgs), msgs


@pytest.mark.parametrize("name", ["a", "pdf", "web-artifacts-builder", "x1-2y", "a" * 64])
def test_valid_names_pass(name):
    assert problems(f"---\nname: {name}\ndescription: ok\n---\n") == []


def test_description_length_limit():
    assert problems(f"---\nname: a\ndescription: {'x' * 1024}\n---\n") == []
    assert any(
        "limit is 1024" in m for m in problems(f"---\nname: a\ndescription: {'x' * 1025}\n---\n")
    )


def test_missing_and_empty_description():
    assert any("no 'description'" in m for m in problems("---\nname: a\n---\n"))
    assert any(
        "description is empty" in m for m in problems("---\nname: a\ndescription: ''\n---\n")
    )


def test_compatibility_limit():
    ok = problems(f"---\nname: a\ndescription: d\ncompatibility: {'c' * 500}\n---\n")
    bad = problems(f"---\nname: a\ndescription: d\ncompatibility: {'c' * 501}\n---\n")
    assert ok == [] and any("limit is 500" in m for m in bad)


def test_allowed_tools_string_or_list():
    assert problems("---\nname: a\ndescription: d\nallowed-tools: Bash Read\n---\n") == []
    assert problems("---\nname: a\ndescription: d\nallowed-tools: [Bash, Read]\n---\n") == []
    bad = problems("---\nname: a\ndescription: d\nallowed-tools: {Bash: yes}\n---\n")
    assert any("allowed-tools" in m for m in bad)


def test_problem_line_points_at_the_offending_key():
    doc = parse_skill_md(b"---\nname: a\nlicense: MIT\ncompatibility: 5\ndescription: d\n---\n")
    [problem] = doc.problems
    assert problem.line == 4


def test_invalid_utf8_is_reported_not_raised():
    doc = parse_skill_md(b"---\nname: a\ndescription: caf\xe9\n---\n")
    assert any("not valid UTF-8" in p.message for p in doc.problems)
