"""The asset lifecycle: metadata edits with optimistic concurrency, workflow transitions,
soft delete with an undo window, tags added atomically, version restore."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tortoise.transactions import in_transaction

from assets_hub.errors import Conflict, Forbidden, NotFound, Unprocessable
from assets_hub.models import Asset, AssetVersion, AuditEvent, Status, User
from assets_hub.search.outbox import enqueue_change
from assets_hub.services import audit
from assets_hub.services.assets import NO_ASSET, asset_uuid
from assets_hub.services.ingest import artwork_to_vary, campaign_by_slug, kind_for
from assets_hub.services.metadata import AssetMetadata
from assets_hub.services.rights import issue_takedowns
from assets_hub.services.rules import check_publishable
from assets_hub.services.tags import attach_tags
from assets_hub.services.visibility import utcnow

# Which states each transition may start from.
TRANSITIONS: dict[str, tuple[frozenset[Status], Status]] = {
    "submit": (frozenset({Status.DRAFT}), Status.IN_REVIEW),
    "publish": (frozenset({Status.DRAFT, Status.IN_REVIEW, Status.WITHDRAWN}), Status.PUBLISHED),
    "withdraw": (frozenset({Status.PUBLISHED}), Status.WITHDRAWN),
    "archive": (frozenset({Status.PUBLISHED, Status.WITHDRAWN, Status.DRAFT}), Status.ARCHIVED),
}
CHANGED_BY_SOMEONE_ELSE = (
    "The asset was changed by someone else since you loaded it; reload it and try again."
)


async def editable_asset(asset_id: str, *, deleted: bool = False) -> Asset:
    """An asset an editor may change (NotFound for unknown ids or, unless asked, deleted ones)."""
    query = Asset.filter(id=asset_uuid(asset_id))
    query = query.filter(deleted_at__isnull=False) if deleted else query.filter(deleted_at=None)
    asset = await query.first()
    if asset is None:
        raise NotFound(NO_ASSET)
    return asset


async def bump_revision(asset: Asset, expected_revision: int, **changes: object) -> None:
    """Write ``changes`` only if nobody changed the asset since ``expected_revision``."""
    updated = await Asset.filter(id=asset.id, revision=expected_revision).update(
        revision=expected_revision + 1, updated_at=utcnow(), **changes
    )
    if not updated:
        raise Conflict(CHANGED_BY_SOMEONE_ELSE, status_code=412)
    asset.revision = expected_revision + 1
    for name, value in changes.items():
        setattr(asset, name, value)


async def update_metadata(
    asset: Asset, meta: AssetMetadata, *, expected_revision: int, actor: User
) -> Asset:
    """Apply the fields the caller sent (``meta.given``); 412 if the asset changed meanwhile."""
    given = meta.given
    if "expires_at" in given and meta.expires_at is not None and meta.expires_at <= utcnow():
        raise Unprocessable(
            "Please correct: expires_at: the expiry must be in the future; to stop libraries "
            "using the asset now, withdraw it instead."
        )
    changes: dict[str, object] = {}
    simple = (
        "title",
        "description",
        "alt_text",
        "credit",
        "licence",
        "licence_terms",
        "licence_expires_at",
        "language",
        "embargo_until",
        "expires_at",
    )
    for name in simple:
        if name in given:
            changes[name] = getattr(meta, name)
    if "audience" in given:
        changes["audience"] = list(meta.audience)
    if "focal_point" in given:
        changes["focal_x"], changes["focal_y"] = meta.focal_point or (None, None)
    if "artwork" in given:
        changes["artwork"] = meta.artwork
    if "variant_of" in given:
        changes["variant_of"] = await artwork_to_vary(meta.variant_of, own_id=asset.id)
    if "kind" in given and meta.kind is not None:
        version = await AssetVersion.filter(asset=asset).order_by("-number").first()
        if version is not None:
            from assets_hub.media.sniff import BY_MIME

            kind_for(BY_MIME[version.media_type], meta.kind)
        changes["kind"] = meta.kind
    if "campaign" in given:
        changes["campaign_id"] = c.id if (c := await campaign_by_slug(meta.campaign)) else None
    if given & {"expires_at", "licence_expires_at"}:
        changes["takedown_issued_at"] = None  # a new date: notices go out when it passes
    async with in_transaction():
        await bump_revision(asset, expected_revision, **changes)
        if "tags" in given:
            await asset.tags.clear()
            await attach_tags(asset, meta.tags)
        if asset.status is Status.PUBLISHED:
            await check_publishable(await Asset.get(id=asset.id))  # an edit may not break it
        await audit.record(
            "asset_edited",
            actor=actor,
            target_type="asset",
            target_id=asset.id,
            fields=sorted(given),
        )
        await enqueue_change(asset.id)
    return await Asset.get(id=asset.id)


async def set_brand_zone(
    asset: Asset, zone: dict[str, object], *, expected_revision: int, actor: User
) -> None:
    """Store a fact sheet's validated brand zone, with its audit and outbox rows, atomically."""
    async with in_transaction():
        await bump_revision(asset, expected_revision, brand_zone=zone)
        await audit.record("brand_zone_set", actor=actor, target_type="asset", target_id=asset.id)
        await enqueue_change(asset.id)


