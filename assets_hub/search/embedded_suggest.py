"""Did-you-mean for the embedded engine: corrected words from the visible vocabulary.

A word needs a suggestion when no document the caller may see holds it (not as a word, nor,
for the last word, as the start of one): it then matched only through typo tolerance, or not
at all. The
replacement is, first, the token the page's hits actually matched through a typo (free: the
highlighter saw it), else the most frequent visible term within the word's typo budget.
A candidate is suggested only once a search shows some document the caller may see holds
it, so a suggestion never reveals a word of a draft.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import tantivy

from assets_hub.search.analysis import MAX_TOKEN_CHARS, QueryWord, within
from assets_hub.search.embedded_schema import TEXT_FIELDS
from assets_hub.search.highlight import Highlighter

# Where nearest terms are looked for when no hit shows one: the stronger fields (body text
# has the largest vocabulary and the least useful words to suggest).
SUGGEST_FIELDS = ("title", "tags_text", "campaign_name", "description")
MAX_CHECKED = 5  # closest candidates checked for visibility, most frequent first


def _known(
    searcher: tantivy.Searcher,
    schema: tantivy.Schema,
    word: QueryWord,
    scope: tantivy.Query,
    highlighter: Highlighter | None,
) -> bool:
    """Whether a document the caller may see holds the word (the last word: a word so begun).

    Visible documents only: were hidden ones counted, "no suggestion" would tell a prober
    that some draft holds the word. The page's own text answers most words for free.
    """
    if highlighter is not None and highlighter.saw(word):
        return True
    names = [name for name, _boost in TEXT_FIELDS]
    # Unfiltered dictionary look-ups first (microseconds); a search within the scope only
    # for the fields that hold the word at all.
    holding = [name for name in names if searcher.doc_freq(name, word.text) > 0]
    if holding and _visible(searcher, schema, word.text, scope, holding):
        return True
    if not word.prefix:
        return False
    begun = [name for name in names if searcher.terms_with_prefix(name, word.text, limit=1)]
    return bool(begun) and _visible(searcher, schema, word.text, scope, begun, prefix=True)


def _nearest(
    searcher: tantivy.Searcher, schema: tantivy.Schema, word: QueryWord, scope: tantivy.Query
) -> str | None:
    # Short words get one edit here (they get none when searching): "logp" -> "logo".
    budget = max(word.typos, 1) if len(word.text) >= 4 else 0
    if budget == 0:
        return None
    counts: Counter[str] = Counter()
    for name in SUGGEST_FIELDS:
        # Candidates share the first letter: typos there are rare, and it bounds the scan.
        # Unfiltered (fast); visibility is checked below for the few close ones only.
        for term, n in searcher.terms_with_prefix(name, word.text[0]):
            counts[term] += n
    for as_prefix in (False, True) if word.prefix else (False,):
        close = sorted(
            ((n, t) for t, n in counts.items() if within(word.text, t, budget, prefix=as_prefix)),
            reverse=True,
        )
        for _n, term in close[:MAX_CHECKED]:
            if _visible(searcher, schema, term, scope, SUGGEST_FIELDS):
                return term
    return None


def _visible(
    searcher: tantivy.Searcher,
    schema: tantivy.Schema,
    term: str,
    scope: tantivy.Query,
    names: Sequence[str],
    *,
    prefix: bool = False,
) -> bool:
    """Whether a document the caller may see holds ``term`` (or, with ``prefix``, a word
    beginning so) in one of ``names``."""
    clauses = [
        (
            tantivy.Occur.Should,
            tantivy.Query.fuzzy_term_query(schema, name, term, distance=0, prefix=True)
            if prefix
            else tantivy.Query.term_query(schema, name, term),
        )
        for name in names
    ]
    holds = tantivy.Query.boolean_query(clauses)
    tree = tantivy.Query.boolean_query([(tantivy.Occur.Must, holds), (tantivy.Occur.Must, scope)])
    return bool(searcher.search(tree, 1, count=False).hits)


def suggest(
    searcher: tantivy.Searcher,
    schema: tantivy.Schema,
    words: Sequence[QueryWord],
    highlighter: Highlighter | None,
    scope: tantivy.Query,
) -> str | None:
    """The query with its unknown words corrected, or None when every word is known."""
    replacements: dict[str, str] = {}
    for word in words:
        if word.covered or word.synonyms or len(word.text) > MAX_TOKEN_CHARS:
            continue
        if _known(searcher, schema, word, scope, highlighter):
            continue
        seen = highlighter.typo_matches.get(word.text) if highlighter else None
        best = max(seen.items(), key=lambda kv: (kv[1], kv[0]))[0] if seen else None
        best = best or _nearest(searcher, schema, word, scope)
        if best:
            replacements[word.text] = best
    if not replacements:
        return None
    return " ".join(replacements.get(w.text, w.text) for w in words)
