"""Path handling at the tree boundary: nothing outside the root is ever reachable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skillport_connector.sources.tree import (
    DirectoryTree,
    EntryKind,
    MemoryTree,
    UnsafePathError,
    clean_path,
)


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("", ""),
        (".", ""),
        ("./", ""),
        ("./a//b/", "a/b"),
        ("a/./b", "a/b"),
        ("skills/x/SKILL.md", "skills/x/SKILL.md"),
    ],
)
def test_clean_path_normalises(raw, clean):
    assert clean_path(raw) == clean


@pytest.mark.parametrize(
    "raw", ["..", "../x", "a/../../x", "a/..", "/etc/passwd", "a\\b", "a\x00b"]
)
def test_clean_path_refuses_escapes(raw):
    with pytest.raises(UnsafePathError):
        clean_path(raw)


@given(st.text())
def test_clean_path_never_yields_an_escaping_path(raw):
    try:
        cleaned = clean_path(raw)
    except UnsafePathError:
        return
    parts = cleaned.split("/") if cleaned else []
    assert ".." not in parts and "" not in parts and "." not in parts
    assert not cleaned.startswith("/") and "\\" not in cleaned and "\x00" not in cleaned


def test_directory_tree_reads_inside_and_refuses_links_out(tmp_path: Path):
    (tmp_path / "secret").write_text("s")
    root = tmp_path / "root"
    (root / "d").mkdir(parents=True)
    (root / "d/f.txt").write_text("hello")
    os.symlink(tmp_path / "secret", root / "d/out")
    os.symlink(root / "d/f.txt", root / "d/in")
    os.symlink(root / "d/missing", root / "d/dangling")
    os.symlink(root / "d/loop", root / "d/loop")
    tree = DirectoryTree(root)
    kinds = {e.name: e.kind for e in tree.list_dir("d")}
    assert kinds == {
        "f.txt": EntryKind.FILE,
        "in": EntryKind.FILE,
        "out": EntryKind.ESCAPE,
        "dangling": EntryKind.ESCAPE,
        "loop": EntryKind.ESCAPE,
    }
    assert tree.read_bytes("d/in") == b"hello"
    for name in ("out", "dangling", "loop"):
        with pytest.raises(FileNotFoundError):
            tree.read_bytes(f"d/{name}")
    with pytest.raises(UnsafePathError):
        tree.read_bytes("../secret")


def test_directory_tree_refuses_a_symlinked_parent_pointing_out(tmp_path: Path):
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside/x").write_text("x")
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(tmp_path / "outside", root / "link")
    tree = DirectoryTree(root)
    assert tree.kind("link") is EntryKind.ESCAPE
    with pytest.raises(FileNotFoundError):
        tree.read_bytes("link/x")
    with pytest.raises(NotADirectoryError):
        tree.list_dir("link")


def test_memory_tree_behaves_like_a_directory():
    tree = MemoryTree({"a/b.txt": "1", "a/c/d.txt": b"2"})
    assert [(e.name, e.kind) for e in tree.list_dir("a")] == [
        ("b.txt", EntryKind.FILE),
        ("c", EntryKind.DIR),
    ]
    assert tree.kind("a/c") is EntryKind.DIR and tree.kind("nope") is None
    assert tree.read_bytes("a/c/d.txt") == b"2"
