"""Ranked full-text search over skills (BM25 per field, fields weighted).

A skill whose *name* matches the query should beat one that merely mentions it in its
body, so each field has its own weight. The index is built once per catalog snapshot.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from .model import Skill

_TOKEN = re.compile(r"[a-z0-9]+")
FIELD_WEIGHTS = {"name": 6.0, "keywords": 3.0, "tags": 3.0, "description": 2.0, "body": 1.0}
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


class SearchIndex:
    def __init__(self, skills: Iterable[Skill]) -> None:
        self._skills: list[Skill] = list(skills)
        # postings[field][term] -> list of (doc index, term frequency)
        self._postings: dict[str, dict[str, list[tuple[int, int]]]] = {
            f: defaultdict(list) for f in FIELD_WEIGHTS
        }
        self._lengths: dict[str, list[int]] = {f: [] for f in FIELD_WEIGHTS}
        for i, skill in enumerate(self._skills):
            for field, tokens in _fields(skill).items():
                self._lengths[field].append(len(tokens))
                for term, tf in Counter(tokens).items():
                    self._postings[field][term].append((i, tf))
        n = max(len(self._skills), 1)
        self._avg = {f: (sum(v) / n) or 1.0 for f, v in self._lengths.items()}

    def search(self, query: str, limit: int | None = None) -> list[Hit]:
        terms = list(dict.fromkeys(tokenize(query)))
        if not terms:
            return []
        whole = query.strip().lower()
        n = len(self._skills)
        scores: dict[int, float] = defaultdict(float)
        matched: dict[int, set[str]] = defaultdict(set)
        for field, weight in FIELD_WEIGHTS.items():
            postings = self._postings[field]
            lengths = self._lengths[field]
            avg = self._avg[field]
            for term in terms:
                plist = postings.get(term)
                if not plist:
                    continue
                idf = math.log(1 + (n - len(plist) + 0.5) / (len(plist) + 0.5))
                for doc, tf in plist:
                    norm = tf * (_K1 + 1) / (tf + _K1 * (1 - _B + _B * lengths[doc] / avg))
                    scores[doc] += weight * idf * norm
                    matched[doc].add(term)
        hits: list[Hit] = []
        for doc, score in scores.items():
            skill = self._skills[doc]
            # Documents matching every query term rank above partial matches.
            coverage = len(matched[doc]) / len(terms)
            score *= 0.5 + 0.5 * coverage
            if skill.name == whole:
                score += 10.0
            hits.append(Hit(skill, round(score, 4)))
        hits.sort(key=lambda h: (-h.score, h.skill.name))
        return hits[:limit] if limit else hits
