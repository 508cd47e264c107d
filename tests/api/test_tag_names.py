"""One spelling per tag (issue 21): tags are normalised where they are parsed, written and
searched for, so "Kids" and "kids" are one tag, one facet value and one filter on both engines
(Meilisearch already compares facet values case- and space-insensitively)."""

from __future__ import annotations

import unicodedata

import httpx
import pytest

from assets_hub import db
from assets_hub.models import Tag
from assets_hub.services.tags import normal_tag
from tests.conftest import PUBLISHABLE, http_state, make_jpeg


def meilisearch_facet_key(value: str) -> str:
    """milli's normalize_facet (crates/milli/src/lib.rs): NFKD of the trimmed value, lowercased."""
    return unicodedata.normalize("NFKD", value.strip()).lower()


@pytest.mark.parametrize(
    ("names", "stored"),
    [
        (["Kids", "kids", " KIDS  "], "kids"),
        (["Young   People", "young people"], "young people"),
        (["Caf\u00e9", "Cafe\u0301", "CAF\u00c9"], "caf\u00e9"),  # composed and decomposed
        (["\uff2b\uff49\uff44\uff53", "kids"], "kids"),  # full-width letters
    ],
)
def test_spellings_of_one_tag_are_stored_alike(names: list[str], stored: str) -> None:
    assert {normal_tag(n) for n in names} == {stored}
    assert normal_tag(stored) == stored


SPELLINGS = [
    "Kids",
    "kids ",
    "\u212a\u0131ds",  # Kelvin sign, dotless i
    "\uff2b\uff49\uff44\uff53",
    "Stra\u00dfe",
    "STRASSE",
    "\u0130stanbul",
    "istanbul",
    "Cafe\u0301",
    "caf\u00e9",
    "\ufb01sh",  # the fi ligature
    "fish",
    "young\u00a0people",
    "young people",
]


def test_whatever_meilisearch_merges_is_one_tag() -> None:
    for a in SPELLINGS:
        for b in SPELLINGS:
            if meilisearch_facet_key(a) == meilisearch_facet_key(b):
                assert normal_tag(a) == normal_tag(b), (a, b)


async def test_tags_written_by_every_path_share_one_spelling(client: httpx.AsyncClient) -> None:
    upload = await client.post(
        "/api/v1/assets",
        files={"file": ("p.jpg", make_jpeg(colour="#123456"), "image/jpeg")},
        data={**PUBLISHABLE, "title": "Storytime poster", "tags": "Kids, Story Time"},
    )
    assert upload.status_code == 201, upload.text
    asset_id = upload.json()["id"]
    added = await client.post(f"/api/v1/assets/{asset_id}/tags", json={"tags": ["KIDS ", "Rhymes"]})
    assert added.status_code == 200, added.text
    assert sorted(added.json()["tags"]) == ["kids", "rhymes", "story time"]
    with db.activate(http_state(client).database):
        names = await Tag.all().values_list("name", flat=True)
    assert sorted(names) == ["kids", "rhymes", "story time"]
    # A filter spelled otherwise finds it on the embedded engine too, as on Meilisearch.
    for spelling in ("Kids", " kids", "KIDS"):
        found = await client.get("/api/v1/assets", params={"tag": spelling, "facet": "tags"})
        assert [h["id"] for h in found.json()["hits"]] == [asset_id], spelling
        assert found.json()["facets"]["tags"] == {"kids": 1, "rhymes": 1, "story time": 1}
    both = await client.get("/api/v1/assets", params={"tag_all": ["Story  Time", "RHYMES"]})
    assert both.json()["total"] == 1
    edited = await client.patch(
        f"/api/v1/assets/{asset_id}",
        json={"tags": ["Outdoors", "KIDS"], "revision": added.json()["revision"]},
    )
    assert edited.status_code == 200, edited.text
    assert sorted(edited.json()["tags"]) == ["kids", "outdoors"]
    found = await client.get("/api/v1/assets", params={"tag": "OUTDOORS"})
    assert [h["id"] for h in found.json()["hits"]] == [asset_id]
