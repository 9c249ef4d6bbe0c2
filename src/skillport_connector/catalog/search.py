"""Ranked full-text search over skills (BM25 per field, fields weighted).

A skill whose *name* matches the query should beat one that merely mentions it in its
body, so each field has its own weight. The index is built once per catalog snapshot.
"""

from __future__ import annotations

import math
import re
import threading
from array import array
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from .model import Skill

_TOKEN = re.compile(r"[a-z0-9]+")
FIELD_WEIGHTS = {"name": 6.0, "keywords": 3.0, "tags": 3.0, "description": 2.0, "body": 1.0}
#: Per-document term scores kept for reuse across searches (about 16 bytes each).
MAX_CACHED_POSTINGS = 2_000_000
#: Hits of recent queries kept (about 100 bytes each).
MAX_CACHED_HITS = 200_000
_K1 = 1.2
_B = 0.75


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def _fields(skill: Skill) -> dict[str, list[str]]:
    name_tokens = tokenize(skill.name)
    return {
        "name": [*name_tokens, skill.name.lower()],
        "keywords": tokenize(" ".join(skill.keywords)),
        "tags": tokenize(" ".join(t for t in skill.tags if not t.startswith("surface:"))),
        "description": tokenize(skill.description),
        "body": tokenize(skill.body),
    }


@dataclass(frozen=True, slots=True)
class Hit:
    skill: Skill
    score: float
    #: The skill's position in the snapshot's order (``Catalog.skills``): lets a caller
    #: filter 50,000 hits by a mask instead of by name.
    doc: int


class SearchIndex:
    """Postings per field, built once per snapshot; each queried term's score per document
    (every field's BM25 share summed) is worked out on first use and kept, within
    :data:`MAX_CACHED_POSTINGS`, so a 50,000-skill search walks one list per term."""

    def __init__(self, skills: Iterable[Skill]) -> None:
        self._skills: list[Skill] = list(skills)
        # postings[field][term] -> doc index, term frequency, doc index, ... (compact: a
        # list of tuples took ~120 MB for 50,000 skills)
        self._postings: dict[str, dict[str, array[int]]] = {f: {} for f in FIELD_WEIGHTS}
        self._lengths: dict[str, array[int]] = {f: array("i") for f in FIELD_WEIGHTS}
        for i, skill in enumerate(self._skills):
            for field, tokens in _fields(skill).items():
                self._lengths[field].append(len(tokens))
                postings = self._postings[field]
                for term, tf in Counter(tokens).items():
                    found = postings.get(term)
                    if found is None:
                        found = postings[term] = array("i")
                    found.extend((i, tf))
        n = max(len(self._skills), 1)
        self._avg = {f: (sum(v) / n) or 1.0 for f, v in self._lengths.items()}
        self._terms: OrderedDict[str, tuple[array[int], array[float]]] = OrderedDict()
        self._cached = 0
        self._queries: OrderedDict[str, tuple[Hit, ...]] = OrderedDict()
        self._cached_hits = 0
        self._lock = threading.Lock()

    def _term(self, term: str) -> tuple[array[int], array[float]]:
        """Documents holding ``term`` and its score in each, all fields summed."""
        with self._lock:
            found = self._terms.get(term)
            if found is not None:
                self._terms.move_to_end(term)
                return found
        n = len(self._skills)
        scores: dict[int, float] = {}
        for field, weight in FIELD_WEIGHTS.items():
            plist = self._postings[field].get(term)
            if not plist:
                continue
            lengths, avg, count = self._lengths[field], self._avg[field], len(plist) // 2
            factor = weight * math.log(1 + (n - count + 0.5) / (count + 0.5))
            pairs = iter(plist)
            for doc, tf in zip(pairs, pairs, strict=True):
                norm = tf * (_K1 + 1) / (tf + _K1 * (1 - _B + _B * lengths[doc] / avg))
                scores[doc] = scores.get(doc, 0.0) + factor * norm
        found = (array("l", scores), array("d", scores.values()))
        with self._lock:
            if term not in self._terms:
                self._terms[term] = found
                self._cached += len(found[0])
                while self._cached > MAX_CACHED_POSTINGS and len(self._terms) > 1:
                    _, (docs, _) = self._terms.popitem(last=False)
                    self._cached -= len(docs)
        return found

    def search(self, query: str, limit: int | None = None) -> list[Hit]:
        """Every skill matching a word of ``query``, best first (the first ``limit``).
        Recent queries' results are kept (paging through them asks the same again)."""
        with self._lock:
            ranked = self._queries.get(query)
            if ranked is not None:
                self._queries.move_to_end(query)
        if ranked is None:
            ranked = self._rank(query)
            with self._lock:
                self._queries[query] = ranked
                self._cached_hits += len(ranked)
                while self._cached_hits > MAX_CACHED_HITS and len(self._queries) > 1:
                    self._cached_hits -= len(self._queries.popitem(last=False)[1])
        return list(ranked[:limit] if limit else ranked)

    def _rank(self, query: str) -> tuple[Hit, ...]:
        terms = list(dict.fromkeys(tokenize(query)))
        if not terms:
            return ()
        whole = query.strip().lower()
        scores: dict[int, float] = {}
        matched: dict[int, int] = {}
        for term in terms:
            docs, values = self._term(term)
            if len(terms) == 1:
                scores = dict(zip(docs, values, strict=True))
                matched = dict.fromkeys(docs, 1)
                break
            get, count = scores.get, matched.get
            for doc, value in zip(docs, values, strict=True):
                scores[doc] = get(doc, 0.0) + value
                matched[doc] = count(doc, 0) + 1
        # Best score first, then by name: the hits are made in name order and sorted by
        # score alone (a stable sort keeps the name order among equal scores), which at
        # 50,000 hits costs a third of sorting by (score, name) pairs.
        if len(scores) * 8 < len(self._skills):
            docs = sorted(scores, key=lambda d: self._skills[d].name)
        else:
            docs = [d for d in self._name_order if d in scores]
        hits: list[Hit] = []
        for doc in docs:
            skill = self._skills[doc]
            # Documents matching every query term rank above partial matches.
            score = scores[doc] * (0.5 + 0.5 * matched[doc] / len(terms))
            if skill.name == whole:
                score += 10.0
            hits.append(Hit(skill, round(score, 4), doc))
        hits.sort(key=_score, reverse=True)  # reverse=True keeps equal scores in order
        return tuple(hits)

    @cached_property
    def _name_order(self) -> array[int]:
        """Every document, by skill name (documents of one name in snapshot order)."""
        skills = self._skills
        return array("i", sorted(range(len(skills)), key=lambda d: skills[d].name))


def _score(hit: Hit) -> float:
    return hit.score
