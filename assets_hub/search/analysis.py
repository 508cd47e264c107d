"""Engine-neutral query rules both backends share: limits, validation, words, typos, synonyms.

Keeping them here (rather than in one backend) is what makes the two engines answer the same
query alike: the same caps, the same typo budget, the same errors for bad input.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import tantivy

from assets_hub.search.base import FACET_FIELDS, SORTS, SearchQuery

MAX_QUERY_CHARS = 512  # SECURITY.md DOS-03: longer text is a ValueError (the API answers 400)
MAX_QUERY_WORDS = 10  # Meilisearch ignores words after the tenth; so do we
MAX_PER_PAGE = 100  # DOS-03
MAX_WINDOW = 10_000  # deepest hit reachable by paging (page * per_page); the total stays exact
MAX_FILTER_VALUES = 100  # per filter: a longer list is a ValueError, not a huge query tree
FACET_SIZE = 100  # facet values returned per facet field
MAX_TOKEN_CHARS = 40  # longer "words" are not indexed (tantivy's default), so never match
MAX_SYNONYM_KEYS = 10_000
MAX_SYNONYM_TARGETS = 20


def typo_budget(word: str) -> int:
    """Typos allowed in a query word, as Meilisearch's defaults: 0 below 5 letters, 2 from 9."""
    if len(word) >= 9:
        return 2
    if len(word) >= 5:
        return 1
    return 0


# Quotes, brackets and dashes (curly quotes and en/em dashes written as escapes) that should
# not decide where a title sorts: '"Summer" poster' sorts under S.
_LEADING_PUNCTUATION = " \t\"'\u201c\u2018([{<-\u2013\u2014_.,:;!?*#"


def title_sort_key(title: str) -> str:
    """The A-Z sort key of a title: accents folded, case folded, leading punctuation ignored."""
    if title.isascii():
        # NFKD leaves ASCII as it is and it holds no combining marks: the same key, without
        # the per-character walk (a large share of indexing time for 100k titles).
        folded = title.lower()
    else:
        folded = unicodedata.normalize("NFKD", title)
        folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold()
    return folded.lstrip(_LEADING_PUNCTUATION).strip()


def validate_query(query: SearchQuery) -> None:
    """ValueError with a message fit for a 400 when the query cannot be answered as asked.

    Pages past the 10,000-deep window are *not* errors: they are empty (with an exact total),
    as a user following a stale link should see "no more results", not a failure.
    """
    if len(query.text) > MAX_QUERY_CHARS:
        raise ValueError(f"the search text is too long: at most {MAX_QUERY_CHARS} characters")
    if query.page < 1:
        raise ValueError(f"page must be 1 or more, got {query.page}")
    if not 1 <= query.per_page <= MAX_PER_PAGE:
        raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, got {query.per_page}")
    if query.sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}, got {query.sort[:40]!r}")
    unknown = [f for f in query.facets if f not in FACET_FIELDS]
    if unknown:
        raise ValueError(f"unknown facet {unknown[0][:40]!r}; facets are {', '.join(FACET_FIELDS)}")
    for name, values in (
        ("kinds", query.kinds),
        ("campaigns", query.campaigns),
        ("tags", query.tags),
        ("tags_all", query.tags_all),
        ("audiences", query.audiences),
        ("languages", query.languages),
        ("orientations", query.orientations),
        ("statuses", query.statuses),
    ):
        if len(values) > MAX_FILTER_VALUES:
            raise ValueError(f"at most {MAX_FILTER_VALUES} {name} values may be given")
        if not all(isinstance(v, str) for v in values):
            raise ValueError(f"{name} values must be strings")
    for name, bound in (
        ("created_from", query.created_from),
        ("created_to", query.created_to),
        ("published_from", query.published_from),
        ("published_to", query.published_to),
    ):
        # bool is an int subclass: reject it too, a True here is a caller bug.
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int)):
            raise ValueError(f"{name} must be unix seconds (an int), got {bound!r}")


