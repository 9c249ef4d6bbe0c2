"""Packaging: binary detection by content, zip layout, size limit."""

from __future__ import annotations

import io
import zipfile

import pytest

from skillport_connector.catalog import load_catalog
from skillport_connector.install import (
    PackageTooLarge,
    install_payload,
    is_binary,
    skill_files,
    write_package,
)
from skillport_connector.sources.tree import MemoryTree

PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


@pytest.mark.parametrize(
    "data, binary",
    [
        (b"plain text\n", False),
        ("déjà vu ✓\n".encode(), False),
        (b"", False),
        (PNG_HEADER, True),
        (b"\xff\xfe\xfd not utf-8", True),
        (b"text with a \x00 NUL", True),
        # extension says nothing: a .txt holding bytes is binary, a .bin holding text is text
    ],
)
def test_binary_detection_is_by_content(data, binary):
    assert is_binary(data) is binary


def test_utf8_character_split_at_the_sniff_boundary_is_still_text():
    data = b"a" * 8191 + "é".encode() + b"b" * 10
    assert is_binary(data) is False


def test_invalid_utf8_after_the_sniff_window_is_binary():
    assert is_binary(b"a" * 9000 + b"\xff") is True


def catalog():
    return load_catalog(
        MemoryTree(
            {
                ".claude-plugin/marketplace.json": '{"name":"m","owner":{"name":"o"},"plugins":'
                '[{"name":"g","source":"./g","version":"1.2.3"}]}',
                "g/skills/s/SKILL.md": "---\nname: s\ndescription: d\n---\nbody\n",
                "g/skills/s/data.txt": b"\x00\x01binary",
                "g/skills/s/notes/readme.md": "hello\n",
            }
        )
    )


def test_package_has_one_root_folder_and_a_plugin_json():
    cat = catalog()
    skill = cat.skill("s")
    buf = io.BytesIO()
    write_package(skill, skill_files(cat, skill), buf)
    names = zipfile.ZipFile(buf).namelist()
    assert sorted(names) == [
        "s/.claude-plugin/plugin.json",
        "s/SKILL.md",
        "s/data.txt",
        "s/notes/readme.md",
    ]


def test_payload_marks_binary_files_base64():
    cat = catalog()
    skill = cat.skill("s")
    files = {f["path"]: f for f in install_payload(skill, skill_files(cat, skill))["files"]}
    assert files["data.txt"]["encoding"] == "base64"
    assert "encoding" not in files["notes/readme.md"]


def test_package_limit_is_enforced_before_reading():
    cat = catalog()
    with pytest.raises(PackageTooLarge):
        skill_files(cat, cat.skill("s"), limit=10)
