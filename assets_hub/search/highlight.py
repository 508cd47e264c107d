"""Highlighting for the embedded engine: <mark> around matched words, everything else escaped.

tantivy's SnippetGenerator only knows exact terms (fuzzy and prefix queries expose none), so a
typo match would go unmarked; this reuses the query's own matching rules instead. It runs only
on the hits of the returned page, never on the whole result set.
"""

from __future__ import annotations

import html
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence

import tantivy

from assets_hub.search.analysis import QueryWord

SNIPPET_CHARS = 160
# Body text can be long: a snippet is looked for near its start only, which also keeps the
# highlighting of a page cheap.
SNIPPET_SCAN_CHARS = 5_000


# Bounds of a MatchCache: words remembered, and tokens decided per word before its entry
# starts afresh (a few MB at most).
CACHED_WORDS = 2_048
CACHED_TOKENS_PER_WORD = 20_000


class WordMatches:
    """The tokens decided so far for one query word, and those of them that it matches."""

    __slots__ = ("decided", "matched", "word")

    def __init__(self, word: QueryWord) -> None:
        self.word = word
        self.decided: set[str] = set()
        self.matched: set[str] = set()

    def select(self, tokens: set[str]) -> set[str]:
        """The ``tokens`` the word matches (as ``QueryWord.select``), deciding only new ones."""
        found = tokens & self.matched
        unknown = tokens - self.decided
        if unknown:
            fresh = self.word.select(unknown)
            found |= fresh
            # matched first: a reader seeing a token as decided then also sees its match.
            self.matched |= fresh
            self.decided |= unknown
        return found


class MatchCache:
    """Which tokens match which query word, remembered across searches.

    Deciding a token is Python work (an edit search for typo words) and the same words and
    tokens come back search after search, so a page mostly reuses earlier decisions. A
    decision depends only on the word's text, typo budget and prefix flag, so entries never
    go stale. Safe to share between threads: the sets are only changed by single C-level
    operations, and a full entry is replaced, never emptied in place.
    """

    def __init__(
        self, words: int = CACHED_WORDS, tokens_per_word: int = CACHED_TOKENS_PER_WORD
    ) -> None:
        self._words = words
        self._tokens = tokens_per_word
        self._entries: OrderedDict[tuple[str, int, bool], WordMatches] = OrderedDict()
        self._lock = threading.Lock()

    def matches(self, word: QueryWord) -> WordMatches:
        """The shared decisions for ``word`` (its text, typo budget and prefix flag)."""
        key = (word.text, word.typos, word.prefix)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or len(entry.decided) > self._tokens:
                entry = self._entries[key] = WordMatches(word)
                if len(self._entries) > self._words:
                    self._entries.popitem(last=False)
            else:
                self._entries.move_to_end(key)
            return entry


