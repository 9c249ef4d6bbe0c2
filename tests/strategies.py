"""Hypothesis strategies for hostile repository content (issue 9), shared by the property
tests here and by ``tests/security/``.

Each strategy draws what an attacker with push access could put in a marketplace: JSON
with huge integers, deep nesting, NaN and lone surrogates; front matter with aliases,
alias bombs, impossible dates, odd tags and invalid names; version strings of thousands
of digits; file and folder names that are not UTF-8. ``hostile_trees`` assembles them
into a whole :class:`~skillport_connector.sources.tree.MemoryTree`.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from skillport_connector.sources.tree import MemoryTree

MP = ".claude-plugin/marketplace.json"

plain_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)

#: Integer literals past Python's 4,300-digit conversion limit, and just under it.
huge_int_literals = st.integers(4000, 6000).map(lambda n: "9" * n) | st.just("-" + "1" * 5000)

#: JSON fragments that are not plain, bounded data (each a complete JSON value as text).
hostile_json_values = st.one_of(
    huge_int_literals,
    st.integers(65, 6000).map(lambda d: "[" * d + "]" * d),
    st.integers(65, 3000).map(lambda d: '{"a":' * d + "1" + "}" * d),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-1e999"]),
    st.sampled_from(['"\\udcff"', '"\\ud800"', '"a\\udfffb"', '"\\u0000"']),
)


@st.composite
def hostile_json_text(draw: st.DrawFn, base: Any = None) -> str:
    """A JSON document: ``base`` (or any plain value) with one hostile value spliced in
    under a drawn key, or a bare hostile value, or bytes that are not JSON at all."""
    hostile = draw(hostile_json_values)
    shape = draw(st.sampled_from(["object", "bare", "list", "broken"]))
    if shape == "bare":
        return hostile
    if shape == "list":
        return "[" + hostile + "]"
    if shape == "broken":
        return draw(st.sampled_from(["{", '{"a": }', "\ufeff{}", "{'a': 1}", ""]))
    document = (
        base
        if isinstance(base, dict)
        else draw(st.dictionaries(st.text(max_size=8), plain_json, max_size=3))
    )
    text = json.dumps(document)
    key = json.dumps(
        draw(st.sampled_from(["x", "name", "version", "plugins", "editors", "source"]))
    )
    return text[:-1] + ("," if len(text) > 2 else "") + f"{key}: {hostile}" + "}"


#: Skill names no client may ever see (issue 9 #10).
invalid_names = st.sampled_from(
    [
        "..",
        "..\\..\\..\\evil",
        "../../etc",
        "\u0441sv-profiler",  # Cyrillic look-alike
        "\u65e5\u672c\u8a9e",
        "a\r\nb",
        "a\nb",
        "UPPER",
        "-lead",
        "x" * 65,
        "",
    ]
)

#: Front-matter lines that are not plain, bounded data, or are impossible values.
hostile_yaml_lines = st.one_of(
    st.sampled_from(
        [
            "x: &a [*a]",
            "x: &a {k: *a}",
            "base: &b hello\ncopy: *b",
            "updated: 2024-02-30",
            "updated: 2024-13-45 25:61:61",
            "when: 0000-00-00",
            "big: 0x" + "f" * 5000,
            "sexagesimal: " + ":".join(["59"] * 2000),
            "blob: !!binary aGVsbG8=",
            "obj: !!python/object:os.system {}",
            "set: !!set {a, b}",
            "<<: {a: 1}",
            "inf: .inf",
            "nan: .nan",
            'esc: "\\x00\\x1b\\u2028"',
        ]
    ),
    huge_int_literals.map(lambda digits: f"n: {digits}"),
    st.integers(33, 3000).map(lambda d: "x: " + "[" * d + "]" * d),
    st.integers(2, 8).map(
        lambda levels: (
            "a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, levels + 1)
            ).rstrip("\n")
        )
    ),
    invalid_names.map(lambda n: f"name: {json.dumps(n)}"),
)


@st.composite
def hostile_skill_md(draw: st.DrawFn) -> bytes:
    """A SKILL.md whose front matter holds one to three hostile lines."""
    lines = draw(st.lists(hostile_yaml_lines, min_size=1, max_size=3))
    head = "name: s\ndescription: d\n" if draw(st.booleans()) else ""
    text = f"---\n{head}" + "\n".join(lines) + "\n---\nbody\n"
    raw = text.encode("utf-8", "surrogatepass")
    return draw(st.sampled_from([raw, raw.replace(b"\n", b"\r\n"), b"\xef\xbb\xbf" + raw]))


#: Version strings a manifest or a client may send (issue 9 #2).
hostile_versions = st.one_of(
    huge_int_literals.map(lambda d: f"{d}.0.0"),
    huge_int_literals.map(lambda d: f"1.0.0-{d}"),
    st.integers(300, 5000).map(lambda n: "1.0.0+" + "a" * n),
    st.sampled_from(["v1.0.0", " 1.0.0 ", "1.0", "01.0.0", "1.0.0-", "\u0661.0.0", "1.0.0\n"]),
    st.text(max_size=40),
)

#: File and folder names that cannot be served: not UTF-8 (surrogate escapes, as
#: ``os.scandir`` and ``git ls-tree`` hand them out) and control characters. (Backslashes
#: too, but a MemoryTree refuses them: test those on a DirectoryTree.)
hostile_file_names = st.sampled_from(
    ["x\udcff", "bad\udcff.txt", "a\rb", "a\nb.md", "tab\there", "\udcc3("]
)


@st.composite
def hostile_trees(draw: st.DrawFn) -> MemoryTree:
    """A whole marketplace with hostile content in some of its files."""
    entry = {"name": "p", "source": "./plugins/p"}
    market: dict[str, Any] = {"name": "m", "owner": {"name": "o"}, "plugins": [entry]}
    files: dict[str, bytes | str] = {
        MP: json.dumps(market),
        "plugins/p/skills/s/SKILL.md": "---\nname: s\ndescription: d\n---\n",
        "plugins/p/skills/t/SKILL.md": draw(hostile_skill_md()),
    }
    if draw(st.booleans()):
        files[MP] = draw(hostile_json_text(market))
    if draw(st.booleans()):
        files["plugins/p/.claude-plugin/plugin.json"] = draw(hostile_json_text({"name": "p"}))
    if draw(st.booleans()):
        files[".skillport/access.json"] = draw(hostile_json_text({"editors": []}))
    if draw(st.booleans()):
        version = json.dumps(draw(hostile_versions))
        files["plugins/q/.claude-plugin/plugin.json"] = f'{{"name": "q", "version": {version}}}'
        files["plugins/q/skills/u/SKILL.md"] = "---\nname: u\ndescription: d\n---\n"
    for name in draw(st.lists(hostile_file_names, max_size=3, unique=True)):
        where = draw(st.sampled_from(["plugins/p/skills/s", "plugins", "plugins/p/skills"]))
        files[f"{where}/{name}/SKILL.md" if draw(st.booleans()) else f"{where}/{name}"] = "x"
    if draw(st.booleans()):
        files["SKILL.md"] = draw(hostile_skill_md())
        market["plugins"].append({"name": "root", "source": "./"})
        files[MP] = json.dumps(market)
    return MemoryTree(files)


def is_plain(value: Any, max_depth: int = 64) -> bool:
    """Whether ``value`` is plain JSON data: str/int/float/bool/None, lists, str-keyed
    dicts, nested at most ``max_depth`` deep, every string encodable as UTF-8."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            return False
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, dict):
            if not all(isinstance(k, str) for k in item):
                return False
            stack.extend((k, depth + 1) for k in item)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, int) and item.bit_length() > 1000:
            return False  # past what json.dumps can write (4,300 digits) or a client read
        elif item is not None and not isinstance(item, bool | int | float):
            return False
    return True
