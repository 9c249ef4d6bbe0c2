"""Issue 13, item 5: big libraries load and are served within bounds that still hold.

A 50,000-skill marketplace.json (1.07 MB) was refused by the 1 MiB manifest limit: now
marketplace.json has a limit of its own that 100,000 plugin entries fit, and what is over
it, or past 100,000 plugins, is still a finding. A git snapshot (with its faster listing
and lookups) loads the same catalog as the folder. Listing and search answers of more than
1,000 skills come in pages unless asked otherwise; smaller ones keep the original shape.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from conftest import marketplace, messages, skill_md, write_tree
from gitrepos import commit_folder
from serving import build_app, signed_in_client

from skillport_connector.api.paging import MAX_LIMIT
from skillport_connector.catalog import Catalog, Limits, load_catalog
from skillport_connector.catalog.limits import DEFAULT_LIMITS
from skillport_connector.sources.gitrepo import GitError, GitTree
from skillport_connector.sources.tree import DirectoryTree, MemoryTree

MP = ".claude-plugin/marketplace.json"


def library(plugins: int, skills: int, *, versioned: bool = True) -> dict[str, object]:
    """``plugins`` plugins of ``skills`` skills, each with a reference file."""
    files: dict[str, object] = {}
    entries = []
    for p in range(plugins):
        entry: dict[str, object] = {"name": f"p{p}", "source": f"./plugins/p{p}"}
        if versioned:
            entry["version"] = "1.0.0"
        entries.append(entry)
        files[f"plugins/p{p}/.claude-plugin/plugin.json"] = {"name": f"p{p}"}
        for s in range(skills):
            name = f"s{p}-{s}"
            files[f"plugins/p{p}/skills/{name}/SKILL.md"] = skill_md(name)
            files[f"plugins/p{p}/skills/{name}/references/notes.md"] = f"notes of {name}\n"
    files[MP] = marketplace(*entries)
    return files


def summary(catalog: Catalog) -> object:
    """Everything a client can see of a catalog, comparable across trees."""
    return (
        [
            (s.id, s.version, s.description, doc.body, doc.data, s.files)
            for s in sorted(catalog.skills.values(), key=lambda s: s.id)
            for doc in [catalog.document(s)]
        ],
        [(p.name, p.version, p.published, p.loadable, p.skills) for p in catalog.plugins],
        sorted(f.as_dict().items().__repr__() for f in catalog.findings),
    )


def test_a_git_snapshot_loads_the_same_catalog_as_its_folder(tmp_path):
    files = library(3, 4, versioned=False)  # content versions read every file
    files.update(
        {
            # the same content twice (one blob), a broken manifest, an unpublished group
            "plugins/p0/skills/twin/SKILL.md": skill_md("s0-0"),
            "plugins/p1/.claude-plugin/plugin.json": "{not json",
            "plugins/draft/skills/wip/SKILL.md": skill_md("wip"),
            "plugins/p2/skills/s2-0/run.sh": "#!/bin/sh\n",
        }
    )
    write_tree(tmp_path, files)
    os.chmod(tmp_path / "plugins/p2/skills/s2-0/run.sh", 0o755)
    os.symlink("references/notes.md", tmp_path / "plugins/p2/skills/s2-1/linked.md")
    from_folder = load_catalog(DirectoryTree(tmp_path))
    tree = GitTree(commit_folder(tmp_path), "HEAD")
    from_git = load_catalog(tree)
    assert summary(from_git) == summary(from_folder)
    assert len(from_git.skills) == 10 and from_git.errors
    tree.close()


# -- reading ahead ---------------------------------------------------------------------------


def small_files(tmp_path: Path, count: int) -> GitTree:
    write_tree(tmp_path, {f"d{i // 100}/f{i}.md": f"file {i}\n" * 5 for i in range(count)})
    os.symlink("f1.md", tmp_path / "d0/link.md")
    return GitTree(commit_folder(tmp_path), "HEAD")


def test_files_read_ahead_are_the_files_read_one_by_one(tmp_path):
    tree = small_files(tmp_path, 5)
    paths = ["d0/f0.md", "d0/link.md", "./d0//f2.md", "d0", "nothing.md", "../x", "d0/f0.md"]
    tree.read_ahead(paths, 1 << 20)
    assert tree.read_bytes("d0/f0.md") == b"file 0\n" * 5
    assert tree.read_bytes("d0/link.md") == (tmp_path / "d0/f1.md").read_bytes()
    assert tree.read_bytes("d0/f2.md") == b"file 2\n" * 5
    assert tree.read_bytes("d0/f0.md") == b"file 0\n" * 5  # a second read asks git again
    with pytest.raises(FileNotFoundError):
        tree.read_bytes("nothing.md")
    tree.close()


def test_thousands_of_files_read_ahead_in_one_pass_fill_no_pipe_for_ever(tmp_path):
    tree = small_files(tmp_path, 3000)  # ~125 KB of ids written, ~120 KB answered
    tree.read_ahead((f"d{i // 100}/f{i}.md" for i in range(3000)), 1 << 20)
    assert len(tree._ahead) == 3000
    assert all(
        tree.read_bytes(f"d{i // 100}/f{i}.md") == f"file {i}\n".encode() * 5 for i in range(3000)
    )
    assert tree._ahead == {}  # each is handed out once, then memory is free
    tree.close()


def test_read_ahead_holds_no_more_than_its_byte_budget(tmp_path):
    tree = small_files(tmp_path, 10)  # 35 bytes a file
    tree.read_ahead((f"d0/f{i}.md" for i in range(10)), 100)
    assert sorted(tree._ahead) == ["d0/f0.md", "d0/f1.md"]
    assert tree.read_bytes("d0/f9.md") == b"file 9\n" * 5  # past the budget: read as usual
    tree.close()


def test_a_new_read_ahead_drops_what_the_last_one_left_unread(tmp_path):
    tree = small_files(tmp_path, 3)
    tree.read_ahead(["d0/f0.md", "d0/f1.md"], 1 << 20)
    tree.read_ahead(["d0/f2.md"], 1 << 20)
    assert list(tree._ahead) == ["d0/f2.md"]
    tree.close()


def test_an_object_git_lacks_is_left_out_of_the_read_ahead(tmp_path):
    tree = small_files(tmp_path, 2)
    sha = tree._files["d0/f0.md"][1]
    (tmp_path / ".git/objects" / sha[:2] / sha[2:]).unlink()  # loose objects: one file each
    tree.read_ahead(["d0/f0.md", "d0/f1.md"], 1 << 20)
    assert tree.read_bytes("d0/f1.md") == b"file 1\n" * 5
    with pytest.raises(FileNotFoundError):
        tree.read_bytes("d0/f0.md")
    tree.close()


def test_read_ahead_starts_git_again_when_it_went_away(tmp_path):
    tree = small_files(tmp_path, 2)
    assert tree.read_bytes("d0/f0.md")
    assert tree._proc is not None
    tree._proc.kill()
    tree._proc.wait()
    tree.read_ahead(["d0/f1.md"], 1 << 20)
    assert tree._ahead == {"d0/f1.md": b"file 1\n" * 5}
    tree.close()


def test_a_snapshot_listing_comes_whole_however_git_cuts_it(tmp_path):
    files = {f"d/{'é' * (i % 7)}f{i}.md": "x" * i for i in range(300)}  # multi-byte names
    write_tree(tmp_path, files)
    repo = commit_folder(tmp_path)
    whole = GitTree(repo, "HEAD")
    pieces = [*repo.stream("ls-tree", "-r", "-t", "-l", "-z", "--full-tree", "HEAD", chunk=7)]
    assert len(pieces) > 100 and b"".join(pieces) == repo.run(
        "ls-tree", "-r", "-t", "-l", "-z", "--full-tree", "HEAD"
    )
    assert sorted(whole.files()) == sorted(files)
    assert all(whole.size(p) == len(c) for p, c in files.items())


def test_a_failing_git_command_streamed_raises_its_message(tmp_path):
    write_tree(tmp_path, {"a.md": "a"})
    repo = commit_folder(tmp_path)
    with pytest.raises(GitError, match="not a tree object"):
        list(repo.stream("ls-tree", "-r", "0" * 40))
    missing = GitTree(repo, "f" * 40)  # a commit git cannot list: a finding, not a failure
    assert missing.problem is not None and "cannot list commit" in missing.problem


def test_a_streamed_git_command_still_running_after_its_timeout_is_stopped(tmp_path):
    write_tree(tmp_path, {"a.md": "a"})
    repo = commit_folder(tmp_path)
    started = time.monotonic()
    with pytest.raises(GitError, match="still running after"):
        list(repo.stream("-c", "alias.hang=!sleep 30", "hang", timeout=0.5))
    assert time.monotonic() - started < 10  # git's own child (sleep) was stopped too


# -- the limits ------------------------------------------------------------------------------


def generated_entry(i: int) -> dict[str, object]:
    """A plugin entry as big as the benchmark's (name, source, description, tags...)."""
    return {
        "name": f"group-{i:06d}",
        "source": f"./plugins/group-{i:06d}",
        "description": f"Synthetic group number {i}",
        "version": "1.0.0",
        "tags": ["surface:CALL", "synthetic"],
        "keywords": ["bench", f"k{i % 50}"],
        "category": f"cat-{i % 9}",
    }


