"""Ranked full-text search over skills (BM25 per field, fields weighted).

A skill whose *name* matches the query should beat one that merely mentions it in its
body, so each field has its own weight. The index is built once per catalog snapshot, by
its first search: it reads each SKILL.md body once (:mod:`.bodies`) and keeps only its
postings, packed into a few flat arrays (:class:`Postings`).
"""

from __future__ import annotations

import math
import re
import threading
from array import array
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import compress
from operator import itemgetter
from typing import overload

from .model import Skill

_TOKEN = re.compile(r"[a-z0-9]+")
FIELD_WEIGHTS = {"name": 6.0, "keywords": 3.0, "tags": 3.0, "description": 2.0, "body": 1.0}
FIELDS = tuple(FIELD_WEIGHTS)
#: Bytes of per-document term scores kept for reuse across searches (12 bytes a score).
MAX_CACHED_TERM_BYTES = 6 * 1024 * 1024
#: Bytes of recent queries' ranked hits kept (12 bytes a hit).
MAX_CACHED_HIT_BYTES = 3 * 1024 * 1024
_SCORE_BYTES = 12  # a document number (array "i") and a score (array "d")
_K1 = 1.2
_B = 0.75


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


Counted = tuple[int, list[tuple[str, int]]]  # a field's length and its terms' frequencies


def _counted(tokens: list[str]) -> Counted:
    return len(tokens), list(Counter(tokens).items())


class _FieldCounts:
    """Each field's length and term frequencies for one skill, in :data:`FIELDS` order: the
    name's tokens and the whole lower-cased name (a one-token name counts twice), the
    keywords, the tags (``surface:`` ones left out), the description and SKILL.md's body.
    The keywords and tags, which a plugin's skills share, are counted once per plugin."""

    def __init__(self) -> None:
        self._shared: dict[tuple[int, tuple[str, ...]], tuple[Counted, Counted]] = {}

    def __call__(self, skill: Skill, body: str) -> tuple[Counted, ...]:
        key = (len(skill.keywords), skill.keywords + skill.tags)
        shared = self._shared.get(key)
        if shared is None:
            tags = " ".join(t for t in skill.tags if not t.startswith("surface:"))
            shared = (_counted(tokenize(" ".join(skill.keywords))), _counted(tokenize(tags)))
            self._shared[key] = shared
        name = _counted([*tokenize(skill.name), skill.name.lower()])
        return name, *shared, _counted(tokenize(skill.description)), _counted(tokenize(body))


@dataclass(frozen=True, slots=True)
class Hit:
    skill: Skill
    score: float
    #: The skill's position in the snapshot's order (``Catalog.skills``): lets a caller
    #: filter 50,000 hits by a mask instead of by name.
    doc: int


class Hits(Sequence[Hit]):
    """Ranked hits, held as two arrays (document numbers, scores); each :class:`Hit` is
    made when it is looked at, so paging through 50,000 hits makes one page of them."""

    __slots__ = ("_docs", "_scores", "_skills")

    def __init__(self, skills: Sequence[Skill], docs: array[int], scores: array[float]) -> None:
        self._skills, self._docs, self._scores = skills, docs, scores

    def __len__(self) -> int:
        return len(self._docs)

    @overload
    def __getitem__(self, index: int) -> Hit: ...
    @overload
    def __getitem__(self, index: slice) -> Hits: ...
    def __getitem__(self, index: int | slice) -> Hit | Hits:
        if isinstance(index, slice):
            return Hits(self._skills, self._docs[index], self._scores[index])
        doc = self._docs[index]
        return Hit(self._skills[doc], self._scores[index], doc)

    def __iter__(self) -> Iterator[Hit]:
        skills = self._skills
        for doc, score in zip(self._docs, self._scores, strict=True):
            yield Hit(skills[doc], score, doc)

    def __repr__(self) -> str:
        return f"<Hits: {len(self)}>"

    def keep(self, visible: bytes) -> Hits:
        """The hits whose document ``visible`` marks (one byte a document, non-zero kept)."""
        if 0 not in visible or not self._docs:
            return self  # the reader sees every skill: nothing to filter
        flags = _flags(visible, self._docs)
        docs = array("i", compress(self._docs, flags))
        return Hits(self._skills, docs, array("d", compress(self._scores, flags)))


def _flags(visible: bytes, docs: array[int]) -> Sequence[int]:
    """``visible``'s byte of each of ``docs`` (picked in one C call)."""
    if len(docs) == 1:
        return (visible[docs[0]],)
    return itemgetter(*docs)(visible)  # type: ignore[no-any-return]


