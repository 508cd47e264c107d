"""Output presets: seeded from assets_hub.branding.presets, then edited by admins."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from assets_hub.branding import presets as seed
from assets_hub.errors import Conflict, NotFound, Unprocessable
from assets_hub.models import Preset, User
from assets_hub.services import audit

# Which consent channel each seeded preset needs (posters are print, banners the web).
CHANNELS = {"poster-a4": "print", "poster-a5": "print", "web-banner": "web"}
EDITABLE = (
    "name",
    "width",
    "height",
    "dpi",
    "byte_budget",
    "safe_area",
    "formats",
    "default_format",
    "max_upscale",
    "channel",
    "is_active",
)


async def seed_presets() -> int:
    """Insert seed presets that are missing (admins' edits and removals are kept).

    Replicas starting together all run this: a key another one inserted first is skipped.
    """
    added = 0
    for preset in seed.PRESETS.values():
        if await Preset.exists(key=preset.key):
            continue
        s = preset.safe_area
        try:
            await _create_seed(preset, s)
        except IntegrityError:
            continue  # another process of the service seeded it at the same moment
        added += 1
    return added


async def _create_seed(preset: seed.Preset, s: seed.SafeArea) -> None:
    async with in_transaction():  # a savepoint: the clash must not abort a caller's transaction
        await Preset.create(
            key=preset.key,
            name=preset.name,
            width=preset.width,
            height=preset.height,
            dpi=preset.dpi,
            byte_budget=preset.byte_budget,
            safe_area=[s.top, s.right, s.bottom, s.left],
            formats=list(preset.formats),
            default_format=preset.default_format,
            max_upscale=preset.max_upscale,
            channel=CHANNELS.get(preset.key, "social"),
        )


def to_render_preset(row: Preset) -> seed.Preset:
    """The renderer's (validated, frozen) preset for a stored row."""
    top, right, bottom, left = [*row.safe_area, 0, 0, 0, 0][:4]
    return seed.Preset(
        key=row.key,
        name=row.name,
        width=row.width,
        height=row.height,
        dpi=row.dpi,
        byte_budget=row.byte_budget,
        safe_area=seed.SafeArea(top, right, bottom, left),
        formats=tuple(row.formats),
        default_format=row.default_format,
        max_upscale=row.max_upscale,
        version=row.version,
    )


MAX_KEY = 40  # the column's length: a longer key names no preset (the ORM would refuse it)


async def active_preset(key: str) -> Preset:
    """The active preset ``key``; 404 listing the valid keys otherwise."""
    row = await Preset.get_or_none(key=key, is_active=True) if len(key) <= MAX_KEY else None
    if row is None:
        keys = await Preset.filter(is_active=True).values_list("key", flat=True)
        raise NotFound(f"Unknown preset {key[:40]!r}; choose one of: {', '.join(map(str, keys))}.")
    return row


async def all_presets() -> list[Preset]:
    """Every preset, switched off ones too, in the order they were added (the admin's list)."""
    return list(await Preset.all().order_by("id"))


async def preset_by_key(key: str) -> Preset:
    """The preset ``key``, active or not (admins may switch one back on); 404 otherwise."""
    row = await Preset.get_or_none(key=key) if len(key) <= MAX_KEY else None
    if row is None:
        raise NotFound(f"There is no preset {key[:40]!r}.")
    return row


def _values(data: Mapping[str, Any], base: Preset | None) -> dict[str, Any]:
    unknown = set(data) - set(EDITABLE) - {"key"}
    if unknown:
        raise Unprocessable(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    values = {name: getattr(base, name) for name in EDITABLE} if base else {}
    values.update({k: v for k, v in data.items() if k in EDITABLE})
    values.setdefault("channel", "social")
    if values["channel"] not in ("web", "social", "print"):
        raise Unprocessable("channel: web, social or print")
    return values


async def save_preset(
    data: Mapping[str, Any],
    existing: str | None = None,
    *,
    expected_version: int | None = None,
    actor: User | None = None,
) -> Preset:
    """Create (existing=None) or change a preset; every change bumps its version.

    ``expected_version``: the version the admin's form showed; a preset changed since then is
    refused (409) rather than silently overwritten. Each save is audited.
    """
    base = await preset_by_key(existing) if existing else None
    if base is not None and expected_version is not None and base.version != expected_version:
        raise Conflict(
            "This preset was changed by someone else since you opened it. Your changes were "
            "not saved: reload the page to see the latest version, then make them again."
        )
    values = _values(data, base)
    key = existing or str(data.get("key", ""))
    if base is None and await Preset.exists(key=key):
        raise Unprocessable(f"key: a preset {key!r} already exists")
    values.setdefault("formats", ["jpeg", "png", "webp"])
    values.setdefault("safe_area", [0, 0, 0, 0])
    values.setdefault("name", key)
    try:
        candidate = Preset(key=key, version=(base.version + 1) if base else 1, **values)
        to_render_preset(candidate)  # the renderer's validation is the rule
    except (TypeError, ValueError) as exc:
        raise Unprocessable(f"Please correct: {exc}.") from None
    async with in_transaction():
        if base is None:
            await candidate.save()
            await audit.record("preset_created", actor=actor, target_type="preset", target_id=key)
            return candidate
        updated = await Preset.filter(id=base.id, version=base.version).update(
            version=base.version + 1, **values
        )
        if not updated:  # another save won the race between our read and this write
            raise Conflict("This preset was changed by someone else at the same time; try again.")
        await audit.record(
            "preset_changed",
            actor=actor,
            target_type="preset",
            target_id=key,
            version=base.version + 1,
            changed=sorted(k for k in data if k in EDITABLE),
        )
    return await Preset.get(id=base.id)