class Highlighter:
    """Marks matched words (and words of their synonyms) in stored text."""

    def __init__(
        self,
        analyzer: tantivy.TextAnalyzer,
        words: Sequence[QueryWord],
        track: frozenset[str] = frozenset(),
        cache: MatchCache | None = None,
    ) -> None:
        """``track``: the words whose typo matches to count for the did-you-mean; ``cache``:
        token decisions shared with other searches (None: decided afresh)."""
        self._analyzer = analyzer
        self._words = tuple(words)
        self._track = track
        # Looked up once per search: the per-text work below is then plain set operations.
        self._decisions = [
            cache.matches(w) if cache is not None else WordMatches(w) for w in self._words
        ]
        # Tokens already decided, and those of them that match: deciding is Python work
        # (edit distances), so each distinct token of a page is decided once, and whole
        # texts are checked with C-level set operations.
        self._seen: set[str] = set()
        self._matched: set[str] = {t for w in words for s in w.synonyms for t in s}
        self._matched.update(w.text for w in words)
        self._seen.update(self._matched)
        # Tokens seen matching each word only through a typo: the did-you-mean material.
        self.typo_matches: dict[str, Counter[str]] = {}
        self._typo_of: dict[str, list[str]] = {}
        self._page: set[str] = set()  # every token of the page's text analysed so far

    def _decide(self, tokens: Iterable[str]) -> None:
        fresh = set(tokens) - self._seen
        if not fresh:
            return
        self._seen |= fresh
        for word, decisions in zip(self._words, self._decisions, strict=True):
            found = decisions.select(fresh)
            self._matched |= found
            if word.text in self._track:
                for token in found:
                    if not (word.prefix and token.startswith(word.text)):
                        self._typo_of.setdefault(token, []).append(word.text)

    def _count(self, matched: Iterable[str]) -> None:
        if not self._typo_of:
            return
        for token in matched:
            for word in self._typo_of.get(token, ()):
                self.typo_matches.setdefault(word, Counter())[token] += 1

    def _spans(self, text: str) -> list[tuple[int, int]]:
        # Most stored texts of a page hold no match: one bulk analyze() call (strings only)
        # and a set test rule them out; offsets are asked for only when something matched.
        words = self._analyzer.analyze(text)
        self._page.update(words)
        self._decide(words)
        if self._matched.isdisjoint(words):
            return []
        matched = self._matched
        spans = []
        hits = []
        for t in self._analyzer.pre_tokenize(text).tokens:
            if t.text in matched:
                spans.append((t.char_offset_from, t.char_offset_to))
                hits.append(t.text)
        self._count(hits)
        return spans

    def saw(self, word: QueryWord) -> bool:
        """Whether the page's text holds ``word`` itself (or, typed last, a word it begins)."""
        if word.text in self._page:
            return True
        return word.prefix and any(t.startswith(word.text) for t in self._page)

    def whole(self, text: str) -> str:
        """The full text (a title) with matches marked."""
        return render(text, self._spans(text), 0, len(text))

    def snippet(self, text: str) -> str | None:
        """About SNIPPET_CHARS around the first match, or None when nothing matches."""
        head = text[:SNIPPET_SCAN_CHARS]
        spans = self._spans(head)
        if not spans:
            return None
        first = spans[0][0]
        start = max(0, first - SNIPPET_CHARS // 4)
        if start > 0:  # start on a word boundary rather than mid-word
            space = head.find(" ", start, first)
            start = space + 1 if space != -1 else first
        end = min(len(head), start + SNIPPET_CHARS)
        if end < len(head):
            space = head.rfind(" ", max(first, start), end)
            end = space if space > first else end
        inside = [(a, b) for a, b in spans if a >= start and b <= end]
        prefix = "…" if start > 0 else ""
        suffix = "…" if end < len(text) else ""
        return prefix + render(head, inside, start, end).strip() + suffix


def document_highlights(stored: tantivy.Document, highlighter: Highlighter) -> dict[str, str]:
    """The highlights of one hit: its title, and one snippet (see the comment below)."""
    title = str(stored.get_first("title") or "")
    marked = highlighter.whole(title)
    found = {"title": marked}
    # One snippet: the first field, in ranking order, where a word matched. When the title
    # already shows a match, only the description is tried (as Meilisearch does): scanning
    # alt text and body text of every title hit would double the cost of a page.
    names = ("description",) if "<mark>" in marked else ("description", "alt_text", "body")
    for name in names:
        text = stored.get_first(name)
        snippet = highlighter.snippet(str(text)) if text else None
        if snippet is not None:
            found[name] = snippet
            break
    return found


def render(text: str, spans: Sequence[tuple[int, int]], start: int, end: int) -> str:
    """``text[start:end]`` HTML-escaped, with each span wrapped in <mark>."""
    out: list[str] = []
    pos = start
    for a, b in spans:
        if a < pos or b > end:
            continue
        out.append(html.escape(text[pos:a]))
        out.append("<mark>" + html.escape(text[a:b]) + "</mark>")
        pos = b
    out.append(html.escape(text[pos:end]))
    return "".join(out)
