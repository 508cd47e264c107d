"""The embedded (tantivy) index schema and the SearchDocument -> tantivy Document mapping."""

from __future__ import annotations

import tantivy

from assets_hub.search.analysis import title_sort_key
from assets_hub.search.base import NEVER_EXPIRES, NO_EMBARGO, SearchDocument

TOKENIZER = "hub"

# Searchable fields, strongest first (issue 5's ranking order). Boosts multiply BM25 for exact
# words; a typo or prefix match scores a constant FUZZY_WEIGHT * boost, below any exact match
# in the same field. Each field weighs twice the next: BM25's length normalisation alone can
# move a score by up to ~1.7x (a word in a two-word credit vs in a sentence of alt text), so
# a smaller gap would let a short weak field outrank a long strong one.
TEXT_FIELDS: tuple[tuple[str, float], ...] = (
    ("title", 8.0),
    ("tags_text", 4.0),
    ("campaign_name", 2.0),
    ("description", 1.0),
    ("alt_text", 0.5),
    ("credit", 0.25),
    ("body", 0.125),
)
FUZZY_WEIGHT = 0.5
# Typo and prefix matching: each fuzzy clause costs a Levenshtein automaton built and walked
# over a term dictionary (~0.13 ms per field at 100k assets), so only the two strongest
# fields get their own; the others share one catch-all field, TYPO_REST (docs only, no
# positions), whose typo matches all score like the description's.
TYPO_FIELDS: tuple[tuple[str, float], ...] = (
    ("title", 8.0),
    ("tags_text", 4.0),
    ("typo_rest", 1.0),
)
TYPO_REST_SOURCES = ("campaign_name", "description", "alt_text", "credit", "body")
# Between them these hold every word of every TEXT_FIELDS field: counting (which needs no
# ranking) can ask them instead of all seven.
MATCH_FIELDS = ("title", "tags_text", "typo_rest")
# Raw (untokenised), fast: exact filters and terms aggregations for facet counts.
KEYWORD_FIELDS = ("kind", "campaign", "tags", "status", "audience", "language", "orientation")
# Stored so that "more like this" can read the source document's values back.
STORED_KEYWORDS = frozenset({"campaign", "tags", "audience"})
INT_FIELDS = (
    "created_at",
    "published_at",
    "embargo_until",
    "expires_at",
    "downloads",
    "version",
)
# Facet counting columns. tantivy's terms aggregation is cheap over a single-valued column
# that every document fills, and costs several times more over a multi-valued or sparse one
# (at 100k assets: tags ~1.6 ms, audience ~1.0 ms, orientation ~0.3 ms per search, against
# ~0.1 ms for kind or campaign). So a multi-valued facet is also written as N single-valued
# "slot" columns (the document's first N distinct values, EMPTY_SLOT where it has fewer)
# plus one multi-valued "rest" column for any further values, and counts are the sums over
# them; orientation (one value or none) gets one slot. kind and campaign are counted on
# their own keyword fields, which every document fills with one value already.
SLOTS: dict[str, tuple[str, ...]] = {
    "tags": tuple(f"tags_slot{i}" for i in range(5)),
    "audience": ("audience_slot0", "audience_slot1"),
    "orientation": ("orientation_slot0",),
}
REST = {"tags": "tags_rest", "audience": "audience_rest"}
EMPTY_SLOT = "\x00"  # fills an unused slot; never a value (no tag or audience holds NUL)


def slot_fields(facet: str) -> tuple[str, ...]:
    """The columns whose terms aggregations add up to ``facet``'s counts."""
    if facet not in SLOTS:
        return (facet,)
    rest = REST.get(facet)
    return SLOTS[facet] + ((rest,) if rest else ())


# True when the document has an embargo or an expiry: the time checks of visibility need only
# run on these few documents (see EmbeddedQueries.visibility).
TIMED = "timed"
# True unless the status is exactly "published": staff visibility is then "MustNot
# unpublished", whose posting list is short, instead of a Must over 90 % of the index. Any
# other or unknown status counts as unpublished, so nothing new can leak.
UNPUBLISHED = "unpublished"


def build_schema() -> tantivy.Schema:
    """The index schema derived from SearchDocument."""
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    for name, _boost in TEXT_FIELDS:
        # Positions are kept for synonym phrases and highlighting; tags_text is not stored
        # (the raw tags are).
        sb.add_text_field(name, stored=name != "tags_text", tokenizer_name=TOKENIZER)
    for name in KEYWORD_FIELDS:
        sb.add_text_field(
            name,
            stored=name in STORED_KEYWORDS,
            fast=True,
            tokenizer_name="raw",
            index_option="basic",
        )
    for facet in SLOTS:
        for name in slot_fields(facet):
            sb.add_text_field(name, fast=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("typo_rest", stored=False, tokenizer_name=TOKENIZER, index_option="basic")
    sb.add_text_field("title_sort", fast=True, tokenizer_name="raw", index_option="basic")
    for name in INT_FIELDS:
        sb.add_integer_field(name, indexed=True, fast=True)
    sb.add_boolean_field(TIMED, indexed=True, fast=False)
    sb.add_boolean_field(UNPUBLISHED, indexed=True, fast=False)
    return sb.build()


def to_tantivy_document(doc: SearchDocument) -> tantivy.Document:
    """One SearchDocument as a tantivy Document of the schema above."""
    fields: dict[str, object] = {
        "id": doc.id,
        "title": doc.title,
        "tags_text": list(doc.tags),
        "campaign_name": doc.campaign_name,
        "description": doc.description,
        "alt_text": doc.alt_text,
        "credit": doc.credit,
        "body": doc.body,
        "kind": doc.kind,
        "campaign": doc.campaign,
        "tags": list(doc.tags),
        "status": doc.status,
        "audience": list(doc.audience),
        "language": doc.language,
        "title_sort": title_sort_key(doc.title),
        "created_at": doc.created_at,
        "published_at": doc.published_at,
        "embargo_until": doc.embargo_until,
        "expires_at": doc.expires_at,
        "downloads": doc.downloads,
        "version": doc.version,
        TIMED: doc.embargo_until != NO_EMBARGO or doc.expires_at != NEVER_EXPIRES,
        UNPUBLISHED: doc.status != "published",
        "typo_rest": [getattr(doc, name) for name in TYPO_REST_SOURCES],
    }
    if doc.orientation:  # documents have none: no "" bucket in the orientation facet
        fields["orientation"] = doc.orientation
    for facet, values in (("tags", doc.tags), ("audience", doc.audience)):
        if len(values) > 1:
            # A value repeated within a document counts once, as over a multi-valued column.
            values = tuple(dict.fromkeys(values))
        columns = SLOTS[facet]
        for i, name in enumerate(columns):
            fields[name] = values[i] if i < len(values) else EMPTY_SLOT
        if len(values) > len(columns):
            fields[REST[facet]] = list(values[len(columns) :])
    fields["orientation_slot0"] = doc.orientation or EMPTY_SLOT
    return tantivy.Document(**fields)
