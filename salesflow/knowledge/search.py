"""Full-text search over handbook pages, scripts and cases, the same on SQLite and PostgreSQL
(docs/decisions/0008-knowledge-search-and-versions.md).

Each item keeps a normalised search column (``search_text``: NFKC — full-width letters and
digits become half-width — lower case, whitespace collapsed). A query is split on whitespace;
every term must occur in the column (``LIKE '%term%'``, which needs no word segmentation and so
works for Chinese). A term of three or more Chinese characters also matches through its
overlapping two-character pieces (bigrams) when at least half of them occur — so “决策人引荐”
finds “请您引荐一下……决策人”. Hits are ranked in Python: literal matches before bigram
matches, then by a score where title hits weigh more than body hits; each is shown with a
highlighted snippet.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.db.models import Q
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MAX_TERMS = 6
MAX_BIGRAMS = 12
CANDIDATES_PER_KIND = 300
SNIPPET_RADIUS = 40
TITLE_WEIGHT = 5
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower()
    return " ".join(text.split())


def search_text_for(title: str, *bodies: str) -> str:
    return normalise(" ".join([title or "", *[b or "" for b in bodies]]))


def query_terms(query: str) -> list[str]:
    terms = []
    for term in normalise(query).split(" "):
        if term and term not in terms:
            terms.append(term)
    return terms[:MAX_TERMS]


def term_bigrams(term: str) -> list[str]:
    """The overlapping two-character pieces of a term's Chinese characters, for terms of three
    or more of them (shorter ones must match literally)."""
    chars = "".join(_CJK.findall(term))
    if len(chars) < 3:
        return []
    pieces: list[str] = []
    for i in range(len(chars) - 1):
        if chars[i : i + 2] not in pieces:
            pieces.append(chars[i : i + 2])
    return pieces[:MAX_BIGRAMS]


@dataclass
class Hit:
    kind: str
    obj: object
    title: str
    score: float
    snippet: SafeString
    literal: int = 0  # how many terms matched literally (ranked before fuzzy matches)
    url: str = ""
    kind_label: str = ""


def _condition(plans) -> Q:
    condition = Q()
    for term, pieces in plans:
        either = Q(search_text__contains=term)
        for piece in pieces:
            either |= Q(search_text__contains=piece)
        condition &= either
    return condition


def _match(plans, text: str, title: str):
    """(literal term count, score, marked strings) or None when a term is not matched: a term
    matches literally, or through at least half (and at least two) of its bigrams."""
    literal, score, marks = 0, 0.0, []
    for term, pieces in plans:
        if term in text:
            literal += 1
            score += TITLE_WEIGHT * title.count(term) + text.count(term)
            marks.append(term)
            continue
        found = [p for p in pieces if p in text]
        if len(found) < 2 or len(found) * 2 < len(pieces):
            return None
        share = len(found) / len(pieces)
        score += share * sum(TITLE_WEIGHT * title.count(p) + text.count(p) for p in found) / 2
        marks.extend(found)
    return literal, score, marks


def search(sources, query: str, limit: int = 50) -> list[Hit]:
    """Ranked hits over ``sources``: ``[(kind, queryset, title_of, body_fields_of)]`` — each
    queryset already restricted to what the reader may see. Every term must match."""
    terms = query_terms(query)
    if not terms:
        return []
    plans = [(term, term_bigrams(term)) for term in terms]
    condition = _condition(plans)
    hits = []
    for kind, queryset, title_of, bodies_of in sources:
        for obj in queryset.filter(condition)[:CANDIDATES_PER_KIND]:
            title = title_of(obj)
            found = _match(plans, obj.search_text, normalise(title))
            if found is None:
                continue
            literal, score, marks = found
            body = " ".join(bodies_of(obj))
            hits.append(Hit(kind, obj, title, score, snippet(body, marks), literal))
    hits.sort(key=lambda h: (-h.literal, -h.score, h.title))
    return hits[:limit]


def snippet(text: str, terms: list[str]) -> SafeString:
    """A window of ``text`` around the first term found, every term wrapped in ``<mark>``;
    the text is escaped, only the marks are HTML."""
    shown = " ".join(unicodedata.normalize("NFKC", text or "").split())
    if not terms:
        return mark_safe(escape(shown[: SNIPPET_RADIUS * 2]))
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.I)
    first = pattern.search(shown)
    start = max(0, first.start() - SNIPPET_RADIUS) if first else 0
    end = min(len(shown), start + SNIPPET_RADIUS * 3)
    window = shown[start:end]
    parts, last = [], 0
    for match in pattern.finditer(window):
        parts.append(escape(window[last : match.start()]))
        parts.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    parts.append(escape(window[last:]))
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(shown) else ""
    return mark_safe(prefix + "".join(parts) + suffix)