def test_a_marketplace_of_100000_plugins_fits_the_size_limit():
    widest = len(json.dumps(generated_entry(99_999))) + len(", ")
    frame = len(json.dumps(marketplace()))
    assert frame + 100_000 * widest < DEFAULT_LIMITS.max_marketplace_bytes
    assert DEFAULT_LIMITS.max_plugins >= 100_000


def test_a_marketplace_over_the_size_limit_is_an_error_finding():
    padding = "x" * DEFAULT_LIMITS.max_marketplace_bytes
    tree = MemoryTree({MP: json.dumps(marketplace(description=padding))})
    catalog = load_catalog(tree)
    assert not catalog.plugins
    [error] = messages(catalog, "error")
    assert f"the limit is {DEFAULT_LIMITS.max_marketplace_bytes}" in error


def test_a_plugin_manifest_keeps_the_manifest_size_limit():
    files = library(1, 1)
    files["plugins/p0/.claude-plugin/plugin.json"] = {"name": "p0", "description": "y" * 200}
    tree = MemoryTree({k: v if isinstance(v, str) else json.dumps(v) for k, v in files.items()})
    catalog = load_catalog(tree, Limits(max_manifest_bytes=100))
    assert not catalog.skills
    assert any("plugin.json" in f.file and "the limit is 100" in f.message for f in catalog.errors)


