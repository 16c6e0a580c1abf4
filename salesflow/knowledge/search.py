"""Full-text search over handbook pages, scripts and cases, the same on SQLite and PostgreSQL
(docs/decisions/0007-knowledge-search-cjk.md).

Each item keeps a normalised search column (``search_text``: NFKC — full-width letters and
digits become half-width — lower case, whitespace collapsed). A query is split on whitespace;
every term must occur in the column (``LIKE '%term%'``, which needs no word segmentation and so
works for Chinese). When no item holds every term, the Chinese terms are cut into overlapping
two-character pieces (bigrams) and an item matching at least half of them is a hit — so
“价格异议” also finds “客户对价格有异议”. Hits are ranked in Python (title hits weigh more
than body hits) and shown with a highlighted snippet.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

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


def bigrams(terms: list[str]) -> list[str]:
    pieces: list[str] = []
    for term in terms:
        chars = "".join(_CJK.findall(term))
        for i in range(len(chars) - 1):
            piece = chars[i : i + 2]
            if piece not in pieces:
                pieces.append(piece)
    return pieces[:MAX_BIGRAMS]


@dataclass
class Hit:
    kind: str
    obj: object
    title: str
    score: float
    snippet: SafeString
    fields: list = field(default_factory=list)


def _all_terms(terms: list[str]) -> Q:
    q = Q()
    for term in terms:
        q &= Q(search_text__contains=term)
    return q


def _any_terms(terms: list[str]) -> Q:
    q = Q()
    for term in terms:
        q |= Q(search_text__contains=term)
    return q


def search(sources, query: str, limit: int = 50) -> list[Hit]:
    """Ranked hits over ``sources``: ``[(kind, queryset, title_of, body_fields_of)]`` — each
    queryset already restricted to what the reader may see."""
    terms = query_terms(query)
    if not terms:
        return []
    hits = _collect(sources, terms, _all_terms(terms), min_share=1.0)
    if not hits:
        pieces = bigrams(terms)
        if len(pieces) >= 2:
            hits = _collect(sources, pieces, _any_terms(pieces), min_share=0.5)
    hits.sort(key=lambda h: (-h.score, h.title))
    return hits[:limit]


def _collect(sources, terms, condition, *, min_share) -> list[Hit]:
    hits = []
    for kind, queryset, title_of, bodies_of in sources:
        for obj in queryset.filter(condition)[:CANDIDATES_PER_KIND]:
            text = obj.search_text
            matched = [t for t in terms if t in text]
            if len(matched) < len(terms) * min_share:
                continue
            title = title_of(obj)
            title_norm = normalise(title)
            score = sum(TITLE_WEIGHT * title_norm.count(t) + text.count(t) for t in matched) * (
                len(matched) / len(terms)
            )
            hits.append(Hit(kind, obj, title, score, snippet(" ".join(bodies_of(obj)), matched)))
    return hits


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
