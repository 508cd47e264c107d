"""Ready-made social posts: caption and alt-text templates checked against every platform's
limits when saved, filled per library when grabbed, and reported (never cut) when a filled
caption breaks a limit."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from assets_hub.errors import ConfigError, NotFound, Unprocessable
from assets_hub.models import Asset, Kind, SocialPost, Status, User
from assets_hub.search.outbox import enqueue_change
from assets_hub.services import audit
from assets_hub.services.ingest import campaign_by_slug
from assets_hub.services.lifecycle import bump_revision
from assets_hub.services.metadata import licence_needs_credit, parse_metadata
from assets_hub.services.tags import attach_tags
from assets_hub.services.visibility import Viewer
from assets_hub.social.captions import (
    MissingFieldError,
    PostImage,
    PostReport,
    TemplateError,
    check_post,
    compose_caption,
    fill_caption,
    parse_template,
    readable_template,
)
from assets_hub.social.platforms import PLATFORMS, PlatformRules

_RULES: dict[str, PlatformRules] = dict(PLATFORMS)


def configure_caption_limits(spec: str) -> None:
    """Apply ASSETS_HUB_CAPTION_LIMITS ("x=280,bluesky=300"): platforms change their limits
    more often than this code does. ConfigError naming the variable when malformed."""
    rules = dict(PLATFORMS)
    for item in filter(None, (part.strip() for part in spec.split(","))):
        key, _, value = item.partition("=")
        key = key.strip()
        if key not in rules or not value.strip().isdigit() or int(value) < 1:
            raise ConfigError(
                "ASSETS_HUB_CAPTION_LIMITS",
                f"{item!r} is not platform=characters; platforms: {', '.join(PLATFORMS)}",
            )
        rules[key] = dataclasses.replace(rules[key], caption_max=int(value))
    _RULES.clear()
    _RULES.update(rules)


def platform_rules() -> dict[str, PlatformRules]:
    """Every platform's rules, with the configured caption limits."""
    return dict(_RULES)


POST_KEYS = ("captions", "hashtags", "link", "images", "window_start", "window_end")
META_KEYS = (
    "title",
    "campaign",
    "tags",
    "audience",
    "licence",
    "credit",
    "language",
    "embargo_until",
    "expires_at",
    "description",
)
MAX_IMAGES = 10


def _when(value: Any, name: str) -> datetime | None:
    meta = parse_metadata({"embargo_until": value} if value else {})
    if value and meta.embargo_until is None:
        raise Unprocessable(f"{name}: a date and time like 2026-12-01T09:00:00Z")
    return meta.embargo_until


