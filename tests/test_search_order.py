"""The search index's order: best score first, equal scores by name, and each hit's
position in the snapshot (what a reader's visibility mask is indexed by)."""

from __future__ import annotations

from collections.abc import Iterable

from skillport_connector.catalog.model import Skill
from skillport_connector.catalog.search import SearchIndex


def skill(name: str, body: str, plugin: str = "p") -> tuple[Skill, str]:
    """A skill and its SKILL.md body (the index reads bodies apart from the records)."""
    return Skill(name, plugin, f"{plugin}/{name}", "d", "1.0.0", True, ()), body


def index_of(skills: Iterable[tuple[Skill, str]]) -> SearchIndex:
    records, bodies = zip(*skills, strict=True)
    return SearchIndex(records, bodies)


def names(index: SearchIndex, query: str) -> list[str]:
    return [hit.skill.name for hit in index.search(query)]


def test_equal_scores_come_in_name_order_when_most_skills_match():
    index = index_of(skill(n, "shared words") for n in ["delta", "alpha", "charlie", "bravo"])
    assert names(index, "shared") == ["alpha", "bravo", "charlie", "delta"]


def test_equal_scores_come_in_name_order_when_few_skills_match():
    others = [skill(f"other-{i:03d}", "nothing here") for i in range(100)]
    index = index_of([*others, skill("zulu", "rare"), skill("echo", "rare")])
    assert names(index, "rare") == ["echo", "zulu"]


def test_one_name_in_two_plugins_keeps_snapshot_order_among_equal_scores():
    index = index_of([skill("same", "word", "b"), skill("same", "word", "a")])
    assert [h.skill.plugin for h in index.search("word")] == ["b", "a"]


def test_a_better_score_comes_before_a_better_name():
    index = index_of([skill("alpha", "word"), skill("zulu", "word word word zulu")])
    assert names(index, "word") == ["zulu", "alpha"]


def test_each_hit_knows_its_position_in_the_snapshot():
    pairs = [skill(f"s{i}", "even" if i % 2 == 0 else "odd") for i in range(10)]
    skills = [s for s, _ in pairs]
    hits = index_of(pairs).search("even")
    assert hits and all(skills[hit.doc] is hit.skill for hit in hits)
