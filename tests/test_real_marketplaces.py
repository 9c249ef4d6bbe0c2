"""The catalog finds exactly what Claude Code itself finds in real public marketplaces.

Each ``<owner>+<repo>.expected.json`` beside the fixtures records what Claude Code 2.1.197
discovered in that tree; ``validate --json`` must agree plugin by plugin, skill by skill.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import REAL_MARKETPLACES

from skillport_connector.cli import main

ROOT = Path(os.environ.get("SKILLPORT_REAL_MARKETPLACES", REAL_MARKETPLACES))
EXPECTED = sorted(ROOT.glob("*.expected.json"))


def test_fixtures_are_present():
    assert len(EXPECTED) >= 6, f"real marketplace fixtures missing under {ROOT}"


@pytest.mark.parametrize(
    "expected_file", EXPECTED, ids=lambda p: p.name.removesuffix(".expected.json")
)
def test_catalog_agrees_with_claude_code(expected_file: Path, capsys):
    expected = json.loads(expected_file.read_text())
    tree = expected_file.with_name(expected_file.name.removesuffix(".expected.json"))
    main(["validate", str(tree), "--json"])
    report = json.loads(capsys.readouterr().out)

    assert report["marketplace"] == expected["marketplace_name"]
    published = {p["name"]: p for p in report["plugins"] if p["published"]}
    assert set(published) == {p["name"] for p in expected["plugins"]}
    for want in expected["plugins"]:
        got = published[want["name"]]
        assert got["remote"] == (want["kind"] != "local"), want["name"]
        assert got["loadable"] == (not want["load_error"]), want["name"]
        assert sorted(s["name"] for s in got["skills"]) == sorted(want["skills"]), want["name"]
        assert sorted(s["path"] for s in got["skills"]) == sorted(want["skill_dirs"]), want["name"]