def _clean(data: dict[str, Any], base: SocialPost | None) -> dict[str, Any]:
    """Validated post content; every template parsed, every platform's limits checked."""
    values: dict[str, Any] = {
        "captions": dict(base.captions) if base else {},
        "hashtags": list(base.hashtags) if base else [],
        "link": base.link if base else "",
        "images": list(base.images) if base else [],
        "window_start": base.window_start if base else None,
        "window_end": base.window_end if base else None,
    }
    problems: list[str] = []
    if "captions" in data:
        captions = data["captions"]
        if not isinstance(captions, dict) or "default" not in captions:
            raise Unprocessable(
                'captions: an object with a "default" caption and optional '
                f"per-platform ones ({', '.join(_RULES)})"
            )
        for platform, text in captions.items():
            if platform != "default" and platform not in _RULES:
                problems.append(f"captions: unknown platform {str(platform)[:20]!r}")
                continue
            try:
                template = parse_template(str(text))
            except TemplateError as exc:
                problems.append(f"captions.{platform}: {exc}")
                continue
            rules = (
                [_RULES[platform]]
                if platform != "default"
                else [p for key, p in _RULES.items() if key not in captions]
            )
            for rule in rules:  # even with no field filled in, the caption must fit
                if rule.length(template.skeleton) > rule.caption_max:
                    problems.append(
                        f"captions.{platform}: already {rule.length(template.skeleton)}"
                        f" characters without the library's details; {rule.label} "
                        f"allows {rule.caption_max}"
                    )
        values["captions"] = {str(k): str(v) for k, v in captions.items()}
    if "hashtags" in data:
        tags = data["hashtags"]
        if not isinstance(tags, list) or len(tags) > 30:
            problems.append("hashtags: a list of at most 30 tags")
        else:
            values["hashtags"] = [str(t).lstrip("#").strip()[:100] for t in tags if str(t).strip()]
    if "link" in data:
        link = str(data["link"] or "")
        if link and (not link.startswith(("https://", "http://")) or len(link) > 2048):
            problems.append("link: an http(s) address of at most 2048 characters")
        values["link"] = link
    if "images" in data:
        images = data["images"]
        if not isinstance(images, list) or len(images) > MAX_IMAGES:
            problems.append(f"images: a list of at most {MAX_IMAGES}")
            images = []
        cleaned = []
        for n, image in enumerate(images, start=1):
            if not isinstance(image, dict) or not isinstance(image.get("asset_id"), str):
                problems.append(f"images[{n}]: needs an asset_id")
                continue
            alt = str(image.get("alt", "") or "")
            try:
                parse_template(alt)
            except TemplateError as exc:
                problems.append(f"images[{n}].alt: {exc}")
            cleaned.append(
                {
                    "asset_id": image["asset_id"],
                    "alt": alt,
                    "decorative": bool(image.get("decorative", False)),
                }
            )
        values["images"] = cleaned
    for name in ("window_start", "window_end"):
        if name in data:
            values[name] = _when(data[name], name)
    if (
        values["window_start"]
        and values["window_end"]
        and values["window_end"] < values["window_start"]
    ):
        problems.append("window_end: must not be before window_start")
    if problems:
        raise Unprocessable("Please correct: " + "; ".join(problems) + ".")
    return values


async def _check_images(images: list[dict[str, Any]]) -> None:
    for n, image in enumerate(images, start=1):
        try:
            asset_id = uuid.UUID(image["asset_id"])
        except ValueError:
            raise Unprocessable(f"images[{n}]: not an asset id") from None
        asset = await Asset.get_or_none(id=asset_id, deleted_at=None)
        if asset is None or asset.kind not in (Kind.IMAGE, Kind.SOCIAL_POST):
            raise Unprocessable(f"images[{n}]: no image asset with that id")


async def create_post(data: dict[str, Any], actor: User) -> Asset:
    meta = parse_metadata({k: v for k, v in data.items() if k in META_KEYS})
    if not meta.title:
        raise Unprocessable("title: a post needs a title (for the campaign team and packs)")
    content = _clean(data, None)
    if not content["captions"]:
        raise Unprocessable('captions: at least a "default" caption')
    await _check_images(content["images"])
    campaign = await campaign_by_slug(meta.campaign)
    async with in_transaction():
        asset = await Asset.create(
            title=meta.title,
            description=meta.description
            or readable_template(content["captions"]["default"])[:5000],
            kind=Kind.SOCIAL_POST,
            status=Status.DRAFT,
            campaign=campaign,
            audience=list(meta.audience),
            licence=meta.licence,
            credit=meta.credit,
            language=meta.language,
            embargo_until=meta.embargo_until,
            expires_at=meta.expires_at,
            created_by=actor,
        )
        await attach_tags(asset, meta.tags)
        await SocialPost.create(asset=asset, **content)
        await audit.record("post_created", actor=actor, target_type="asset", target_id=asset.id)
        await enqueue_change(asset.id)
    return asset


