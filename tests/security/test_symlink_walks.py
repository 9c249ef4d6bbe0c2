"""Every walk is linear in the real number of files, bounded, and off the event loop (issue 9,
defect 3): symlink farms (``d/{a,b,c} -> .``), link lattices and a ``self -> .`` link inside a
skill neither stall a start, a listing or a package, nor freeze the server during a delete.

Time bounds are subprocess and HTTP timeouts, never sleeps."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
from hostile import (
    EDITOR,
    Link,
    Repo,
    Server,
    access,
    marketplace,
    module_server,
    names,
    skill_md,
    start,
    write_files,
)

SKILLS = "plugins/tools/skills"
LEVELS, FAN_OUT = 11, 10


def farm_files() -> dict[str, object]:
    files: dict[str, object] = {
        ".claude-plugin/marketplace.json": marketplace(
            {"name": "tools", "source": "./plugins/tools", "description": "T."}
        ),
        ".skillport/access.json": access(),
        f"{SKILLS}/good-skill/SKILL.md": skill_md("good-skill"),
        # three links back to their own folder: 3^depth paths for a naive walk
        f"{SKILLS}/farm-skill/SKILL.md": skill_md("farm-skill"),
        **{f"{SKILLS}/farm-skill/d/{c}": Link(".") for c in "abc"},
        # a lattice: each level links ten times to the next, 10^11 paths, 12 real folders
        f"{SKILLS}/lattice-skill/SKILL.md": skill_md("lattice-skill"),
        f"{SKILLS}/lattice-skill/L{LEVELS}/leaf.txt": "the only real file down here\n",
        # a chain of links to links to links
        f"{SKILLS}/chain-skill/SKILL.md": skill_md("chain-skill"),
        f"{SKILLS}/chain-skill/c0/file.txt": "end of the chain\n",
    }
    for level in range(LEVELS):
        for k in range(FAN_OUT):
            files[f"{SKILLS}/lattice-skill/L{level}/k{k}"] = Link(f"../L{level + 1}")
    for i in range(1, 40):
        files[f"{SKILLS}/chain-skill/c{i}"] = Link(f"c{i - 1}")
    return files


farm = module_server("farm", farm_files, timeout=30)


def test_a_symlink_farm_in_git_does_not_stall_the_start(farm: Server) -> None:
    assert "good-skill" in names(farm.get("/api/skills", timeout=5))


def test_a_symlink_farm_in_a_folder_does_not_stall_the_start(tmp_path: Path) -> None:
    write_files(tmp_path / "folder", farm_files())
    server = start(tmp_path, tmp_path / "folder", timeout=30)
    try:
        assert "good-skill" in names(server.get("/api/skills", timeout=5))
        assert server.get("/api/skills/lattice-skill/package", timeout=10).status_code in (
            200,
            404,
            413,
        )
    finally:
        server.stop()


@pytest.mark.parametrize("skill", ["farm-skill", "lattice-skill", "chain-skill"])
def test_linked_skills_package_fast_and_small(farm: Server, skill: str) -> None:
    r = farm.get(f"/api/skills/{skill}/package", timeout=10)
    assert r.status_code in (200, 404, 413)
    assert len(r.content) < 1024 * 1024


@pytest.mark.parametrize("skill", ["farm-skill", "lattice-skill", "chain-skill"])
def test_linked_skills_list_a_bounded_number_of_files(farm: Server, skill: str) -> None:
    r = farm.get(f"/api/skills/{skill}", timeout=10)
    if r.status_code == 200:
        assert len(r.json()["files"]) <= 100


def test_the_farm_refreshes_within_seconds(farm: Server) -> None:
    assert farm.repo is not None
    farm.repo.push({f"{SKILLS}/good-skill/notes.md": "a change\n"}, "Touch")
    assert farm.get("/api/skills?refresh=true", timeout=15).status_code == 200


# -- the delete walk -------------------------------------------------------------------------------


def loop_files() -> dict[str, object]:
    return {
        ".claude-plugin/marketplace.json": marketplace(
            {"name": "tools", "source": "./plugins/tools", "description": "T."}
        ),
        ".skillport/access.json": access(),
        f"{SKILLS}/good-skill/SKILL.md": skill_md("good-skill"),
        f"{SKILLS}/loop-skill/SKILL.md": skill_md("loop-skill"),
        f"{SKILLS}/loop-skill/self": Link("."),
    }


def test_deleting_a_skill_with_a_self_link_keeps_the_server_responsive(tmp_path: Path) -> None:
    repo = Repo.create(tmp_path, loop_files())
    server = start(tmp_path, repo.bare, repo=repo)
    outcome: dict[str, object] = {}

    def delete() -> None:
        try:
            r = server.delete("/api/skills/loop-skill?confirm=true", who=EDITOR, timeout=30)
            outcome["status"] = r.status_code
        except httpx.TimeoutException:
            outcome["status"] = "timeout"

    try:
        worker = threading.Thread(target=delete)
        worker.start()
        started = time.monotonic()
        while worker.is_alive() and time.monotonic() - started < 30:
            # every probe must be answered promptly while the delete runs
            assert httpx.get(f"{server.base}/healthz", timeout=3).status_code == 200
        worker.join(timeout=35)
        assert outcome.get("status") in (200, 400), outcome
        assert "good-skill" in names(server.get("/api/skills", timeout=5))
    finally:
        code = server.stop(timeout=15)
    assert code is not None, "the server ignored SIGTERM and had to be killed"
