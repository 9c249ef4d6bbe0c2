"""``skillport-connector validate`` names each finding's file once, as ``file[:line]:``, and
prints each finding once, on a marketplace broken in every way a newcomer trips over."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from conftest import marketplace, skill_md, write_tree

from skillport_connector.cli import main

ACCESS = ".skillport/access.json"
BROKEN = {
    ".claude-plugin/marketplace.json": marketplace(
        {"name": "a", "source": "./a"},
        {"name": "b", "source": "./b", "lspServers": {"x": {}}},
        {"name": "missing", "source": "./nope"},
        {"name": "a", "source": "./a"},
        {"name": "c", "source": "c/"},
        {"name": "gh", "source": {"source": "github"}},
        name="Broken Market",
    ),
    "a/.claude-plugin/plugin.json": '{"name": "a", "version": 1.0.0}',
    "b/skills/one/SKILL.md": skill_md("one"),
    "c/.claude-plugin/plugin.json": {"name": "c", "foo": 1, "hooks": {"Nope": []}},
    "c/skills/two/SKILL.md": "no front matter\n",
    "plugins/un/skills/x/SKILL.md": "---\nname: Bad_Name\ndescription: d\n---\n",
}
FINDING = re.compile(r"^(?P<where>[^\s:]+(?::\d+)?): (?:error|warning): (?P<message>.*)$")


def validate(capsys, folder: Path) -> list[str]:
    main(["validate", str(folder)])
    return capsys.readouterr().out.splitlines()[:-1]  # the last line is the summary


def test_each_finding_names_its_file_once(tmp_path: Path, capsys):
    write_tree(tmp_path, {**BROKEN, ACCESS: "{bad"})
    lines = validate(capsys, tmp_path)
    assert len(lines) >= 8
    for line in lines:
        found = FINDING.match(line)
        assert found, line
        file = found["where"].split(":")[0]
        assert file not in found["message"], line


def test_each_finding_is_printed_once(tmp_path: Path, capsys):
    write_tree(tmp_path, {**BROKEN, ACCESS: "{bad"})
    lines = validate(capsys, tmp_path)
    assert [line for line, n in Counter(lines).items() if n > 1] == []


def test_a_malformed_access_json_is_reported_at_its_line(tmp_path: Path, capsys):
    write_tree(tmp_path, {**BROKEN, ACCESS: '{\n  "editors": [\n    1,\n'})
    [line] = [line for line in validate(capsys, tmp_path) if line.startswith(ACCESS)]
    assert re.match(rf"^{re.escape(ACCESS)}:\d+: error: (?!.*access\.json)", line), line
