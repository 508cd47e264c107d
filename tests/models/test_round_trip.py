"""Migrations apply cleanly (twice) and models round-trip, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from tortoise.exceptions import IntegrityError

from assets_hub.models import (
    Asset,
    AssetVersion,
    Campaign,
    Kind,
    Library,
    Role,
    Status,
    Tag,
    User,
)


async def test_models_round_trip(database: str) -> None:
    library = await Library.create(name="Leeds Libraries", slug="leeds")
    user = await User.create(email="staff@leeds.example", role=Role.LIBRARY_MEMBER, library=library)
    campaign = await Campaign.create(slug="libraries-week", name="Libraries Week 2026")
    asset = await Asset.create(
        title="Robert'); DROP TABLE asset;-- 100% _literal_",
        description="Émoji 📚 and ünïcode",
        kind=Kind.DOCUMENT,
        status=Status.PUBLISHED,
        campaign=campaign,
        embargo_until=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
    )
    tags = [(await Tag.get_or_create(name=name))[0] for name in ("children", "reading")]
    await asset.tags.add(*tags)
    await AssetVersion.create(
        asset=asset,
        number=1,
        storage_key="originals/ab/" + "ab" * 32,
        sha256="ab" * 32,
        size=5 * 2**30,  # BigInt: files over 2 GiB fit
        media_type="application/pdf",
        width=595,
        height=842,
        page_count=4,
        filename="fact-sheet.pdf",
    )

    fetched = await Asset.get(id=asset.id).prefetch_related("campaign", "tags", "versions")
    assert isinstance(fetched.id, uuid.UUID)
    assert fetched.title == "Robert'); DROP TABLE asset;-- 100% _literal_"
    assert fetched.description == "Émoji 📚 and ünïcode"
    assert fetched.kind == Kind.DOCUMENT and fetched.status == Status.PUBLISHED
    assert fetched.campaign is not None and fetched.campaign.slug == "libraries-week"
    assert sorted(t.name for t in fetched.tags) == ["children", "reading"]
    assert fetched.embargo_until == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    [version] = list(fetched.versions)
    assert version.size == 5 * 2**30 and version.page_count == 4
    assert (await User.get(id=user.id).prefetch_related("library")).library.slug == "leeds"  # type: ignore[union-attr]
    assert await Asset.filter(title__contains="100%").count() == 1
    assert await Asset.filter(title__contains="_literal_").count() == 1
    assert await Asset.filter(title__contains="x%").count() == 0


async def test_unique_constraints_hold(database: str) -> None:
    await Campaign.create(slug="dup", name="One")
    with pytest.raises(IntegrityError):
        await Campaign.create(slug="dup", name="Two")
    asset = await Asset.create(title="a")
    await AssetVersion.create(
        asset=asset,
        number=1,
        storage_key="k",
        sha256="0" * 64,
        size=1,
        media_type="image/png",
        filename="a.png",
    )
    with pytest.raises(IntegrityError):
        await AssetVersion.create(
            asset=asset,
            number=1,
            storage_key="k",
            sha256="0" * 64,
            size=1,
            media_type="image/png",
            filename="a.png",
        )


def test_model_docstrings_hold_no_semicolons() -> None:
    """Docstrings become SQL table comments, and Tortoise splits migration SQL on ";"."""
    from tortoise.models import Model

    import assets_hub.models as models

    for name in models.__all__:
        value = getattr(models, name)
        if isinstance(value, type) and issubclass(value, Model):
            assert ";" not in (value.__doc__ or ""), name