class Postings:
    """Every field's postings, packed: the terms sorted in one string, and per term and
    field a span of (document number, term frequency) pairs in one array. At 50,000 skills
    an array per term and field took ~35 MB (most of it the arrays' own headers); packed,
    ~16 MB. Terms are found by binary search over the sorted terms."""

    def __init__(self, fields: Sequence[dict[str, array[int]]]) -> None:
        terms = sorted(set().union(*fields))
        self._vocab = "".join(f"{t}\n" for t in terms)
        self._starts = array("i", [0])  # term i is vocab[starts[i] : starts[i + 1] - 1]
        self._spans = array("i", [0])  # term i, field f: spans[i*F + f] to spans[i*F + f + 1]
        self._pairs = array("i")
        for term in terms:
            self._starts.append(self._starts[-1] + len(term) + 1)
            for postings in fields:
                found = postings.pop(term, None)
                if found is not None:
                    self._pairs.extend(found)
                self._spans.append(len(self._pairs))

    def _find(self, term: str) -> int | None:
        vocab, starts = self._vocab, self._starts
        lo, hi = 0, len(starts) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            word = vocab[starts[mid] : starts[mid + 1] - 1]
            if word == term:
                return mid
            if word < term:
                lo = mid + 1
            else:
                hi = mid
        return None

    def of(self, term: str, field: int) -> array[int]:
        """``term``'s (document, frequency) pairs in field number ``field`` (maybe empty)."""
        i = self._find(term)
        if i is None:
            return array("i")
        at = i * len(FIELDS) + field
        return self._pairs[self._spans[at] : self._spans[at + 1]]


class SearchIndex:
    """Postings per field, built once per snapshot; each queried term's score per document
    (every field's BM25 share summed) is worked out on first use and kept, within
    :data:`MAX_CACHED_TERM_BYTES`, so a 50,000-skill search walks one list per term."""

    def __init__(self, skills: Sequence[Skill], bodies: Iterable[str]) -> None:
        self._skills = skills
        building: list[dict[str, array[int]]] = [{} for _ in FIELDS]
        self._lengths = [array("i") for _ in FIELDS]
        counts = _FieldCounts()
        for i, (skill, body) in enumerate(zip(skills, bodies, strict=True)):
            for field, (length, terms) in enumerate(counts(skill, body)):
                self._lengths[field].append(length)
                postings = building[field]
                for term, tf in terms:
                    found = postings.get(term)
                    if found is None:
                        if not _TOKEN.fullmatch(term):
                            continue  # a whole name with a hyphen: no query term is one
                        found = postings[term] = array("i")
                    found.extend((i, tf))
        self._postings = Postings(building)
        n = max(len(skills), 1)
        self._avg = [(sum(v) / n) or 1.0 for v in self._lengths]
        self._terms: OrderedDict[str, tuple[array[int], array[float]]] = OrderedDict()
        self._cached = 0
        self._queries: OrderedDict[str, Hits] = OrderedDict()
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
        for field, weight in enumerate(FIELD_WEIGHTS.values()):
            plist = self._postings.of(term, field)
            if not plist:
                continue
            lengths, avg, count = self._lengths[field], self._avg[field], len(plist) // 2
            factor = weight * math.log(1 + (n - count + 0.5) / (count + 0.5))
            pairs = iter(plist)
            for doc, tf in zip(pairs, pairs, strict=True):
                norm = tf * (_K1 + 1) / (tf + _K1 * (1 - _B + _B * lengths[doc] / avg))
                scores[doc] = scores.get(doc, 0.0) + factor * norm
        found = (array("i", scores), array("d", scores.values()))
        with self._lock:
            if term not in self._terms:
                self._terms[term] = found
                self._cached += len(found[0]) * _SCORE_BYTES
                while self._cached > MAX_CACHED_TERM_BYTES and len(self._terms) > 1:
                    _, (docs, _) = self._terms.popitem(last=False)
                    self._cached -= len(docs) * _SCORE_BYTES
        return found

    def search(self, query: str) -> Hits:
        """Every skill matching a word of ``query``, best first. Recent queries' results
        are kept (paging through them asks the same again)."""
        with self._lock:
            ranked = self._queries.get(query)
            if ranked is not None:
                self._queries.move_to_end(query)
        if ranked is None:
            ranked = self._rank(query)
            with self._lock:
                self._queries[query] = ranked
                self._cached_hits += len(ranked) * _SCORE_BYTES
                while self._cached_hits > MAX_CACHED_HIT_BYTES and len(self._queries) > 1:
                    self._cached_hits -= len(self._queries.popitem(last=False)[1]) * _SCORE_BYTES
        return ranked

    def _rank(self, query: str) -> Hits:
        terms = list(dict.fromkeys(tokenize(query)))
        if not terms:
            return Hits(self._skills, array("i"), array("d"))
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
        ranked: list[tuple[float, int]] = []
        for doc in docs:
            # Documents matching every query term rank above partial matches.
            score = scores[doc] * (0.5 + 0.5 * matched[doc] / len(terms))
            if self._skills[doc].name == whole:
                score += 10.0
            ranked.append((round(score, 4), doc))
        ranked.sort(key=_score, reverse=True)  # reverse=True keeps equal scores in order
        ordered = array("i", [doc for _, doc in ranked])
        return Hits(self._skills, ordered, array("d", [score for score, _ in ranked]))

    @cached_property
    def _name_order(self) -> array[int]:
        """Every document, by skill name (documents of one name in snapshot order)."""
        skills = self._skills
        return array("i", sorted(range(len(skills)), key=lambda d: skills[d].name))


def _score(ranked: tuple[float, int]) -> float:
    return ranked[0]