def test_plugins_past_the_plugin_limit_are_not_loaded_and_say_so():
    files = library(3, 1)
    tree = MemoryTree({k: v if isinstance(v, str) else json.dumps(v) for k, v in files.items()})
    catalog = load_catalog(tree, Limits(max_plugins=2))
    assert [p.name for p in catalog.plugins] == ["p0", "p1"]
    assert messages(catalog, "error") == ["lists 3 plugins; the first 2 are loaded"]


# -- answers that would be huge come in pages ------------------------------------------------


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A served folder of 1,001 skills (one more than a whole answer may hold)."""
    root = tmp_path_factory.mktemp("big")
    write_tree(root, library(7, 143))
    app = build_app(
        root.parent / "data", marketplace=str(root), public_url="https://skills.example.com"
    )
    return signed_in_client(app, "p@example.com")


def test_a_listing_of_more_than_1000_skills_comes_in_pages_by_default(big):
    first = big.get("/api/skills").json()
    assert first["count"] == 1001 and len(first["skills"]) == MAX_LIMIT
    rest = big.get("/api/skills", params={"limit": 1000, "cursor": first["next_cursor"]}).json()
    names = {s["name"] for s in first["skills"] + rest["skills"]}
    assert len(names) == 1001 and rest["next_cursor"] is None


def test_a_search_with_more_than_1000_hits_comes_in_pages_by_default(big):
    found = big.get("/api/skills", params={"q": "thing"}).json()
    assert found["count"] == 1001 and len(found["skills"]) == MAX_LIMIT
    assert found["next_cursor"] and found["query"] == "thing"


def test_a_small_listing_keeps_the_original_shape_without_next_cursor(client_small):
    assert set(client_small.get("/api/skills").json()) == {"count", "surface_filter", "skills"}


@pytest.fixture
def client_small(tmp_path):
    write_tree(tmp_path / "m", library(2, 3))
    app = build_app(
        tmp_path / "d", marketplace=str(tmp_path / "m"), public_url="https://skills.example.com"
    )
    return signed_in_client(app, "p@example.com")