def paging(query: SearchQuery) -> tuple[int, int]:
    """(offset, limit) of a validated query; pages past the window come back with limit 0."""
    offset = (query.page - 1) * query.per_page
    if offset >= MAX_WINDOW:
        return MAX_WINDOW, 0
    return offset, min(query.per_page, MAX_WINDOW - offset)


def facets_of(query: SearchQuery) -> tuple[str, ...]:
    """The facet fields asked for, each once, in the order asked."""
    return tuple(dict.fromkeys(query.facets))


def make_analyzer(*, for_index: bool) -> tantivy.TextAnalyzer:
    """Split on non-alphanumerics, lowercase, fold accents ("Café" finds "cafe", as Meilisearch).

    Query text is not length-filtered: an over-long word must stay a word (that matches
    nothing) rather than vanish and turn the query into "show all".
    """
    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    if for_index:
        builder = builder.filter(tantivy.Filter.remove_long(MAX_TOKEN_CHARS))
    return builder.filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.ascii_fold()).build()


@dataclass(frozen=True)
class QueryWord:
    """One word of the user's text with the matching rules both engine and highlighter use.

    Synonyms: ``synonyms`` holds alternative phrases (tuples of analysed words) that satisfy
    this word instead. For a multi-word synonym key ("young people"), the first word carries
    the whole key in ``phrase`` and the key's other words are ``covered``: they are marked by
    the highlighter but add no clause of their own (the first word's clause stands for all).
    """

    text: str
    typos: int
    prefix: bool
    synonyms: tuple[tuple[str, ...], ...] = ()
    phrase: tuple[str, ...] = ()
    covered: bool = False

    def matches(self, token: str) -> bool:
        """Whether an indexed token would be matched by this word (mirrors the engine query)."""
        if token == self.text or (self.prefix and token.startswith(self.text)):
            return True
        if self.typos == 0:
            return False
        # Cheap necessary condition: with k edits, one of the word's first k+1 letters is
        # kept, so it appears among the token's first 2k+1. Rules out most tokens before
        # the (Python) edit search.
        if set(self.text[: self.typos + 1]).isdisjoint(token[: 2 * self.typos + 1]):
            return False
        if self.prefix:
            if len(token) < len(self.text) - self.typos:
                return False
            # Only a prefix up to len(word) + typos can be within budget: cut the rest, so
            # the edit search does not wander down a long token.
            return within(self.text, token[: len(self.text) + self.typos], self.typos, prefix=True)
        if abs(len(token) - len(self.text)) > self.typos:
            return False
        return within(self.text, token, self.typos)

    def select(self, tokens: Iterable[str]) -> set[str]:
        """The tokens ``matches`` accepts, decided in bulk (the highlighter's hot loop).

        Same rules as ``matches``, with the cheap length and first-letters tests done as
        comprehensions before the edit search, which only the few survivors reach.
        """
        text, k = self.text, self.typos
        if k == 0:
            if self.prefix:
                return {t for t in tokens if t.startswith(text)}
            return {text} & set(tokens)
        head, reach, size = set(text[: k + 1]), 2 * k + 1, len(text)
        if self.prefix:
            close = [t for t in tokens if len(t) >= size - k and not head.isdisjoint(t[:reach])]
            return {
                t
                for t in close
                if t.startswith(text) or within(text, t[: size + k], k, prefix=True)
            }
        close = [t for t in tokens if abs(len(t) - size) <= k and not head.isdisjoint(t[:reach])]
        return {t for t in close if t == text or within(text, t, k)}


