"""Tag names: one normal form, applied where tags are parsed, written and searched for.

Meilisearch compares filter and facet values after milli's ``normalize_facet`` (compatibility
decomposition, trim, lowercase), so "Kids" and "kids " are one facet value there, while the
embedded engine compares bytes. Storing every tag already normalised (and normalising the tag
filters of a search) makes the two engines agree, and gives a tag one spelling everywhere.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from assets_hub.models import Asset, Tag


def normal_tag(value: str) -> str:
    """``value`` as a tag is stored: NFKC, lowercase, inner whitespace runs made one space.

    A function of Meilisearch's own normal form (NFKD, trimmed, lowercased), so two names it
    would merge are always the same string here.
    """
    folded = unicodedata.normalize("NFKD", value.strip()).lower()
    return " ".join(unicodedata.normalize("NFKC", folded).split())


async def attach_tags(asset: Asset, names: Iterable[str]) -> None:
    """Add the tags (normalised, created when new) to ``asset``; blanks are skipped.

    Every path that gives an asset tags goes through here, so none writes another spelling.
    """
    for name in dict.fromkeys(normal_tag(n) for n in names):
        if name:
            tag, _ = await Tag.get_or_create(name=name)
            await asset.tags.add(tag)