async def update_post(asset: Asset, data: dict[str, Any], actor: User, revision: int) -> Asset:
    row = await SocialPost.get_or_none(asset=asset)
    if row is None:  # another kind of asset: this address does not name a post
        raise NotFound("This asset is not a social post.")
    content = _clean(data, row)
    await _check_images(content["images"])
    async with in_transaction():
        await bump_revision(asset, revision)
        await SocialPost.filter(id=row.id).update(**content)
        await audit.record("post_edited", actor=actor, target_type="asset", target_id=asset.id)
        await enqueue_change(asset.id)
    return await Asset.get(id=asset.id)


async def post_publish_problems(asset: Asset) -> list[str]:
    """A post needs alt text (or an explicit decorative mark) for every image."""
    row = await SocialPost.get_or_none(asset=asset)
    if row is None:
        return ["the post has no content"]
    problems = []
    if not row.images:
        problems.append("a post needs at least one image")
    for n, image in enumerate(row.images, start=1):
        if not image.get("decorative") and not str(image.get("alt", "")).strip():
            problems.append(f"image {n} needs alt text or a decorative mark")
    return problems


@dataclass(frozen=True)
class PostImageSummary:
    """One image of a post as its asset page lists it: the asset and its alt-text template
    in readable words (no library's details filled in)."""

    asset: Asset
    alt_text: str
    decorative: bool


async def post_images(asset: Asset, viewer: Viewer) -> list[PostImageSummary]:
    """The post's images the viewer may see, in posting order."""
    row = await SocialPost.get_or_none(asset=asset)
    if row is None:
        return []
    found: list[PostImageSummary] = []
    for image in row.images:
        source = await Asset.filter(viewer.asset_filter(), id=image["asset_id"]).first()
        if source is not None:
            alt = readable_template(str(image.get("alt", "")))
            found.append(PostImageSummary(source, alt, bool(image.get("decorative"))))
    return found


@dataclass(frozen=True)
class FilledImage:
    asset: Asset
    alt_text: str | None
    decorative: bool


@dataclass(frozen=True)
class FilledPost:
    """A post for one library and one platform: the text to paste and its checks."""

    asset: Asset
    post: SocialPost
    platform: PlatformRules
    caption: str
    images: list[FilledImage]
    report: PostReport
    hashtags: list[str]


def _credit_lines(images: list[Asset]) -> list[str]:
    return [a.credit for a in images if a.credit and licence_needs_credit(a.licence)]


async def fill_post(
    asset: Asset, platform_key: str, values: dict[str, str], viewer: Viewer
) -> FilledPost:
    """Captions and alt text filled from the library's values, checked for the platform."""
    platform = _RULES.get(platform_key)
    if platform is None:
        raise Unprocessable(f"platform: choose one of {', '.join(_RULES)}")
    row = await SocialPost.get_or_none(asset=asset)
    if row is None:
        raise NotFound("This asset is not a social post.")
    images: list[FilledImage] = []
    for image in row.images:
        source = await Asset.filter(viewer.asset_filter(), id=image["asset_id"]).first()
        if source is None:
            continue  # withdrawn or expired since: the post goes out without it
        alt = None
        if not image.get("decorative"):
            alt = _fill(str(image.get("alt", "")), values, "alt text")
        images.append(FilledImage(source, alt, bool(image.get("decorative"))))
    text = row.captions.get(platform.key) or row.captions.get("default", "")
    caption = compose_caption(
        _fill(text, values, "caption"),
        row.hashtags,
        row.link,
        platform,
        credits=_credit_lines([i.asset for i in images]),
    )
    report = check_post(caption, [PostImage(i.alt_text, i.decorative) for i in images], platform)
    return FilledPost(asset, row, platform, caption, images, report, list(row.hashtags))


def _fill(text: str, values: dict[str, str], what: str, credits: list[str] | None = None) -> str:
    try:
        return fill_caption(parse_template(text), values, credits=credits or ())
    except MissingFieldError as exc:
        raise Unprocessable(
            f"The {what} uses details your branding profile does not have yet: {exc}. "
            "Add them to the profile (My library) and try again."
        ) from None
    except TemplateError as exc:
        raise Unprocessable(f"The {what} template is not valid: {exc}") from None