def within(word: str, token: str, budget: int, *, prefix: bool = False) -> bool:
    """Whether ``word`` is at most ``budget`` edits from ``token`` (or, with ``prefix``, from
    some prefix of it); a transposition of neighbours costs 1, as in tantivy's automaton.

    Budgets are 0-2, so a depth-limited search beats a full DP table: the common head is
    skipped, then each of the four edits is tried at the first difference.
    """
    same = 0
    shortest = min(len(word), len(token))
    while same < shortest and word[same] == token[same]:
        same += 1
    word, token = word[same:], token[same:]
    if not prefix:
        # The common tail is free too (for a whole-word match only).
        tail = 0
        shortest = min(len(word), len(token))
        while tail < shortest and word[-1 - tail] == token[-1 - tail]:
            tail += 1
        if tail:
            word, token = word[:-tail], token[:-tail]
        if abs(len(word) - len(token)) > budget:
            return False
    if not word:
        return prefix or len(token) <= budget
    if not token:
        return len(word) <= budget
    if budget == 0:
        return False
    rest = budget - 1
    return (
        within(word[1:], token[1:], rest, prefix=prefix)  # substitution
        or within(word[1:], token, rest, prefix=prefix)  # a letter too many in the word
        or within(word, token[1:], rest, prefix=prefix)  # a letter missing from the word
        or (
            len(word) > 1
            and len(token) > 1
            and word[0] == token[1]
            and word[1] == token[0]
            and within(word[2:], token[2:], rest, prefix=prefix)  # transposition
        )
    )


Synonyms = Mapping[tuple[str, ...], tuple[tuple[str, ...], ...]]


def normalise_synonyms(
    synonyms: Mapping[str, Sequence[str]], analyzer: tantivy.TextAnalyzer
) -> dict[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """Editors' synonyms as analysed word tuples: {"Kids": ["children"]} -> {("kids",): ...}.

    One-way, as Meilisearch's setting: "kids" also finds "children", not the reverse (list
    both directions for mutual synonyms). ValueError for shapes an editor could not mean.
    """
    if len(synonyms) > MAX_SYNONYM_KEYS:
        raise ValueError(f"at most {MAX_SYNONYM_KEYS} synonym entries")
    out: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = {}
    for key, targets in synonyms.items():
        if not isinstance(key, str) or isinstance(targets, str):
            raise ValueError("synonyms map a word to a list of words or phrases")
        words = tuple(analyzer.analyze(key))
        if not words or len(words) > MAX_QUERY_WORDS:
            raise ValueError(f"synonym key {key[:40]!r} must hold 1 to {MAX_QUERY_WORDS} words")
        if len(targets) > MAX_SYNONYM_TARGETS:
            raise ValueError(f"at most {MAX_SYNONYM_TARGETS} synonyms for {key[:40]!r}")
        phrases = []
        for target in targets:
            phrase = tuple(analyzer.analyze(target))[:MAX_QUERY_WORDS]
            if phrase and phrase != words:
                phrases.append(phrase)
        if phrases:
            merged = out.get(words, ()) + tuple(phrases)
            out[words] = tuple(dict.fromkeys(merged))
    return out


def query_words(
    text: str, analyzer: tantivy.TextAnalyzer, synonyms: Synonyms | None = None
) -> list[QueryWord]:
    """Plain words of the user's text (operators and quotes are just separators).

    With synonyms, the longest key matching at each position is attached to its first word
    (see QueryWord for multi-word keys).
    """
    tokens = analyzer.analyze(text[:MAX_QUERY_CHARS])[:MAX_QUERY_WORDS]
    last = len(tokens) - 1
    words = [
        QueryWord(text=tok, typos=typo_budget(tok), prefix=i == last)
        for i, tok in enumerate(tokens)
    ]
    if not synonyms:
        return words
    longest = max(len(k) for k in synonyms)
    i = 0
    while i < len(words):
        for size in range(min(longest, len(words) - i), 0, -1):
            key = tuple(tokens[i : i + size])
            targets = synonyms.get(key)
            if targets:
                words[i] = replace(words[i], synonyms=targets, phrase=key if size > 1 else ())
                for j in range(i + 1, i + size):
                    words[j] = replace(words[j], covered=True)
                i += size
                break
        else:
            i += 1
    return words