async def add_tags(asset: Asset, names: tuple[str, ...], *, actor: User) -> Asset:
    """Add tags without a revision check: concurrent additions both survive (F14 b)."""
    async with in_transaction():
        await attach_tags(asset, names)
        await Asset.filter(id=asset.id).update(revision=asset.revision + 1)
        await audit.record(
            "asset_tagged", actor=actor, target_type="asset", target_id=asset.id, tags=list(names)
        )
        await enqueue_change(asset.id)
    return await Asset.get(id=asset.id)


_FOUR_EYES = {"on": False}
# Audit actions that change what an asset says or shows: their actor is its "last editor".
EDIT_ACTIONS = (
    "asset_edited",
    "case_study_edited",
    "post_edited",
    "version_added",
    "version_restored",
    "brand_zone_set",
    "asset_tagged",
)


def configure_four_eyes(on: bool) -> None:
    """ASSETS_HUB_FOUR_EYES, applied once at start-up (settings are read once)."""
    _FOUR_EYES["on"] = bool(on)


def four_eyes_on() -> bool:
    return _FOUR_EYES["on"]


@dataclass(frozen=True)
class HandsOn:
    """Who put an asset in its current state: they may not publish it under four eyes."""

    uploader: User | None
    last_editor: User | None

    @property
    def ids(self) -> set[int]:
        return {u.id for u in (self.uploader, self.last_editor) if u is not None}

    def names(self) -> str:
        people = dict.fromkeys(u.email for u in (self.uploader, self.last_editor) if u)
        return " and ".join(people) or "nobody known"


async def hands_on(asset: Asset) -> HandsOn:
    """The uploader and the last editor (from the audit log) of ``asset``."""
    creator_id = getattr(asset, "created_by_id", None)  # the foreign key's column
    uploader = await User.get_or_none(id=creator_id) if creator_id else None
    last = (
        await AuditEvent.filter(
            target_type="asset", target_id=str(asset.id), action__in=EDIT_ACTIONS
        )
        .order_by("-id")
        .select_related("actor")
        .first()
    )
    return HandsOn(uploader, last.actor if last is not None else None)


async def transition(asset: Asset, action: str, *, actor: User, reason: str = "") -> Asset:
    """submit | publish | withdraw | archive, if allowed from the current state.

    With four-eyes publishing on, the uploader and the last editor may not publish (403).
    """
    if action not in TRANSITIONS:
        raise NotFound("Unknown action.")
    sources, target = TRANSITIONS[action]
    if asset.status not in sources:
        raise Conflict(f"A {asset.status.value.replace('_', ' ')} asset cannot be {action}ed.")
    if target is Status.PUBLISHED and four_eyes_on():
        hands = await hands_on(asset)
        if actor.id in hands.ids:
            raise Forbidden(
                "Four-eyes publishing is on: someone on the campaign team other than "
                f"{hands.names()} (who uploaded or last edited it) must publish this asset."
            )
    if target is Status.PUBLISHED:
        await check_publishable(asset)
    changes: dict[str, object] = {"status": target}
    if target is Status.PUBLISHED and asset.published_at is None:
        changes["published_at"] = utcnow()
    async with in_transaction():
        await bump_revision(asset, asset.revision, **changes)
        await audit.record(
            action, actor=actor, target_type="asset", target_id=asset.id, reason=reason[:300]
        )
        if target in (Status.WITHDRAWN, Status.ARCHIVED):
            await issue_takedowns(
                asset, f"withdrawn by the campaign team{': ' + reason if reason else ''}"
            )
        await enqueue_change(asset.id)
    return asset


async def delete_asset(asset: Asset, *, actor: User) -> Asset:
    """Soft delete: invisible at once, restorable for the undo window, purged by `gc` later."""
    async with in_transaction():
        await bump_revision(asset, asset.revision, deleted_at=utcnow())
        await audit.record("delete", actor=actor, target_type="asset", target_id=asset.id)
        await issue_takedowns(asset, "deleted by the campaign team")
        await enqueue_change(asset.id)
    return asset


async def undelete_asset(asset: Asset, *, actor: User, undo_days: int) -> Asset:
    """Bring back a deleted asset within the undo window."""
    if asset.deleted_at is None or utcnow() - asset.deleted_at > timedelta(days=undo_days):
        raise Unprocessable(f"Deleted assets can be restored for {undo_days} days only.")
    async with in_transaction():
        await bump_revision(asset, asset.revision, deleted_at=None)
        await audit.record("undelete", actor=actor, target_type="asset", target_id=asset.id)
        await enqueue_change(asset.id)
    return asset


async def restore_version(asset: Asset, number: int, *, actor: User) -> AssetVersion:
    """Make an earlier version current again, as a new version (history is never rewritten)."""
    old = await AssetVersion.get_or_none(asset=asset, number=number)
    if old is None:
        raise NotFound("No version with that number.")
    async with in_transaction():
        latest = await AssetVersion.filter(asset=asset).order_by("-number").first()
        values = {
            name: getattr(old, name)
            for name in AssetVersion._meta.fields_db_projection
            if name not in ("id", "asset_id", "number", "created_at", "uploaded_by_id")
        }
        version = await AssetVersion.create(
            asset=asset, number=(latest.number if latest else 0) + 1, uploaded_by=actor, **values
        )
        await bump_revision(asset, asset.revision)
        await audit.record(
            "version_restored",
            actor=actor,
            target_type="asset",
            target_id=asset.id,
            restored=number,
            version=version.number,
        )
        await enqueue_change(asset.id)
    return version
