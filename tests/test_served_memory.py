"""Issue 13, item 5: what a served snapshot holds in memory, and that holding less changes
no answer.

A skill record holds no SKILL.md body or front matter: both are read through the
snapshot's own tree when asked (its git commit, so a newer snapshot changes nothing), and
the search index reads each body once, keeping only its packed postings. The caches that
live with a snapshot are bounded by bytes, and memory a load freed goes back to the system.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from conftest import marketplace, skill_md, write_tree
from gitrepos import commit_folder, git

from skillport_connector import heap
from skillport_connector.catalog import Catalog, Skill, load_catalog
from skillport_connector.catalog import search as search_module
from skillport_connector.catalog.bodies import body_of
from skillport_connector.catalog.frontmatter import parse_skill_md
from skillport_connector.catalog.search import FIELD_WEIGHTS, Hits, SearchIndex, tokenize
from skillport_connector.mcp import skills as mcp_skills
from skillport_connector.services import snapshots as snapshots_module
from skillport_connector.services.snapshots import Snapshots
from skillport_connector.sources.gitrepo import GitTree
from skillport_connector.sources.tree import MemoryTree


def one_skill(body: str, front: str = "") -> dict[str, object]:
    return {
        ".claude-plugin/marketplace.json": marketplace({"name": "p", "source": "./p"}),
        "p/skills/s/SKILL.md": skill_md("s", extra=front).replace("Body of s.", body),
    }


def memory_catalog(files: dict[str, object]) -> Catalog:
    """The catalog of ``files`` (dicts written as JSON) from an in-memory tree."""
    return load_catalog(
        MemoryTree({k: v if isinstance(v, str) else json.dumps(v) for k, v in files.items()})
    )


# -- records hold no SKILL.md content ------------------------------------------------------


def test_a_skill_record_holds_neither_body_nor_front_matter():
    catalog = memory_catalog(one_skill("Say hello.", front="license: MIT\n"))
    skill = catalog.skill("s")
    assert skill is not None
    assert not hasattr(skill, "body") and not hasattr(skill, "front_matter")
    document = catalog.document(skill)
    assert document.body == "\n# s\n\nSay hello.\n".lstrip("\n")
    assert document.data == {
        "name": "s",
        "description": "Does a thing when asked.",
        "license": "MIT",
    }


def test_file_paths_that_repeat_from_skill_to_skill_are_kept_once():
    files = one_skill("Say hello.")
    files["p/skills/t/SKILL.md"] = skill_md("t")
    files["p/skills/t/references/notes.md"] = "notes"
    files["p/skills/s/references/notes.md"] = "other notes"
    catalog = memory_catalog(files)
    s, t = catalog.skill("s"), catalog.skill("t")
    assert s is not None and t is not None
    assert [f.path for f in s.files] == [f.path for f in t.files]
    assert all(a.path is b.path for a, b in zip(s.files, t.files, strict=True))


def test_search_finds_a_word_only_in_the_body():
    catalog = memory_catalog(one_skill("Convert parquet files."))
    assert [hit.skill.name for hit in catalog.search("parquet")] == ["s"]
    assert len(catalog.search("avro")) == 0


def test_an_old_snapshot_reads_its_own_bodies_after_a_newer_one_is_swapped_in(tmp_path):
    write_tree(tmp_path, one_skill("Handles alpha reports."))
    repo = commit_folder(tmp_path, "first")
    old = load_catalog(GitTree(repo, git(tmp_path, "rev-parse", "HEAD")))
    write_tree(tmp_path, one_skill("Handles omega reports."))
    commit_folder(tmp_path, "second")
    new = load_catalog(GitTree(repo, git(tmp_path, "rev-parse", "HEAD")))
    # The old snapshot indexes and reads its bodies only now, after the new one loaded.
    assert [h.skill.name for h in old.search("alpha")] == ["s"] and not old.search("omega")
    assert [h.skill.name for h in new.search("omega")] == ["s"] and not new.search("alpha")
    skill = old.skill("s")
    assert skill is not None and "alpha" in old.document(skill).body


@pytest.mark.parametrize(
    "raw",
    [
        b"---\nname: a\n---\nbody\n",
        b"---\nname: a\n---\n\n\nbody after blank lines\n",
        b"\xef\xbb\xbf---\r\nname: a\r\n---\r\nwindows body\r\n",
        b"no front matter at all\n",
        b"---\nname: a\nnever closed\n",
        b"----\nname: a\n---\nfirst fence is not a fence\n",
        b"---\nname: a\n...\nclosed by dots\n",
        b"---\nname: a\n---",
        b"---\nname: [\n---\nbody of broken yaml\n",
        b"---\nname: a\n---\nnot utf-8 \xff\n",
    ],
)
def test_body_of_is_the_body_parse_skill_md_gives(raw):
    assert body_of(raw) == parse_skill_md(raw).body


# -- the packed index ranks as BM25 over each field ---------------------------------------


def reference_ranking(
    skills: list[Skill], bodies: list[str], query: str
) -> list[tuple[int, float]]:
    """BM25 per field, weighted and summed, written out plainly (the whole lower-cased name
    is a term of the name field; partial matches count half)."""

    def fields(skill: Skill, body: str) -> dict[str, list[str]]:
        tags = " ".join(t for t in skill.tags if not t.startswith("surface:"))
        return {
            "name": [*tokenize(skill.name), skill.name.lower()],
            "keywords": tokenize(" ".join(skill.keywords)),
            "tags": tokenize(tags),
            "description": tokenize(skill.description),
            "body": tokenize(body),
        }

    docs = [fields(s, b) for s, b in zip(skills, bodies, strict=True)]
    n = len(docs)
    terms = list(dict.fromkeys(tokenize(query)))
    found: dict[int, tuple[float, int]] = {}
    for d, doc in enumerate(docs):
        total, matched = 0.0, 0
        for term in terms:
            hit = False
            for field, weight in FIELD_WEIGHTS.items():
                tf = doc[field].count(term)
                if not tf:
                    continue
                hit = True
                having = sum(1 for other in docs if term in other[field])
                avg = (sum(len(other[field]) for other in docs) / n) or 1.0
                idf = math.log(1 + (n - having + 0.5) / (having + 0.5))
                norm = tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len(doc[field]) / avg))
                total += weight * idf * norm
            matched += hit
        if matched:
            score = total * (0.5 + 0.5 * matched / len(terms))
            if skills[d].name == query.strip().lower():
                score += 10.0
            found[d] = (round(score, 4), d)
    order = sorted(found, key=lambda d: (-found[d][0], skills[d].name, d))
    return [(d, found[d][0]) for d in order]


def library() -> tuple[list[Skill], list[str]]:
    words = ["csv", "data", "report", "pdf", "chart", "invoice", "review", "csv-tools"]
    skills, bodies = [], []
    for i in range(40):
        name = ["csv", "pdf-report", "data", "review-2"][i % 4] + ("" if i < 4 else f"-{i}")
        keywords = (words[i % 7], words[(i * 3) % 7])
        tags = ("surface:CC", words[(i + 2) % 7]) if i % 3 else ()
        skill = Skill(
            name,
            f"g{i % 5}",
            f"g/{name}",
            f"Makes {words[i % 8]} things",
            "1",
            True,
            (),
            keywords=keywords,
            tags=tags,
        )
        skills.append(skill)
        bodies.append(" ".join(words[(i * j) % 8] for j in range(i % 9 + 1)))
    return skills, bodies


@pytest.mark.parametrize(
    "query",
    ["csv", "data report", "pdf-report", "csv csv data", "review 2", "chart", "nothing", "CSV"],
)
def test_the_packed_index_ranks_as_bm25_over_each_field(query):
    skills, bodies = library()
    hits = SearchIndex(skills, bodies).search(query)
    assert [(h.doc, h.score) for h in hits] == reference_ranking(skills, bodies, query)


def test_scores_and_rankings_kept_stay_within_their_byte_budgets(monkeypatch):
    skills, bodies = library()
    monkeypatch.setattr(search_module, "MAX_CACHED_TERM_BYTES", 200)
    monkeypatch.setattr(search_module, "MAX_CACHED_HIT_BYTES", 300)
    index = SearchIndex(skills, bodies)
    first = [(h.doc, h.score) for h in index.search("csv")]
    for query in ["data", "report", "pdf", "chart", "invoice", "review"]:
        index.search(query)
        assert index._cached <= 200 or len(index._terms) == 1
        assert index._cached_hits <= 300 or len(index._queries) == 1
    assert "csv" not in index._terms and "csv" not in index._queries
    assert [(h.doc, h.score) for h in index.search("csv")] == first  # worked out again


def test_hits_are_made_only_for_what_is_looked_at_and_a_mask_keeps_the_visible():
    skills, bodies = library()
    hits = SearchIndex(skills, bodies).search("csv")
    page = hits[1:3]
    assert isinstance(page, Hits) and [h.doc for h in page] == [h.doc for h in list(hits)[1:3]]
    everyone = bytes([1] * len(skills))
    assert hits.keep(everyone) is hits
    even = bytes(1 - d % 2 for d in range(len(skills)))
    assert [h.doc for h in hits.keep(even)] == [h.doc for h in hits if h.doc % 2 == 0]


# -- caches that live with a snapshot -------------------------------------------------------


def test_a_snapshot_memo_drops_the_least_recently_used_past_its_byte_budget(monkeypatch):
    monkeypatch.setattr(snapshots_module, "MAX_MEMO_BYTES", 1000)
    catalog = memory_catalog(one_skill("Body."))
    snapshots, built = Snapshots(), []

    def build(key: str) -> bytes:
        built.append(key)
        return key.encode() * 400  # 400 or more bytes

    for key in ["a", "b", "a", "c"]:  # "b" is the least recently used when "c" comes
        snapshots.memo(catalog, key, lambda key=key: build(key))
    snapshots.memo(catalog, "a", lambda: build("a"))
    snapshots.memo(catalog, "b", lambda: build("b"))
    assert built == ["a", "b", "c", "b"]
    huge = snapshots.memo(catalog, "huge", lambda: b"x" * 5000)  # over budget alone: kept
    assert snapshots.memo(catalog, "huge", lambda: b"rebuilt") is huge


def test_mcp_skill_entries_are_bounded_per_snapshot_and_carry_the_front_matter(monkeypatch):
    monkeypatch.setattr(mcp_skills, "MAX_ENTRIES", 2)
    files = one_skill("Body.", front="license: MIT\n")
    for name in ["t", "u"]:
        files[f"p/skills/{name}/SKILL.md"] = skill_md(name)
    catalog = memory_catalog(files)
    index = mcp_skills.SkillIndex()
    entries = index.entries(catalog, list(catalog.skills.values()))
    assert entries[0]["frontmatter"] == {
        "name": "s",
        "description": "Does a thing when asked.",
        "license": "MIT",
    }
    assert len(index._cache[catalog]) == 2 and "s" not in index._cache[catalog]
    assert index.entry(catalog, catalog.skills["s"]) == entries[0]  # read again


# -- the C heap --------------------------------------------------------------------------------


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(heap._trim is None, reason="no glibc malloc_trim here")
def test_release_hands_the_memory_a_load_freed_back_to_the_system():
    blocks = [bytes(2000) + i.to_bytes(4, "little") for i in range(40_000)]  # ~80 MB, C heap
    kept = blocks[::16]  # what a load keeps, between what it frees: holes, not a free top
    del blocks
    before = rss_kb()
    assert heap.release()
    assert before - rss_kb() > 30_000  # most of the ~75 MB of holes went back
    assert len(kept) == 2500
